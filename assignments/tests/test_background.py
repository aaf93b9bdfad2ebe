"""Background recompute through the outbox and a real Celery worker (queue `progress`),
the upload and submission throttles, and feedback files."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.models import CourseGrade, Grade, GradeCategory
from assignments.services import category_update, grade_submission, submission_create
from assignments.tests.factories import LEARNERS, RUBRIC, file_assignment, make_assignment, pdf
from lms.celery import app as celery_app
from lms.outbox.models import OutboxMessage
from lms.outbox.tests.conftest import publishing_to, purge_queues, wait_until
from lms.testing import client_for, make_course, unchanged


@pytest.fixture
def worker(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    with publishing_to(settings.REDIS_URL, monkeypatch):
        purge_queues()
        try:
            with start_worker(
                celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
            ) as running:
                yield running
        finally:
            purge_queues()


@pytest.mark.postgres
@pytest.mark.redis
def test_weight_change_is_recomputed_by_the_worker_on_the_progress_queue(people, worker):
    course = make_course(people, enroll=LEARNERS)
    essays = make_assignment(course, title="Essay")
    labs = GradeCategory.objects.create(course=course, name="Labs", weight=Decimal("1"))
    lab = make_assignment(course, title="Lab", category=labs)
    for assignment, points in [(essays, 40), (lab, 100)]:
        sub = submission_create(assignment=assignment, user=people.student, text="x")
        grade_submission(submission=sub, by=people.owner, points=points, release=True)
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("70.00")

    category_update(category=labs, by=people.owner, weight=Decimal("3"))  # commits

    def recomputed() -> bool:
        return CourseGrade.objects.get(user=people.student).percent == Decimal("85.00")

    assert wait_until(recomputed, timeout=30)
    message = OutboxMessage.objects.get(topic="assignments.gradebook_recompute")
    assert message.sent_at is not None


@pytest.mark.django_db
def test_submissions_are_throttled_per_user(people, course, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submissions": "2/min",
        },
    }
    assignment = make_assignment(course, max_resubmissions=10)
    client = client_for(people.student)
    url = f"/api/v1/assignments/{assignment.pk}/submissions/"
    codes = [client.post(url, {"text": f"v{n}"}, format="multipart").status_code for n in range(3)]
    assert codes == [201, 201, 429]
    refused = client.post(url, {"text": "again"}, format="multipart")
    assert refused["Retry-After"]
    assert refused["Content-Type"] == "application/problem+json"
    # Reading is not throttled by the submissions scope; another learner has their own.
    assert client.get(url).status_code == 200
    other = client_for(people.other_student).post(url, {"text": "x"}, format="multipart")
    assert other.status_code == 201


@pytest.mark.django_db
def test_uploads_are_throttled_but_text_is_not(people, course, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "uploads": "1/hour",
        },
    }
    assignment = file_assignment(course, max_resubmissions=10)
    client = client_for(people.student)
    url = f"/api/v1/assignments/{assignment.pk}/submissions/"
    assert client.post(url, {"files": [pdf()]}, format="multipart").status_code == 201
    assert client.post(url, {"files": [pdf()]}, format="multipart").status_code == 429
    assert client.post(url, {"text": "plain"}, format="json").status_code == 201


@pytest.mark.django_db
def test_feedback_file_is_downloadable_by_the_learner_once_released(people, course):
    assignment = make_assignment(course)
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    staff = client_for(people.owner)
    response = staff.post(
        f"/api/v1/submissions/{sub.pk}/grade/",
        {"points": "7", "feedback_file": SimpleUploadedFile("notes.pdf", pdf().read())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    link = response.json()["data"]["feedback_file"]
    assert staff.get(link).status_code == 302
    learner = client_for(people.student)
    assert learner.get(link).status_code == 404  # still a draft
    client_for(people.owner).post(f"/api/v1/assignments/{assignment.pk}/release/", {})
    redirect = learner.get(link)
    assert redirect.status_code == 302
    download = client_for(None).get(redirect["Location"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="notes.pdf"')
    assert client_for(people.other_student).get(link).status_code == 404


@pytest.mark.django_db
def test_a_rubric_grade_with_a_feedback_file_goes_as_one_multipart_form(people, course):
    assignment = make_assignment(course, rubric=RUBRIC)
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    url = f"/api/v1/submissions/{sub.pk}/grade/"
    form = {
        "rubric_selections.argument": "strong",  # DRF's form notation of a nested key
        "rubric_selections.style": "good",
        "feedback_file": pdf("notes.pdf"),
        "release": "true",
    }
    response = client_for(people.owner).post(url, form, format="multipart")
    assert response.status_code == 201, response.content
    graded = response.json()["data"]
    assert graded["rubric_selections"] == {"argument": "strong", "style": "good"}
    assert graded["points"] == "100.00" and graded["feedback_file"]
    with unchanged(sub, counts=(Grade,)):
        unknown = client_for(people.owner).post(
            url, {**form, "feedback_file": pdf("again.pdf"), "tone.x": "y"}, format="multipart"
        )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["attr"] == "tone.x"
