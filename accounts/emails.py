"""Rendering and sending of the accounts emails (called by the outbox handlers in tasks.py).

Each email `<name>` has three templates in `<template_dir>` (accounts/email by default;
other apps pass their own): the subject (`<name>_subject.txt`), the text body
(`<name>.txt`) and the HTML body (`<name>.html`).
"""

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import User

TEMPLATE_DIR = "accounts/email"


def email_send(
    *,
    user: User,
    name: str,
    context: dict[str, Any] | None = None,
    message_id: int | None = None,
    template_dir: str = TEMPLATE_DIR,
) -> None:
    """Render email `name` for the user and send it (text with an HTML alternative).

    message_id (the outbox message's) becomes a stable Message-ID header, so a redelivered
    message can be recognised as a duplicate by mail systems that look at it.
    """
    # Links come in `context`, made by lms.links (absolute, per the deployment's settings).
    ctx = {"user": user, **(context or {})}
    # A header must be one line, whatever the template's whitespace.
    subject = " ".join(render_to_string(f"{template_dir}/{name}_subject.txt", ctx).split())
    text = render_to_string(f"{template_dir}/{name}.txt", ctx)
    html = render_to_string(f"{template_dir}/{name}.html", ctx)
    headers = {}
    if message_id is not None:
        headers["Message-ID"] = f"<outbox-{message_id}-{name}@{_sender_domain()}>"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _sender_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"
