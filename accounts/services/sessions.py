"""Login sessions (refresh-token families), JWT pairs, revocation and WebSocket tickets."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import LoginSession, User, WsTicket
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.errors import ServiceError
from lms.request_context import current_client_ip

SESSION_CLAIM = "sid"
REFRESH_CHECKED = "session.refresh_checked"  # race point: between the reuse check and rotation
USER_AGENT_MAX_LENGTH = 256


def _session_ended(message: str = "The session has ended; log in again.") -> ServiceError:
    return ServiceError("session_ended", message)


def _token_not_valid() -> ServiceError:
    return ServiceError("authentication_failed", "The refresh token is invalid or expired.")


class FamilyRefreshToken(RefreshToken):
    """A refresh token whose blacklist check happens under the session lock, in session_refresh.

    simplejwt checks the blacklist when it decodes, before any lock: two requests with the
    same token both pass and both rotate it. Here the check and the rotation are one locked
    step, and a blacklisted (already rotated) token is recognised as reuse.
    """

    def verify(self, *args: Any, **kwargs: Any) -> None:
        Token.verify(self, *args, **kwargs)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    session_id: uuid.UUID


def session_start(*, user: User, kind: str, user_agent: str = "") -> TokenPair:
    """Begin a login session and return its first token pair. The client's address comes
    from the request context; `user_agent` is the client's User-Agent header."""
    session = LoginSession.objects.create(
        user=user,
        kind=kind,
        ip=current_client_ip(),
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
    )
    return _issue_pair(session)


def session_kind(*, session_id: uuid.UUID | str) -> str | None:
    """Bearer or cookie: how the login session's tokens travel; None if there is none."""
    kind: str | None = (
        LoginSession.objects.filter(pk=session_id).values_list("kind", flat=True).first()
    )
    return kind


def _issue_pair(session: LoginSession) -> TokenPair:
    refresh = FamilyRefreshToken.for_user(session.user)  # also records it as outstanding
    refresh[SESSION_CLAIM] = str(session.id)
    access = refresh.access_token  # copies user_id and sid
    return TokenPair(
        access=str(access),
        refresh=str(refresh),
        access_expires_at=datetime_from_epoch(access["exp"]),
        refresh_expires_at=datetime_from_epoch(refresh["exp"]),
        session_id=session.id,
    )


def session_refresh(*, raw_refresh: str) -> TokenPair:
    """Rotate a refresh token: exactly one caller wins; reuse of a rotated one kills the family.

    Refuses with `authentication_failed` (a malformed, forged or expired token) or
    `session_ended` (logged out, revoked, deactivated, or a rotated token used again). The
    revocation for reuse is committed before the error is raised.
    """
    try:
        token = FamilyRefreshToken(raw_refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise _token_not_valid() from exc
    session_id = _session_id(token)
    with transaction.atomic():
        session = (
            LoginSession.objects.select_for_update()
            .select_related("user")
            .filter(pk=session_id, user_id=token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"]))
            .first()
        )
        if session is None or session.revoked_at is not None or not session.user.is_active:
            raise _session_ended()
        jti = token[settings.SIMPLE_JWT["JTI_CLAIM"]]
        reused = BlacklistedToken.objects.filter(token__jti=jti).exists()
        race_point(REFRESH_CHECKED)
        if reused:
            _revoke(session, reason="refresh_reuse")
            audit_log_record(actor=None, action="session.refresh_reused", target=session.user)
        else:
            token.blacklist()
            session.last_refreshed_at = timezone.now()
            session.save(update_fields=["last_refreshed_at"])
            pair = _issue_pair(session)
    if reused:
        raise _session_ended("The refresh token was already used; the session has been ended.")
    return pair


def _session_id(token: Token) -> uuid.UUID:
    try:
        return uuid.UUID(str(token.get(SESSION_CLAIM)))
    except ValueError as exc:  # not one of our tokens
        raise _token_not_valid() from exc


def _revoke(session: LoginSession, *, reason: str) -> None:
    session.revoked_at = timezone.now()
    session.revoked_reason = reason
    session.save(update_fields=["revoked_at", "revoked_reason"])


@transaction.atomic
def session_end(*, session_id: uuid.UUID | str, raw_refresh: str | None = None) -> None:
    """Logout: the session's access and refresh tokens stop working at once."""
    session = LoginSession.objects.select_for_update().filter(pk=session_id).first()
    if session is not None and session.revoked_at is None:
        _revoke(session, reason="logout")
    if raw_refresh:
        try:
            refresh = FamilyRefreshToken(raw_refresh)  # type: ignore[arg-type]
        except TokenError:
            return  # an invalid or expired refresh token needs no blacklisting
        if str(refresh.get(SESSION_CLAIM)) == str(session_id):
            refresh.blacklist()


@transaction.atomic
def sessions_end_all(*, user: User, reason: str) -> int:
    """Revoke every live session of the user and blacklist all their refresh tokens."""
    now = timezone.now()
    ended = LoginSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    live = OutstandingToken.objects.filter(
        user=user, expires_at__gt=now, blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
    return ended


_USER_FOR_SESSION_SQL = (
    "SELECT u.* FROM accounts_user u"
    " JOIN accounts_loginsession s ON s.user_id = u.id"
    " WHERE u.id = %s AND u.is_active AND s.id = %s AND s.revoked_at IS NULL"
    " LIMIT 1"
)


def user_for_access_token(*, user_id: Any, session_id: Any) -> User | None:
    """The active user of a live session, in one query; None when either is gone."""
    try:
        sid = uuid.UUID(str(session_id))
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    # Every API request runs this: hand-written SQL spares the ORM building the same
    # join each time (a third of an empty authenticated request's CPU, measured in bench/).
    session_id_db = LoginSession._meta.pk.get_db_prep_value(sid, connection)  # type: ignore[union-attr]
    found = User.objects.raw(_USER_FOR_SESSION_SQL, [uid, session_id_db])
    return next(iter(found), None)


def ws_ticket_issue(*, user: User) -> tuple[str, datetime]:
    """A random single-use ticket for one WebSocket connection; only its hash is stored."""
    ticket = secrets.token_urlsafe(32)
    expires_at = timezone.now() + settings.WS_TICKET_TTL
    WsTicket.objects.create(key_hash=_digest(ticket), user=user, expires_at=expires_at)
    return ticket, expires_at


@transaction.atomic
def ws_ticket_redeem(*, ticket: str) -> User | None:
    """The ticket's user, once: the ticket is deleted whether or not it is still valid."""
    row = (
        WsTicket.objects.select_for_update()
        .select_related("user")
        .filter(key_hash=_digest(ticket))
        .first()
    )
    if row is None:
        return None
    row.delete()
    if row.expires_at <= timezone.now() or not row.user.is_active:
        return None
    return row.user


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def auth_tables_purge() -> dict[str, int]:
    """Delete what can never be used again: expired tickets, old ended sessions."""
    now = timezone.now()
    tickets, _ = WsTicket.objects.filter(expires_at__lte=now).delete()
    refresh_lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    sessions, _ = LoginSession.objects.filter(created_at__lt=now - refresh_lifetime * 2).delete()
    return {"ws_tickets": tickets, "sessions": sessions}
