"""Joining and leaving: POST courses/{slug}/enroll/, drop, the waitlist, reasons, emails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from courses.models import Course
from enrollments.models import Enrollment
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from lms.testing import client_for, make_course, unchanged

pytestmark = pytest.mark.django_db


def enroll(user, course):
    return client_for(user).post(f"/api/v1/courses/{course.slug}/enroll/")


def test_free_course_enrolls_active_and_counts(cast, course):
    response = enroll(cast.student, course)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["status"] == "active"
    assert data["course"]["slug"] == course.slug
    assert data["progress"] == {"completed": 0, "total": 3, "percent": 0}
    assert data["next_lesson"]["title"]
    course.refresh_from_db()
    assert course.enrollment_count == 1
    assert OutboxMessage.objects.filter(topic="enrollments.enrolled").count() == 1


def test_enrolling_twice_is_a_conflict(cast, course):
    assert enroll(cast.student, course).status_code == 201
    mine = Enrollment.objects.get(user=cast.student)
    with unchanged(mine, course, counts=(Enrollment, OutboxMessage)):
        response = enroll(cast.student, course)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "already_enrolled"


def test_enroll_takes_no_body(cast, course):
    with unchanged(course, counts=(Enrollment, OutboxMessage)):
        response = client_for(cast.student).post(
            f"/api/v1/courses/{course.slug}/enroll/", {"source": "staff"}
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/source"
    assert response.json()["errors"][0]["code"] == "unknown_field"


def test_anonymous_gets_401(course):
    assert client_for(None).post(f"/api/v1/courses/{course.slug}/enroll/").status_code == 401


def test_draft_course_is_404(cast):
    draft = make_course(cast, published=False)
    with unchanged(draft, counts=(Enrollment,)):
        assert enroll(cast.student, draft).status_code == 404


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"enrollment_closes_at": "past"}, "enrollment_closed"),
        ({"enrollment_opens_at": "future"}, "enrollment_closed"),
        ({"status": Course.Status.ARCHIVED, "archived_at": "now"}, "course_archived"),
    ],
)
def test_closed_window_and_archived_are_403_with_reason(cast, fields, code):
    now = timezone.now()
    values = {"past": now - timedelta(days=1), "future": now + timedelta(days=1), "now": now}
    course = make_course(cast, **{k: values.get(v, v) for k, v in fields.items()})
    with unchanged(course, counts=(Enrollment, OutboxMessage)):
        response = enroll(cast.student, course)
    assert response.status_code == 403
    assert response.json()["code"] == code


def test_paid_course_is_402_with_checkout_pointer(cast):
    course = make_course(cast, price_amount=4900, currency="EUR")
    with unchanged(course, counts=(Enrollment, OutboxMessage)):
        response = enroll(cast.student, course)
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "payment_required"
    assert body["checkout"] == f"/api/v1/courses/{course.slug}/checkout/"
    assert (body["price_amount"], body["currency"]) == (4900, "EUR")


def test_full_course_waitlists_fifo_and_drop_promotes_first(cast):
    course = make_course(cast, capacity=1)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    assert enroll(first, course).json()["data"]["status"] == "active"
    assert enroll(second, course).json()["data"]["status"] == "waitlisted"
    assert enroll(third, course).json()["data"]["status"] == "waitlisted"
    course.refresh_from_db()
    assert course.enrollment_count == 1

    mine = Enrollment.objects.get(user=first)
    response = client_for(first).post(f"/api/v1/enrollments/{mine.pk}/drop/")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "dropped"
    statuses = dict(Enrollment.objects.values_list("user_id", "status"))
    assert statuses == {first.pk: "dropped", second.pk: "active", third.pk: "waitlisted"}
    course.refresh_from_db()
    assert course.enrollment_count == 1
    promoted = OutboxMessage.objects.get(topic="enrollments.waitlist_promoted")
    assert promoted.payload["user_id"] == second.pk

    mail.outbox.clear()
    outbox_relay()
    subjects = {(m.to[0], m.subject) for m in mail.outbox}
    assert (second.email, f"A seat in {course.title} is yours") in subjects
    promotion = next(m for m in mail.outbox if m.to == [second.email] and "seat" in m.subject)
    assert promotion.alternatives and "text/html" in promotion.alternatives[0][1]


def test_drop_leaves_waitlist_without_freeing_a_seat(cast):
    course = make_course(cast, capacity=1)
    a, b = UserFactory(), UserFactory()
    enroll(a, course)
    enroll(b, course)
    waiting = Enrollment.objects.get(user=b)
    assert client_for(b).post(f"/api/v1/enrollments/{waiting.pk}/drop/").status_code == 200
    assert Enrollment.objects.get(user=a).status == "active"
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_dropping_twice_is_409_and_others_get_404(cast, course):
    enroll(cast.student, course)
    mine = Enrollment.objects.get(user=cast.student)
    url = f"/api/v1/enrollments/{mine.pk}/drop/"
    with unchanged(mine, course):
        assert client_for(cast.other_student).post(url).status_code == 404
        assert client_for(cast.instructor).post(url).status_code == 404
        assert client_for(cast.student).post(url, {"reason": "x"}).status_code == 400
    assert client_for(cast.student).post(url).status_code == 200
    course.refresh_from_db()
    assert course.enrollment_count == 0
    mine.refresh_from_db()
    with unchanged(mine, course):
        response = client_for(cast.student).post(url)
    assert response.status_code == 409
    assert response.json()["code"] == "not_active"
    course.refresh_from_db()
    assert course.enrollment_count == 0  # not a model_to_dict field: checked by hand


def test_reenrolling_after_drop_reactivates_the_same_row(cast, course):
    enroll(cast.student, course)
    mine = Enrollment.objects.get(user=cast.student)
    client_for(cast.student).post(f"/api/v1/enrollments/{mine.pk}/drop/")
    response = enroll(cast.student, course)
    assert response.status_code == 201
    assert response.json()["data"]["id"] == mine.pk
    assert response.json()["data"]["status"] == "active"
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_revoked_learner_cannot_reenrol(cast, course):
    from enrollments.services import enrollment_revoke

    enroll(cast.student, course)
    revoked = Enrollment.objects.get(user=cast.student)
    enrollment_revoke(enrollment=revoked, by=cast.owner)
    with unchanged(revoked, course, counts=(Enrollment, OutboxMessage)):
        response = enroll(cast.student, course)
    assert response.status_code == 403
    assert response.json()["code"] == "enrollment_revoked"


def test_confirmation_email_is_sent_through_the_outbox(cast, course):
    enroll(cast.student, course)
    mail.outbox.clear()
    outbox_relay()
    assert [m.to for m in mail.outbox] == [[cast.student.email]]
    assert mail.outbox[0].subject == f"You are enrolled in {course.title}"


def test_enrollment_detail_is_own_only(cast, course):
    enroll(cast.student, course)
    mine = Enrollment.objects.get(user=cast.student)
    url = f"/api/v1/enrollments/{mine.pk}/"
    assert client_for(cast.student).get(url).status_code == 200
    for role in ("other_student", "outsider", "owner", "instructor", "ta", "admin"):
        assert client_for(cast.user(role)).get(url).status_code == 404, role
    assert client_for(None).get(url).status_code == 401
