"""Reads of accounts data for other apps (they never query accounts' tables directly)."""

from collections.abc import Iterable

from accounts.models import User, normalize_email


def user_active_by_email(*, email: str) -> User | None:
    """The active user with this email (case-insensitive), or None."""
    return User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()


def users_active_by_email(*, emails: Iterable[str]) -> dict[str, User]:
    """{email: user} for the active users among these emails (stored lower-cased)."""
    wanted = {normalize_email(email) for email in emails}
    return {u.email: u for u in User.objects.filter(email__in=wanted, is_active=True)}
