"""One cast of people for every permission matrix, and API clients for them."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rest_framework.test import APIClient

if TYPE_CHECKING:
    from accounts.models import User

# The roles every permission matrix covers (DEVELOPERS.md), plus the course team's TA
# and a student of the platform who is not in the course (`outsider`).
ROLES = (
    "anonymous",
    "student",
    "other_student",
    "outsider",
    "owner",
    "instructor",
    "ta",
    "other_instructor",
    "admin",
)
STAFF_ROLES = ("owner", "instructor", "ta")


@dataclass
class Cast:
    """owner/instructor/ta: the course team (make_course puts them on it); student and
    other_student: learners (enrolled when make_course is told to); outsider: a student
    with no seat; other_instructor: an instructor of other courses; admin: staff and
    superuser."""

    owner: "User"
    instructor: "User"
    ta: "User"
    other_instructor: "User"
    student: "User"
    other_student: "User"
    outsider: "User"
    admin: "User"

    def user(self, role: str) -> "User | None":
        return None if role == "anonymous" else getattr(self, role)

    def client(self, role: str) -> APIClient:
        return client_for(self.user(role))


def cast_create() -> Cast:
    from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory

    return Cast(
        owner=InstructorFactory(),
        instructor=InstructorFactory(),
        ta=UserFactory(),
        other_instructor=InstructorFactory(),
        student=UserFactory(),
        other_student=UserFactory(),
        outsider=UserFactory(),
        admin=AdminFactory(),
    )


def client_for(user: "User | None") -> APIClient:
    """An API client authenticated as the user with a bearer token (anonymous for None);
    the token is minted by the sessions service, not the login endpoint (no throttle)."""
    from accounts.services.sessions import session_start

    client = APIClient()
    if user is not None:
        access = session_start(user=user, kind="bearer").access
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client
