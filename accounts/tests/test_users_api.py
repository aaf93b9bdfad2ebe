"""users/me/ and the admin users endpoints, with the role matrix."""

import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.auth_helpers import api_login, bearer
from accounts.tests.factories import InstructorFactory, UserFactory
from lms.audit.models import AuditLog
from lms.testing import client_for, unchanged

pytestmark = pytest.mark.django_db


def codes(response) -> set[tuple[str | None, str]]:
    return {(e["attr"], e["code"]) for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("student", 403), ("instructor", 403), ("admin", 200)],
)
def test_only_admins_list_users(cast, role, expected):
    assert cast.client(role).get("/api/v1/users/").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("student", 404), ("instructor", 404), ("admin", 200)],
)
def test_only_admins_see_or_change_another_user(cast, role, expected):
    other = UserFactory()
    client = cast.client(role)
    assert client.get(f"/api/v1/users/{other.pk}/").status_code == expected
    patch = client.patch(f"/api/v1/users/{other.pk}/", {"role": "instructor"})
    assert patch.status_code == expected
    other.refresh_from_db()
    assert other.role == ("instructor" if role == "admin" else "student")


@pytest.mark.parametrize("role", ["student", "instructor", "admin"])
def test_nobody_raises_their_own_role(cast, role):
    user = cast.user(role)
    client = cast.client(role)
    with unchanged(user):
        me = client.patch("/api/v1/users/me/", {"role": "admin"})
        own = client.patch(f"/api/v1/users/{user.pk}/", {"role": "admin"})
    assert me.status_code == 400 and codes(me) == {("role", "unknown_field")}
    assert own.status_code in (403, 404)


def test_admin_cannot_demote_or_deactivate_themselves(cast):
    admin, client = cast.admin, cast.client("admin")
    with unchanged(admin, counts=(AuditLog,)):
        demote = client.patch(f"/api/v1/users/{admin.pk}/", {"role": "student"})
        deactivate = client.patch(f"/api/v1/users/{admin.pk}/", {"is_active": False})
    assert demote.status_code == 403 and demote.json()["code"] == "own_role"
    assert deactivate.status_code == 403 and deactivate.json()["code"] == "own_account"


def test_admin_updates_refuse_unknown_fields(cast):
    student = cast.student
    with unchanged(student):
        response = cast.client("admin").patch(
            f"/api/v1/users/{student.pk}/", {"role": "instructor", "is_staff": True}
        )
    assert response.status_code == 400
    assert codes(response) == {("is_staff", "unknown_field")}
    assert response.json()["errors"][0]["pointer"] == "/is_staff"


def test_role_change_and_deactivation_are_audited_and_deactivation_logs_out(cast):
    student = UserFactory()
    student_tokens = api_login(APIClient(), student)
    client = cast.client("admin")
    assert client.patch(f"/api/v1/users/{student.pk}/", {"role": "instructor"}).status_code == 200
    assert client.patch(f"/api/v1/users/{student.pk}/", {"is_active": False}).status_code == 200
    actions = set(
        AuditLog.objects.filter(target_id=str(student.pk)).values_list("action", flat=True)
    )
    assert {"user.role_changed", "user.deactivated"} <= actions
    assert bearer(APIClient(), student_tokens["access"]).get("/api/v1/users/me/").status_code == 401


def test_admin_list_filters_and_searches_in_constant_queries(cast, django_assert_max_num_queries):
    client = cast.client("admin")
    before = client.get("/api/v1/users/", {"role": "instructor"}).json()["meta"]["count"]
    UserFactory.create_batch(3)
    InstructorFactory.create_batch(2, first_name="Grace")
    User.objects.filter(first_name="Grace").update(is_active=False)
    instructors = client.get("/api/v1/users/", {"role": "instructor"}).json()
    assert instructors["meta"]["count"] == before + 2
    inactive = client.get("/api/v1/users/", {"is_active": "false"}).json()
    assert inactive["meta"]["count"] == 2
    found = client.get("/api/v1/users/", {"search": "grace"}).json()
    assert {u["first_name"] for u in found["data"]} == {"Grace"}
    assert found["meta"]["count"] == User.objects.filter(first_name__icontains="grace").count()
    wizard = client.get("/api/v1/users/", {"role": "wizard"})
    assert wizard.status_code == 400 and codes(wizard) == {("role", "invalid_choice")}
    maybe = client.get("/api/v1/users/", {"is_active": "maybe"})
    assert maybe.status_code == 400 and codes(maybe) == {("is_active", "invalid")}
    UserFactory.create_batch(15)
    with django_assert_max_num_queries(4):  # session+user, count, page
        page = client.get("/api/v1/users/")
    assert page.status_code == 200
    assert page.json()["meta"] == {
        "count": User.objects.count(),
        "page_size": 20,
        "next": "http://testserver/api/v1/users/?page=2",
        "previous": None,
    }


def test_admin_invites_an_instructor(cast):
    client = cast.client("admin")
    response = client.post("/api/v1/users/", {"email": "New.Teacher@Example.test"})
    assert response.status_code == 201
    user = User.objects.get(email="new.teacher@example.test")
    assert user.role == "instructor" and not user.has_usable_password()
    with unchanged(user, counts=(User, AuditLog)):
        again = client.post("/api/v1/users/", {"email": "new.teacher@example.test"})
        by_student = cast.client("student").post("/api/v1/users/", {"email": "x@example.test"})
    assert again.status_code == 400 and codes(again) == {("email", "email_taken")}
    assert by_student.status_code == 403


def test_me_get_and_patch_profile():
    user = UserFactory()
    client = client_for(user)
    me = client.get("/api/v1/users/me/").json()["data"]
    assert me["email"] == user.email and "password" not in me
    response = client.patch("/api/v1/users/me/", {"first_name": "Ada", "timezone": "Europe/Paris"})
    assert response.status_code == 200
    assert response.json()["data"]["timezone"] == "Europe/Paris"
    with unchanged(user):
        bad = client.patch("/api/v1/users/me/", {"timezone": "Mars/Olympus", "first_name": "X"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "timezone"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_avatar_accepts_a_real_image_and_refuses_a_renamed_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(UserFactory())
    good = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client.patch("/api/v1/users/me/", {"avatar": good}, format="multipart")
    assert response.status_code == 200
    assert response.json()["data"]["avatar"].endswith(".png")
    assert "me.png" not in response.json()["data"]["avatar"]
    fake = SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png")
    bad = client.patch("/api/v1/users/me/", {"avatar": fake}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "avatar"
