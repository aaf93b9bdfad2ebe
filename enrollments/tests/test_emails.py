"""Outbox email handlers: sent once per message, skipped when they no longer apply."""

import pytest
from django.core import mail

from enrollments.services import enrollment_create, enrollment_drop
from enrollments.tasks import send_enrollment_confirmation
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from lms.testing import client_for, make_course

pytestmark = pytest.mark.django_db


def test_waitlisted_learner_gets_a_waitlist_email(cast):

    course = make_course(cast, capacity=1)
    enrollment_create(user=cast.other_student, course=course)
    enrollment_create(user=cast.student, course=course)
    mail.outbox.clear()
    outbox_relay()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[cast.student.email] == f"You are on the waitlist for {course.title}"


def test_no_email_when_the_learner_dropped_before_delivery(cast, course):
    enrollment = enrollment_create(user=cast.student, course=course)
    enrollment_drop(enrollment=enrollment)
    mail.outbox.clear()
    outbox_relay()
    assert mail.outbox == []


def test_redelivery_sends_once(cast, course):
    enrollment_create(user=cast.student, course=course)
    message = OutboxMessage.objects.get(topic="enrollments.enrolled")
    mail.outbox.clear()
    send_enrollment_confirmation.apply(args=[message.pk, message.payload])
    send_enrollment_confirmation.apply(args=[message.pk, message.payload])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<outbox-{message.pk}-enrolled@")


def test_my_list_hides_dropped_enrollments(cast, course):
    enrollment = enrollment_create(user=cast.student, course=course)
    client = client_for(cast.student)
    assert [row["id"] for row in client.get("/api/v1/enrollments/").json()["data"]] == [
        enrollment.pk
    ]
    enrollment_drop(enrollment=enrollment)
    assert client.get("/api/v1/enrollments/").json()["data"] == []
    assert client.get("/api/v1/enrollments/").json()["meta"]["count"] == 0
    assert client_for(cast.other_student).get("/api/v1/enrollments/").json()["data"] == []
