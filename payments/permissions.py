"""Who may see and refund orders, and whose revenue they see.

- Learners see their own orders.
- The course's owners and instructors see the orders of their courses (revenue), not
  others'; TAs do not (money is not teaching).
- Refunds: admins, and users given the `payments.refund_order` permission (a support
  desk group); never instructors as such (they may hold `is_staff` for the admin).
- Admins and holders of `payments.view_order` or `refund_order` see every order.
A foreign order answers 404; a visible one that the user may not refund answers 403.
"""

from typing import Any

from django.db.models import Q

from accounts.models import User
from accounts.permissions import is_admin
from courses.models import Course
from courses.permissions import editable_courses_q


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_refund(user: Any) -> bool:
    return is_admin(user) or (_authenticated(user) and user.has_perm("payments.refund_order"))


def sees_all_orders(user: Any) -> bool:
    return can_refund(user) or (_authenticated(user) and user.has_perm("payments.view_order"))


def can_view_revenue(user: Any) -> bool:
    """The revenue totals: whoever sees every order, and instructors (of their courses)."""
    return sees_all_orders(user) or (_authenticated(user) and user.role == User.Role.INSTRUCTOR)


def revenue_courses_q(user: Any) -> Q:
    """Courses whose revenue the user sees: all for admins and the support desk, else the
    courses the user owns or teaches as instructor."""
    if sees_all_orders(user):
        return Q()
    if not _authenticated(user):
        return Q(pk__in=[])
    return editable_courses_q(user)


def visible_orders_q(user: Any) -> Q:
    if sees_all_orders(user):
        return Q()
    if not _authenticated(user):
        return Q(pk__in=[])
    return Q(user_id=user.pk) | Q(course__in=Course.objects.filter(editable_courses_q(user)))
