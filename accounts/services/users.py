"""Writes on users. Issue "accounts" adds registration, invitations and role changes."""

from django.db import transaction

from accounts.models import User, normalize_email


@transaction.atomic
def user_ensure(
    *,
    email: str,
    password: str,
    role: str = User.Role.STUDENT,
    first_name: str = "",
    last_name: str = "",
) -> tuple[User, bool]:
    """Return the user with this email, creating it if missing (used by seed_demo)."""
    existing = User.objects.filter(email__iexact=normalize_email(email)).first()
    if existing is not None:
        return existing, False
    admin = role == User.Role.ADMIN
    user = User.objects.create_user(
        email,
        password,
        role=role,
        first_name=first_name,
        last_name=last_name,
        is_staff=admin,
        is_superuser=admin,
    )
    return user, True
