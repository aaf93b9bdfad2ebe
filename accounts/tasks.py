"""Outbox handlers of the accounts topics: each turns one message into one email.

Payloads carry ids only; links and tokens are made here, at sending time, so no secret
ever sits in the outbox table. Every link comes from lms.links (absolute, on the public
base URL or the deployment's SPA/app template). A user deleted (or deactivated) since the
message was written gets nothing, except the password-changed notice, which is a
security warning.
"""

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from accounts.emails import email_send
from accounts.models import User
from accounts.services.sessions import auth_tables_purge
from accounts.tokens import email_verification_token_make, password_reset_token, uid_encode
from lms.links import link
from lms.outbox.handlers import outbox_handler

logger = logging.getLogger(__name__)


def _user(payload: dict[str, Any], *, active_only: bool = True) -> User | None:
    user = User.objects.filter(pk=int(payload["user_id"])).first()
    if user is None or (active_only and not user.is_active):
        logger.info("accounts email skipped: user gone or inactive", extra={"payload": payload})
        return None
    return user


def _set_password_url(user: User) -> str:
    """A fresh single-use link to choose a new password (reset, invitation, lockout)."""
    return link("reset_password", uid=uid_encode(user), token=password_reset_token.make_token(user))


def _hours(seconds: int) -> int:
    return max(1, round(seconds / 3600))


@outbox_handler("accounts.email_verification_requested", queue="emails")
def email_verification_send(message_id: int, payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None or user.email_verified_at is not None:
        return  # nothing left to verify
    token = email_verification_token_make(user)
    email_send(
        user=user,
        name="verify_email",
        message_id=message_id,
        context={
            "verify_url": link("verify_email", token=token),
            "valid_hours": _hours(settings.EMAIL_VERIFICATION_TIMEOUT),
        },
    )


@outbox_handler("accounts.email_verified", queue="emails")
def welcome_send(message_id: int, payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    email_send(
        user=user,
        name="welcome",
        message_id=message_id,
        context={"login_url": link("login")},
    )


@outbox_handler("accounts.password_reset_requested", queue="emails")
def password_reset_send(message_id: int, payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    email_send(
        user=user,
        name="password_reset",
        message_id=message_id,
        context={
            "reset_url": _set_password_url(user),
            "valid_hours": _hours(settings.PASSWORD_RESET_TIMEOUT),
        },
    )


@outbox_handler("accounts.password_changed", queue="emails")
def password_changed_send(message_id: int, payload: dict[str, Any]) -> None:
    # Sent to inactive accounts too: someone changing the password of a disabled account
    # is exactly what its owner should hear about.
    user = _user(payload, active_only=False)
    if user is None:
        return
    email_send(
        user=user,
        name="password_changed",
        message_id=message_id,
        context={"reset_url": link("forgot_password")},
    )


@outbox_handler("accounts.user_invited", queue="emails")
def invitation_send(message_id: int, payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    inviter_id = payload.get("invited_by_id")
    inviter = User.objects.filter(pk=int(inviter_id)).first() if inviter_id else None
    email_send(
        user=user,
        name="invitation",
        message_id=message_id,
        context={
            "inviter_name": inviter.get_full_name() if inviter is not None else "",
            "role": user.get_role_display(),
            "set_password_url": _set_password_url(user),
            "valid_hours": _hours(settings.PASSWORD_RESET_TIMEOUT),
            "reset_url": link("forgot_password"),
        },
    )


@outbox_handler("accounts.new_login", queue="emails")
def new_login_send(message_id: int, payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    email_send(
        user=user,
        name="new_login",
        message_id=message_id,
        context={
            "at": _local_time(payload.get("at"), user.timezone),
            "ip": payload.get("ip") or "unknown",
            "user_agent": payload.get("user_agent") or "unknown",
            "reset_url": link("forgot_password"),
        },
    )


@outbox_handler("accounts.account_locked", queue="emails")
def account_locked_send(message_id: int, payload: dict[str, Any]) -> None:
    """Once per lock (login_failure_record publishes when the threshold is reached)."""
    user = _user(payload)
    if user is None:
        return
    email_send(
        user=user,
        name="account_locked",
        message_id=message_id,
        context={
            "attempts": int(payload.get("attempts") or settings.LOCKOUT_THRESHOLD),
            "locked_until": _local_time(payload.get("locked_until"), user.timezone),
            "reset_url": _set_password_url(user),
            "valid_hours": _hours(settings.PASSWORD_RESET_TIMEOUT),
            "forgot_url": link("forgot_password"),
        },
    )


def _local_time(value: Any, tz_name: str) -> str:
    """The sign-in time in the user's own time zone; the raw value if it is not ISO 8601.

    Formatted here: a datetime in a template would be shown in the server's time zone.
    """
    try:
        at = datetime.fromisoformat(str(value))
        zone = ZoneInfo(tz_name)
    except (ValueError, KeyError):
        return str(value or "unknown")
    if at.tzinfo is not None:
        at = at.astimezone(zone)
    return at.strftime("%Y-%m-%d %H:%M %Z").strip()


@shared_task(name="accounts.tasks.auth_tables_purge_task", queue="default", ignore_result=True)
def auth_tables_purge_task() -> dict[str, int]:
    """Daily: expired WebSocket tickets, long-ended sessions, simplejwt's expired tokens."""
    purged = auth_tables_purge()
    call_command("flushexpiredtokens")
    return purged
