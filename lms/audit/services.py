"""Writes of the audit log."""

from collections.abc import Mapping
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest

from lms.audit.models import AuditLog
from lms.request_context import client_ip, current_client_ip, current_request_id

SYSTEM_ACTOR = "system"
ANONYMOUS_ACTOR = "anonymous"


def audit_log_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | Any | None = None,
) -> AuditLog:
    """Appends an entry in the caller's transaction, so it rolls back with the change.

    actor: the user who acted; None for the system, AnonymousUser for an anonymous client.
    target: a saved model instance. changes: {"field": [old, new]} (see audit_diff).
    request: rarely needed; without it the client ip and request id come from the current
    request context (lms.request_context, set by RequestIdMiddleware).
    """
    if not action:
        raise ValueError("An audit action is required.")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if user is not None:
        actor_repr = f"{user} (#{user.pk})"[:255]
    else:
        actor_repr = SYSTEM_ACTOR if actor is None else ANONYMOUS_ACTOR

    target_type = target_id = target_repr = ""
    if target is not None:
        if target.pk is None:
            raise ValueError("An audit target must be saved (it needs a primary key).")
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = str(target)[:255]

    request_id = (getattr(request, "request_id", None) if request is not None else None) or (
        current_request_id() or ""
    )
    return AuditLog.objects.create(
        actor=cast(Any, user),  # settings.AUTH_USER_MODEL; the platform does not import it
        actor_repr=actor_repr,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        changes=dict(changes or {}),
        ip=client_ip(request) if request is not None else current_client_ip(),
        request_id=request_id[:128],
    )


def audit_diff(*, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{"field": [old, new]} for every key whose value differs between two snapshots."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }


__all__ = ["audit_diff", "audit_log_record", "client_ip"]
