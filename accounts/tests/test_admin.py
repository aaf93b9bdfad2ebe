"""The user admin: filters, and actions and form edits that go through the audited services."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import LoginSession, User
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory
from lms.audit.models import AuditLog

CHANGELIST = "/admin/accounts/user/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user() -> User:
    return AdminFactory(email="root@example.test")


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def run_action(client: Client, action: str, users: list[User]):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def audit_rows(action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action).order_by("id"))


def listed_emails(response) -> set[str]:
    return {u.email for u in response.context["cl"].result_list}


# --- list -----------------------------------------------------------------------------------


def test_filters_by_role_active_and_locked(admin_client):
    instructor = InstructorFactory()
    locked = UserFactory(locked_until=timezone.now() + timedelta(minutes=10))
    expired_lock = UserFactory(locked_until=timezone.now() - timedelta(minutes=1))
    inactive = UserFactory(is_active=False)

    by_role = admin_client.get(CHANGELIST, {"role__exact": "instructor"})
    by_locked = admin_client.get(CHANGELIST, {"locked": "yes"})
    not_locked = admin_client.get(CHANGELIST, {"locked": "no"})
    by_active = admin_client.get(CHANGELIST, {"is_active__exact": "0"})

    assert listed_emails(by_role) == {instructor.email}
    assert listed_emails(by_locked) == {locked.email}
    assert expired_lock.email in listed_emails(not_locked)
    assert locked.email not in listed_emails(not_locked)
    assert listed_emails(by_active) == {inactive.email}


def test_search_by_email_and_name(admin_client):
    target = UserFactory(email="ada.lovelace@example.test", first_name="Ada")
    UserFactory(first_name="Grace")

    assert listed_emails(admin_client.get(CHANGELIST, {"q": "lovelace"})) == {target.email}
    assert listed_emails(admin_client.get(CHANGELIST, {"q": "Ada"})) == {target.email}


# --- actions --------------------------------------------------------------------------------


def test_deactivate_action_deactivates_revokes_sessions_and_audits(admin_client, admin_user):
    users = [UserFactory(), UserFactory()]
    session = LoginSession.objects.create(user=users[0])

    response = run_action(admin_client, "deactivate_users", users)

    assert response.status_code == 200
    assert not User.objects.filter(pk__in=[u.pk for u in users], is_active=True).exists()
    session.refresh_from_db()
    assert session.revoked_at is not None
    rows = audit_rows("user.deactivated")
    assert sorted(int(r.target_id) for r in rows) == sorted(u.pk for u in users)
    assert all(r.actor_id == admin_user.pk for r in rows)
    assert rows[0].changes == {"is_active": [True, False]}


def test_activate_action_activates_and_audits(admin_client, admin_user):
    user = UserFactory(is_active=False)

    run_action(admin_client, "activate_users", [user])

    user.refresh_from_db()
    assert user.is_active
    (row,) = audit_rows("user.activated")
    assert (row.actor_id, row.target_id) == (admin_user.pk, str(user.pk))


def test_an_admin_cannot_deactivate_themselves(admin_client, admin_user):
    response = run_action(admin_client, "deactivate_users", [admin_user])

    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert audit_rows("user.deactivated") == []
    assert "cannot deactivate themselves" in response.content.decode()


def test_unlock_action_unlocks_locked_users_only_and_audits(admin_client, admin_user):
    locked = UserFactory(locked_until=timezone.now() + timedelta(minutes=10), failed_login_count=3)
    fine = UserFactory()

    run_action(admin_client, "unlock_users", [locked, fine])

    locked.refresh_from_db()
    assert not locked.is_locked()
    assert locked.failed_login_count == 0
    (row,) = audit_rows("user.unlocked")
    assert (row.actor_id, row.target_id) == (admin_user.pk, str(locked.pk))


@pytest.mark.parametrize(
    ("action", "role", "staff"),
    [
        ("make_students", "student", False),
        ("make_instructors", "instructor", False),
        ("make_admins", "admin", True),
    ],
)
def test_role_actions_change_the_role_and_audit(admin_client, admin_user, action, role, staff):
    others = {"student": InstructorFactory, "instructor": UserFactory, "admin": UserFactory}
    user = others[role]()
    previous = user.role

    run_action(admin_client, action, [user])

    user.refresh_from_db()
    assert user.role == role
    assert user.is_staff is staff
    (row,) = audit_rows("user.role_changed")
    assert row.actor_id == admin_user.pk
    assert row.target_id == str(user.pk)
    assert row.changes["role"] == [previous, role]


def test_a_role_action_on_users_already_in_that_role_writes_nothing(admin_client):
    user = InstructorFactory()

    run_action(admin_client, "make_instructors", [user])

    assert audit_rows("user.role_changed") == []


# --- the change form ------------------------------------------------------------------------


def change_form_data(client: Client, user: User) -> dict:
    """What the change form would post back unchanged."""
    form = client.get(f"{CHANGELIST}{user.pk}/change/").context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif name == "groups":
            data[name] = [g.pk for g in value or []]
        elif value is not None:
            data[name] = value
    return data


def test_role_and_activation_edits_in_the_form_go_through_the_services(admin_client, admin_user):
    user = UserFactory(first_name="Old")
    session = LoginSession.objects.create(user=user)
    data = change_form_data(admin_client, user)
    data.update(first_name="New", role="instructor")
    data.pop("is_active")  # unticked

    response = admin_client.post(f"{CHANGELIST}{user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert (user.first_name, user.role, user.is_active) == ("New", "instructor", False)
    (role_row,) = audit_rows("user.role_changed")
    assert role_row.actor_id == admin_user.pk
    assert role_row.changes["role"] == ["student", "instructor"]
    (active_row,) = audit_rows("user.deactivated")
    assert active_row.actor_id == admin_user.pk
    session.refresh_from_db()
    assert session.revoked_at is not None


def test_a_form_save_without_role_or_activation_changes_writes_no_such_audit(admin_client):
    user = UserFactory()
    data = change_form_data(admin_client, user)
    data["last_name"] = "Changed"

    admin_client.post(f"{CHANGELIST}{user.pk}/change/", data)

    user.refresh_from_db()
    assert user.last_name == "Changed"
    assert not AuditLog.objects.filter(target_id=str(user.pk)).exists()


def test_granting_staff_access_in_the_form_is_audited(admin_client, admin_user):
    user = InstructorFactory()
    data = change_form_data(admin_client, user)
    data["is_staff"] = "on"

    admin_client.post(f"{CHANGELIST}{user.pk}/change/", data)

    (row,) = audit_rows("user.access_changed")
    assert row.actor_id == admin_user.pk
    assert row.changes == {"is_staff": [False, True]}


def test_role_and_activation_are_read_only_on_your_own_user(admin_client, admin_user):
    form = admin_client.get(f"{CHANGELIST}{admin_user.pk}/change/").context["adminform"].form

    assert "role" not in form.fields
    assert "is_active" not in form.fields
    assert "email" in form.fields


def test_lockout_and_verification_fields_are_read_only(admin_client):
    user = UserFactory()
    response = admin_client.get(f"{CHANGELIST}{user.pk}/change/")
    form = response.context["adminform"].form

    for name in ("failed_login_count", "locked_until", "email_verified_at"):
        assert name not in form.fields
        assert name in response.context["adminform"].readonly_fields


def test_adding_a_user_is_audited_with_its_role(admin_client, admin_user):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "email": "New.Instructor@Example.test",
            "role": "instructor",
            "password1": "a-brand-new-passphrase-42",
            "password2": "a-brand-new-passphrase-42",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.instructor@example.test")
    (row,) = audit_rows("user.created")
    assert (row.actor_id, row.target_id) == (admin_user.pk, str(user.pk))
    assert row.changes["role"] == [None, "instructor"]


def test_an_admin_setting_a_password_ends_the_users_api_sessions(admin_client):
    from rest_framework.test import APIClient

    from accounts.tests.auth_helpers import access_token_for

    user = UserFactory()
    access = access_token_for(user)
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "a-new-and-long-passphrase-7", "password2": "a-new-and-long-passphrase-7"},
    )
    assert response.status_code == 302
    assert LoginSession.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    me = APIClient().get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 401
    assert audit_rows("user.password_set")


def test_a_password_hash_upgrade_on_login_keeps_other_sessions(settings):
    from django.contrib.auth.hashers import make_password

    from accounts.services.login import credentials_check
    from accounts.tests.auth_helpers import access_token_for
    from accounts.tests.factories import TEST_PASSWORD

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(
        password=make_password(TEST_PASSWORD, hasher="pbkdf2_sha256")
    )
    access_token_for(user)
    assert credentials_check(email=user.email, password=TEST_PASSWORD) is not None
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # upgraded
    assert LoginSession.objects.filter(user=user, revoked_at__isnull=True).count() == 1
