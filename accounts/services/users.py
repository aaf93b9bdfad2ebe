"""Writes on users: registration, verification, passwords, profile, and admin changes."""

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from accounts.services.login import login_failures_clear
from accounts.services.sessions import sessions_end_all
from accounts.tokens import email_verification_token_user, password_reset_token, uid_decode
from lms.audit.services import audit_diff, audit_log_record
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish


def _field_error(field: str, message: str, code: str) -> ValidationError:
    """A refusal of one input: a 400 `validation_error` naming `field` in the API."""
    return ValidationError({field: ValidationError(message, code=code)})


@transaction.atomic
def user_ensure(
    *,
    email: str,
    password: str,
    role: str = User.Role.STUDENT,
    first_name: str = "",
    last_name: str = "",
) -> tuple[User, bool]:
    """Return the user with this email, creating it (verified) if missing; for seed_demo."""
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
        email_verified_at=timezone.now(),
    )
    return user, True


def _validate_password(password: str, user: User, *, field: str) -> None:
    """Django's validators; their messages become errors of the caller's `field`."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """A student signs up; the account works once the emailed link verifies the address."""
    user = User(
        email=normalize_email(email),
        first_name=first_name,
        last_name=last_name,
        role=User.Role.STUDENT,
    )
    _validate_password(password, user, field="password")
    user.set_password(password)
    _save_new(user)
    audit_log_record(actor=None, action="user.registered", target=user)
    outbox_publish(topic="accounts.email_verification_requested", payload={"user_id": user.pk})
    return user


EMAIL_TAKEN = "An account with this email already exists."


def _save_new(user: User) -> None:
    if User.objects.filter(email__iexact=user.email).exists():
        raise _field_error("email", EMAIL_TAKEN, "email_taken")
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same address
        raise _field_error("email", EMAIL_TAKEN, "email_taken") from exc


@transaction.atomic
def email_verify(*, token: str) -> User:
    user = email_verification_token_user(token)
    if user is None:
        raise _field_error(
            "token", "The verification link is invalid or has expired.", "invalid_token"
        )
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit_log_record(actor=user, action="user.email_verified", target=user)
    outbox_publish(topic="accounts.email_verified", payload={"user_id": user.pk})
    return user


@transaction.atomic
def email_verification_resend(*, email: str) -> None:
    """Sends a new link if the address belongs to an unverified account; silent otherwise."""
    user = User.objects.filter(
        email=normalize_email(email), email_verified_at__isnull=True, is_active=True
    ).first()
    if user is not None:
        outbox_publish(topic="accounts.email_verification_requested", payload={"user_id": user.pk})


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Every existing token of the user stops working; the caller starts a new session."""
    if not user.check_password(old_password):
        raise _field_error("old_password", "The current password is wrong.", "invalid_password")
    _validate_password(new_password, user, field="new_password")
    _set_password(user, new_password, reason="password_change")


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Emails a single-use link if the address belongs to an active account; silent otherwise."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is not None:
        outbox_publish(topic="accounts.password_reset_requested", payload={"user_id": user.pk})


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, new_password: str) -> User:
    user = uid_decode(uidb64)
    if user is None or not user.is_active or not password_reset_token.check_token(user, token):
        raise _field_error("token", "The reset link is invalid or has expired.", "invalid_token")
    _validate_password(new_password, user, field="new_password")
    if user.email_verified_at is None:  # the link reached the inbox: the address is theirs
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    _set_password(user, new_password, reason="password_reset")
    login_failures_clear(user=user)
    return user


def _set_password(user: User, password: str, *, reason: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])  # User.save() ends every API session
    audit_log_record(actor=user, action=f"user.{reason}", target=user)
    outbox_publish(topic="accounts.password_changed", payload={"user_id": user.pk})


PROFILE_FIELDS = ("first_name", "last_name", "timezone")


@transaction.atomic
def user_update_profile(
    *, user: User, avatar: UploadedFile | None = None, clear_avatar: bool = False, **fields: Any
) -> User:
    """Users edit their own name, time zone and avatar; nothing that grants access."""
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise ValueError(f"{name} is not a profile field")
        setattr(user, name, value)
    old_avatar = user.avatar.name if user.avatar else ""
    if avatar is not None:
        user.avatar.save(avatar.name or "avatar", avatar, save=False)
    elif clear_avatar:
        user.avatar = None  # type: ignore[assignment]
    user.full_clean(exclude=["password", "email"])
    user.save()
    if old_avatar and old_avatar != (user.avatar.name if user.avatar else ""):
        # Delete the replaced file only once the new state is committed.
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


ROLE_STAFF = {User.Role.ADMIN: True, User.Role.INSTRUCTOR: False, User.Role.STUDENT: False}


def _check_role(role: str) -> None:
    if role not in User.Role.values:
        raise _field_error("role", f"{role!r} is not a role.", "invalid_choice")


@transaction.atomic
def user_change_role(*, user: User, role: str, actor: User) -> User:
    _check_role(role)
    if user.pk == actor.pk:
        raise ServiceError("own_role", "Nobody can change their own role.")
    before = {"role": user.role, "is_staff": user.is_staff, "is_superuser": user.is_superuser}
    user.role = role
    # The admin role is what grants the Django admin; other roles lose it.
    user.is_staff = user.is_superuser = ROLE_STAFF[User.Role(role)]
    after = {"role": user.role, "is_staff": user.is_staff, "is_superuser": user.is_superuser}
    changes = audit_diff(before=before, after=after)
    if changes:
        user.save(update_fields=["role", "is_staff", "is_superuser"])
        audit_log_record(actor=actor, action="user.role_changed", target=user, changes=changes)
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: User) -> User:
    if user.pk == actor.pk and not active:
        raise ServiceError("own_account", "Admins cannot deactivate themselves.")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        sessions_end_all(user=user, reason="deactivated")
    audit_log_record(
        actor=actor,
        action="user.activated" if active else "user.deactivated",
        target=user,
        changes={"is_active": [not active, active]},
    )
    return user


@transaction.atomic
def user_unlock(*, user: User, actor: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    was_locked = user.locked_until
    login_failures_clear(user=user)
    audit_log_record(
        actor=actor,
        action="user.unlocked",
        target=user,
        changes={"locked_until": [was_locked.isoformat() if was_locked else None, None]},
    )
    return user


@transaction.atomic
def user_invite(
    *,
    email: str,
    role: str,
    actor: User,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """An admin adds a user (typically an instructor); they set a password from the email."""
    _check_role(role)
    staff = ROLE_STAFF[User.Role(role)]
    user = User(
        email=normalize_email(email),
        first_name=first_name,
        last_name=last_name,
        role=role,
        is_staff=staff,
        is_superuser=staff,
    )
    user.set_unusable_password()
    # Field errors name their field; the address's uniqueness is _save_new's (email_taken).
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    _save_new(user)
    audit_log_record(
        actor=actor, action="user.invited", target=user, changes={"role": [None, role]}
    )
    outbox_publish(
        topic="accounts.user_invited", payload={"user_id": user.pk, "invited_by_id": actor.pk}
    )
    return user


def user_lock(*, user_id: int) -> None:
    """Locks the user's row until the transaction ends, so another app can run one
    person's writes one at a time (payments: one checkout per learner at once)."""
    User.objects.select_for_update().filter(pk=user_id).first()
