from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.request import Request

from lms.audit.models import AuditLog, AuditLogImmutable
from lms.audit.services import audit_diff, audit_log_record
from lms.request_context import request_id_var

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def make_user(email: str, role: str = "student"):
    return get_user_model().objects.create_user(email, "pw-not-checked-here", role=role)


@pytest.fixture
def instructor():
    return make_user("instructor@example.test", role="instructor")


def test_record_keeps_actor_target_changes_ip_and_request_id(rf, instructor):
    student = make_user("student@example.test")
    request = rf.post("/anything", REMOTE_ADDR="203.0.113.7")
    request.request_id = "rid-123"

    entry = audit_log_record(
        actor=instructor,
        action="user.role_changed",
        target=student,
        changes={"role": ["student", "instructor"]},
        request=request,
    )

    entry = AuditLog.objects.get(pk=entry.pk)  # as stored, not as built
    assert entry.actor == instructor
    assert entry.actor_repr == f"instructor@example.test (#{instructor.pk})"
    assert entry.action == "user.role_changed"
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(student.pk))
    assert entry.target_repr == "student@example.test"
    assert entry.changes == {"role": ["student", "instructor"]}
    assert entry.ip == "203.0.113.7"
    assert entry.request_id == "rid-123"
    assert timezone.now() - timedelta(minutes=1) < entry.at <= timezone.now()


def test_deleting_the_actor_keeps_who_it_was(instructor):
    entry = audit_log_record(actor=instructor, action="course.published")
    expected = f"instructor@example.test (#{instructor.pk})"
    instructor.delete()

    entry = AuditLog.objects.get(pk=entry.pk)
    assert entry.actor is None
    assert entry.actor_repr == expected


def test_request_id_comes_from_the_request_context_without_a_request():
    token = request_id_var.set("rid-from-context")
    try:
        entry = audit_log_record(actor=None, action="enrollment.expired")
    finally:
        request_id_var.reset(token)
    assert entry.request_id == "rid-from-context"
    assert (entry.actor, entry.actor_repr, entry.ip) == (None, "system", None)


def test_a_drf_request_and_an_anonymous_actor_are_accepted(rf):
    django_request = rf.get("/", REMOTE_ADDR="2001:db8::1")
    django_request.request_id = "rid-drf"
    entry = audit_log_record(
        actor=AnonymousUser(), action="auth.login_failed", request=Request(django_request)
    )
    assert (entry.actor, entry.actor_repr) == (None, "anonymous")
    assert (entry.ip, entry.request_id) == ("2001:db8::1", "rid-drf")


def test_forwarded_for_is_ignored_without_trusted_proxies(rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert audit_log_record(actor=None, action="x.y", request=request).ip == "10.0.0.1"


def test_forwarded_for_is_believed_as_far_as_the_trusted_proxies(rf):
    # The client forged the first hop; the one proxy we trust appended what it saw.
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.5")
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        entry = audit_log_record(actor=None, action="x.y", request=request)
    assert entry.ip == "203.0.113.5"


def test_an_unparseable_address_is_stored_as_null(rf):
    request = rf.get("/", REMOTE_ADDR="not-an-ip")
    assert audit_log_record(actor=None, action="x.y", request=request).ip is None


def test_entry_rolls_back_with_the_callers_transaction(instructor):
    with pytest.raises(Rollback), transaction.atomic():
        audit_log_record(actor=instructor, action="course.deleted")
        raise Rollback
    assert not AuditLog.objects.exists()


def test_changes_may_hold_dates_and_decimals():
    entry = audit_log_record(
        actor=None,
        action="price.changed",
        changes={"amount": [Decimal("9.99"), Decimal("12.50")], "from": [None, date(2026, 1, 2)]},
    )
    entry.refresh_from_db()
    assert entry.changes == {"amount": ["9.99", "12.50"], "from": [None, "2026-01-02"]}


def test_an_unsaved_target_or_an_empty_action_is_refused(instructor):
    unsaved = get_user_model()(email="nobody@example.test")
    with pytest.raises(ValueError):
        audit_log_record(actor=instructor, action="x.y", target=unsaved)
    with pytest.raises(ValueError):
        audit_log_record(actor=instructor, action="")
    assert not AuditLog.objects.exists()


def test_entries_cannot_be_changed_or_deleted(instructor):
    entry = audit_log_record(actor=instructor, action="course.published")
    entry.action = "course.unpublished"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    with pytest.raises(AuditLogImmutable):
        entry.delete()
    assert AuditLog.objects.get(pk=entry.pk).action == "course.published"


def test_audit_diff_lists_changed_fields_only():
    before = {"title": "Old", "price": "10.00", "draft": True}
    after = {"title": "New", "price": "10.00", "published_at": "2026-01-01"}
    assert audit_diff(before=before, after=after) == {
        "draft": [True, None],
        "published_at": [None, "2026-01-01"],
        "title": ["Old", "New"],
    }


def test_admin_is_read_only_with_filters_and_search(admin_client, instructor):
    published = audit_log_record(actor=instructor, action="course.published")
    audit_log_record(actor=None, action="enrollment.expired")
    url = "/admin/audit/auditlog/"

    response = admin_client.get(url, {"action": "course.published"})
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [published.pk]
    response = admin_client.get(url, {"q": "instructor@example.test"})
    assert [e.pk for e in response.context["cl"].result_list] == [published.pk]

    assert admin_client.get(f"{url}{published.pk}/change/").status_code == 200  # view only
    assert admin_client.get(f"{url}add/").status_code == 403
    assert admin_client.post(f"{url}{published.pk}/change/", {"action": "x"}).status_code == 403
    assert admin_client.post(f"{url}{published.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.get(pk=published.pk).action == "course.published"
