"""AccountError and Django password validation errors as DRF exceptions (problem+json)."""

from typing import NoReturn

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError

from accounts.services.users import AccountError

FORBIDDEN_CODES = {"own_role", "own_account"}


def raise_account_error(exc: AccountError, *, field: str | None = None) -> NoReturn:
    if exc.code in FORBIDDEN_CODES:
        raise PermissionDenied(exc.message, code=exc.code) from exc
    raise ValidationError(
        {field or "non_field_errors": [ErrorDetail(exc.message, code=exc.code)]}
    ) from exc


def raise_password_invalid(exc: DjangoValidationError, *, field: str) -> NoReturn:
    raise ValidationError(
        {field: [ErrorDetail(e.message % (e.params or {}), code=e.code) for e in exc.error_list]}
    ) from exc
