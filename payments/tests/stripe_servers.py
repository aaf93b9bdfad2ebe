"""The Stripe side of the tests: localstripe (a real, stateful Stripe API emulator, run as
a subprocess) and a small loopback fake of the one API localstripe lacks, Checkout
Sessions. Also signed webhook deliveries made with the `stripe` SDK's own helper."""

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

import stripe

WEBHOOK_SECRET = "whsec_test_payments_suite"
SECRET_KEY = "sk_test_payments_suite"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStripe:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"localstripe exited: {err[-2000:]}")
            try:
                request = urllib.request.Request(  # noqa: S310  # loopback http
                    f"{self.url}/v1/customers", headers={"Authorization": f"Bearer {SECRET_KEY}"}
                )
                with urllib.request.urlopen(request, timeout=1):  # noqa: S310  # loopback
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("localstripe did not answer in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


class FakeCheckout:
    """Answers the Checkout Session calls of the Stripe SDK like Stripe would (create,
    retrieve, list), and lets a test complete a session as if the learner had paid."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                if urlparse(self.path).path != "/v1/checkout/sessions":
                    return self._send(404, {"error": {"message": "Not Found"}})
                key = self.headers.get("Idempotency-Key", "")
                self._send(200, outer.create(form, key))

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/v1/checkout/sessions":
                    with outer.lock:
                        data = sorted(outer.sessions.values(), key=lambda s: -s["created"])
                    return self._send(
                        200,
                        {"object": "list", "data": data, "has_more": False, "url": path},
                    )
                session = outer.sessions.get(path.rsplit("/", 1)[-1])
                if session is None:
                    return self._send(404, {"error": {"message": "No such session"}})
                self._send(200, session)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def create(self, form: dict[str, str], idempotency_key: str) -> dict[str, Any]:
        with self.lock:
            self.requests.append({"form": form, "idempotency_key": idempotency_key})
            for session in self.sessions.values():
                if idempotency_key and session["_idempotency_key"] == idempotency_key:
                    return session  # Stripe answers a retried create with the same object
            session_id = f"cs_test_{secrets.token_hex(12)}"
            metadata = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": form.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                "currency": form["line_items[0][price_data][currency]"],
                "client_reference_id": form.get("client_reference_id"),
                "metadata": metadata,
                "payment_intent": None,
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "created": int(time.time()),
                "expires_at": int(form.get("expires_at") or 0),
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                "_idempotency_key": idempotency_key,
            }
            self.sessions[session_id] = session
            return session

    def complete(self, session_id: str, *, amount: int | None = None) -> dict[str, Any]:
        """The learner paid: the session as checkout.session.completed carries it."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = "paid"
            session["payment_intent"] = f"pi_{secrets.token_hex(8)}"
            if amount is not None:
                session["amount_total"] = amount
            return dict(session)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def event(type_: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{secrets.token_hex(10)}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type_,
        "data": {"object": {k: v for k, v in obj.items() if not k.startswith("_")}},
    }


def signed(
    body: dict[str, Any] | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, str]:
    payload = body if isinstance(body, str) else json.dumps(body)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload.encode(), header


def deliver(client: Any, body: dict[str, Any], **sign: Any) -> Any:
    payload, header = signed(body, **sign)
    return client.post(
        "/api/v1/payments/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def started(server: LocalStripe | FakeCheckout) -> Iterator[Any]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
