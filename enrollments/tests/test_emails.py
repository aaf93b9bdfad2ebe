"""Outbox email handlers: sent once per message, skipped when they no longer apply."""

import pytest
from django.core import mail

from enrollments.services import enrollment_create, enrollment_drop
from enrollments.tasks import send_enrollment_confirmation
from enrollments.tests.conftest import client_for
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay

pytestmark = pytest.mark.django_db


def test_waitlisted_learner_gets_a_waitlist_email(people):
    from enrollments.tests.conftest import make_course

    course = make_course(people, capacity=1)
    enrollment_create(user=people.other_student, course=course)
    enrollment_create(user=people.student, course=course)
    mail.outbox.clear()
    outbox_relay()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[people.student.email] == f"You are on the waitlist for {course.title}"


def test_no_email_when_the_learner_dropped_before_delivery(people, course):
    enrollment = enrollment_create(user=people.student, course=course)
    enrollment_drop(enrollment=enrollment)
    mail.outbox.clear()
    outbox_relay()
    assert mail.outbox == []


def test_redelivery_sends_once(people, course):
    enrollment_create(user=people.student, course=course)
    message = OutboxMessage.objects.get(topic="enrollments.enrolled")
    mail.outbox.clear()
    send_enrollment_confirmation.apply(args=[message.pk, message.payload])
    send_enrollment_confirmation.apply(args=[message.pk, message.payload])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<outbox-{message.pk}-enrolled@")


def test_my_list_hides_dropped_enrollments(people, course):
    enrollment = enrollment_create(user=people.student, course=course)
    client = client_for(people.student)
    assert [row["id"] for row in client.get("/api/v1/enrollments/").json()["data"]] == [
        enrollment.pk
    ]
    enrollment_drop(enrollment=enrollment)
    assert client.get("/api/v1/enrollments/").json()["data"] == []
    assert client.get("/api/v1/enrollments/").json()["meta"]["count"] == 0
    assert client_for(people.other_student).get("/api/v1/enrollments/").json()["data"] == []
