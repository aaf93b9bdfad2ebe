from typing import Any

from rest_framework.permissions import BasePermission

from accounts.models import User


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role == User.Role.ADMIN)


class IsAdminRole(BasePermission):
    """The platform admin role (not Django's is_staff, which instructors may also hold)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_admin(request.user)
