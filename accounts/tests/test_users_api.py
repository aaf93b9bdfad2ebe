"""users/me/ and the admin users endpoints, with the role matrix."""

import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.auth_helpers import api_login, bearer
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory
from lms.audit.models import AuditLog

pytestmark = pytest.mark.django_db


def as_user(user: User | None) -> APIClient:
    client = APIClient()
    if user is None:
        return client
    return bearer(client, api_login(APIClient(), user)["access"])


ROLES = {
    "anonymous": lambda: None,
    "student": UserFactory,
    "instructor": InstructorFactory,
    "admin": AdminFactory,
}


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("student", 403), ("instructor", 403), ("admin", 200)],
)
def test_only_admins_list_users(role, expected):
    assert as_user(ROLES[role]()).get("/api/v1/users/").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("student", 404), ("instructor", 404), ("admin", 200)],
)
def test_only_admins_see_or_change_another_user(role, expected):
    other = UserFactory()
    client = as_user(ROLES[role]())
    assert client.get(f"/api/v1/users/{other.pk}/").status_code == expected
    patch = client.patch(f"/api/v1/users/{other.pk}/", {"role": "instructor"})
    assert patch.status_code == expected
    other.refresh_from_db()
    assert other.role == ("instructor" if role == "admin" else "student")


@pytest.mark.parametrize("role", ["student", "instructor", "admin"])
def test_nobody_raises_their_own_role(role):
    user = ROLES[role]()
    client = as_user(user)
    assert client.patch("/api/v1/users/me/", {"role": "admin"}).status_code == 400
    own = client.patch(f"/api/v1/users/{user.pk}/", {"role": "admin"})
    assert own.status_code in (403, 404)
    user.refresh_from_db()
    assert user.role == role


def test_admin_cannot_demote_or_deactivate_themselves():
    admin = AdminFactory()
    client = as_user(admin)
    assert client.patch(f"/api/v1/users/{admin.pk}/", {"role": "student"}).status_code == 403
    assert client.patch(f"/api/v1/users/{admin.pk}/", {"is_active": False}).status_code == 403


def test_role_change_and_deactivation_are_audited_and_deactivation_logs_out():
    admin, student = AdminFactory(), UserFactory()
    student_tokens = api_login(APIClient(), student)
    client = as_user(admin)
    assert client.patch(f"/api/v1/users/{student.pk}/", {"role": "instructor"}).status_code == 200
    assert client.patch(f"/api/v1/users/{student.pk}/", {"is_active": False}).status_code == 200
    actions = set(
        AuditLog.objects.filter(target_id=str(student.pk)).values_list("action", flat=True)
    )
    assert {"user.role_changed", "user.deactivated"} <= actions
    assert bearer(APIClient(), student_tokens["access"]).get("/api/v1/users/me/").status_code == 401


def test_admin_list_filters_and_searches_in_constant_queries(django_assert_max_num_queries):
    admin = AdminFactory()
    UserFactory.create_batch(3)
    InstructorFactory.create_batch(2, first_name="Grace")
    User.objects.filter(first_name="Grace").update(is_active=False)
    client = as_user(admin)
    instructors = client.get("/api/v1/users/", {"role": "instructor"}).json()
    assert instructors["meta"]["count"] == 2
    inactive = client.get("/api/v1/users/", {"is_active": "false"}).json()
    assert inactive["meta"]["count"] == 2
    found = client.get("/api/v1/users/", {"search": "grace"}).json()
    assert found["meta"]["count"] == 2
    assert client.get("/api/v1/users/", {"role": "wizard"}).status_code == 400
    UserFactory.create_batch(15)
    with django_assert_max_num_queries(4):  # session+user, count, page
        assert client.get("/api/v1/users/").status_code == 200


def test_admin_invites_an_instructor():
    client = as_user(AdminFactory())
    response = client.post("/api/v1/users/", {"email": "New.Teacher@Example.test"})
    assert response.status_code == 201
    user = User.objects.get(email="new.teacher@example.test")
    assert user.role == "instructor" and not user.has_usable_password()
    assert client.post("/api/v1/users/", {"email": "new.teacher@example.test"}).status_code == 400
    assert (
        as_user(UserFactory()).post("/api/v1/users/", {"email": "x@example.test"}).status_code
        == 403
    )


def test_me_get_and_patch_profile():
    user = UserFactory()
    client = as_user(user)
    me = client.get("/api/v1/users/me/").json()["data"]
    assert me["email"] == user.email and "password" not in me
    response = client.patch("/api/v1/users/me/", {"first_name": "Ada", "timezone": "Europe/Paris"})
    assert response.status_code == 200
    assert response.json()["data"]["timezone"] == "Europe/Paris"
    bad = client.patch("/api/v1/users/me/", {"timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "timezone"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_avatar_accepts_a_real_image_and_refuses_a_renamed_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(UserFactory())
    good = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client.patch("/api/v1/users/me/", {"avatar": good}, format="multipart")
    assert response.status_code == 200
    assert response.json()["data"]["avatar"].endswith(".png")
    assert "me.png" not in response.json()["data"]["avatar"]
    fake = SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png")
    bad = client.patch("/api/v1/users/me/", {"avatar": fake}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "avatar"
