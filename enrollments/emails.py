"""The enrollments emails: text with an HTML alternative, rendered from
enrollments/templates/enrollments/email/<name>{_subject.txt,.txt,.html}. Same pattern as
accounts.emails (a stable Message-ID from the outbox message id)."""

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import User

TEMPLATE_DIR = "enrollments/email"


def enrollment_email_send(
    *, user: User, name: str, context: dict[str, Any], message_id: int | None = None
) -> None:
    ctx = {"user": user, "site_url": settings.PUBLIC_BASE_URL, **context}
    subject = " ".join(render_to_string(f"{TEMPLATE_DIR}/{name}_subject.txt", ctx).split())
    text = render_to_string(f"{TEMPLATE_DIR}/{name}.txt", ctx)
    html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", ctx)
    headers = {}
    if message_id is not None:
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        headers["Message-ID"] = f"<outbox-{message_id}-{name}@{domain}>"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    message.send()
