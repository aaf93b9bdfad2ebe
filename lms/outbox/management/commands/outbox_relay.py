import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from lms.outbox.services import outbox_relay


class Command(BaseCommand):
    help = "Relays unsent outbox messages to Celery, once or in a loop (beside or instead of beat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="drain the due backlog and exit")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between rounds (default 1)"
        )
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(
        self, *args: Any, once: bool, interval: float, batch_size: int, **options: Any
    ) -> None:
        try:
            while True:
                total = self._drain(batch_size)
                if once:
                    self.stdout.write(f"relayed {total} message(s)")
                    return
                # A long-lived loop must not keep a connection the server has dropped.
                close_old_connections()
                time.sleep(interval)
        except KeyboardInterrupt:
            return

    def _drain(self, batch_size: int) -> int:
        total = 0
        while True:
            sent = outbox_relay(batch_size=batch_size)
            total += sent
            if sent < batch_size:
                return total
