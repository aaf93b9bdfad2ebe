"""The gradebook: constant queries per page, CSV export and import (dry run writes
nothing), score adjustments, regrades with history and audit, quiz scores through the
lms.grading signals, background recompute when weights change, lesson completion."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.tests.factories import UserFactory
from assignments.models import CourseGrade, Grade, GradeItem, Score
from assignments.services import (
    category_update,
    course_grades_recompute,
    grade_submission,
    submission_create,
)
from assignments.tests.factories import LEARNERS, RUBRIC, make_assignment
from enrollments.models import LessonCompletion
from enrollments.services import enrollment_create
from lms.audit.models import AuditLog
from lms.grading import grade_item_changed, score_changed
from lms.outbox.models import OutboxMessage
from lms.testing import client_for, make_course, unchanged

pytestmark = pytest.mark.django_db


def _learners(course, count):
    users = [UserFactory() for _ in range(count)]
    for user in users:
        enrollment_create(user=user, course=course)
    return users


def _grade_everyone(course, users, assignments, by):
    for n, user in enumerate(users):
        for assignment in assignments:
            sub = submission_create(assignment=assignment, user=user, text="x")
            grade_submission(submission=sub, by=by, points=n % 100, release=n % 2 == 0)


def test_gradebook_list_runs_the_same_queries_for_5_and_50_learners(
    people, django_assert_num_queries
):
    course = make_course(people, enroll=LEARNERS)
    assignments = [make_assignment(course, title=f"A{i}") for i in range(3)]
    client = client_for(people.ta)
    url = f"/api/v1/courses/{course.slug}/gradebook/?page_size=100"
    _grade_everyone(course, _learners(course, 3), assignments, people.owner)  # 5 with fixtures
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert len(response.json()["data"]) == 5
    # user (token auth), course (+ the viewer's role), items, learners page, scores, grades
    assert len(small.captured_queries) <= 7

    _grade_everyone(course, _learners(course, 45), assignments, people.owner)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    rows = response.json()["data"]
    assert len(rows) == 50
    assert sum(1 for row in rows for cell in row["scores"].values() if cell) == 48 * 3
    assert set(response.json()["meta"]) == {"count", "page_size", "next", "previous"}
    columns = client.get(f"/api/v1/courses/{course.slug}/gradebook/items/").json()
    assert [c["id"] for c in columns["data"]] == [int(k) for k in rows[0]["scores"]]
    assert columns["meta"] == {"count": 3, "page_size": None, "next": None, "previous": None}


def test_gradebook_pages_with_a_cursor(people, course):
    _learners(course, 5)
    client = client_for(people.owner)
    first = client.get(f"/api/v1/courses/{course.slug}/gradebook/?page_size=4").json()
    assert len(first["data"]) == 4 and first["meta"]["next"]
    second = client.get(first["meta"]["next"]).json()
    assert len(second["data"]) == 3 and second["meta"]["next"] is None
    ids = [r["user"]["id"] for r in first["data"] + second["data"]]
    assert len(set(ids)) == 7


def _import(client, course, item_id, content: str, dry_run: bool):
    return client.post(
        f"/api/v1/courses/{course.slug}/gradebook/import/",
        {
            "item": item_id,
            "file": SimpleUploadedFile("grades.csv", content.encode()),
            "dry_run": dry_run,
        },
        format="multipart",
    )


def test_csv_import_dry_run_changes_nothing_and_reports_each_row(people, course):
    assignment = make_assignment(course, points_possible=Decimal("20"))
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=sub, by=people.owner, points=10, release=True)
    item = GradeItem.objects.get(source="assignment", source_id=assignment.pk)
    before = (
        list(Score.objects.values_list("user_id", "points", "excused").order_by("user_id")),
        list(CourseGrade.objects.values_list("user_id", "percent").order_by("user_id")),
        AuditLog.objects.count(),
    )
    csv_text = (
        "email,points,excused\n"
        f"{people.student.email.upper()},15,\n"
        f"{people.other_student.email},,yes\n"
        "nobody@example.test,3,\n"
        f"{people.outsider.email},3,\n"
    )
    client = client_for(people.owner)
    report = _import(client, course, item.pk, csv_text, dry_run=True).json()["data"]
    assert report["dry_run"] is True and report["applied"] is False
    assert report["counts"] == {"ok": 2, "unchanged": 0, "error": 2}
    assert [(r["row"], r["status"]) for r in report["rows"]] == [
        (2, "ok"), (3, "ok"), (4, "error"), (5, "error"),
    ]  # fmt: skip
    assert report["rows"][0]["old"] == "10.00" and report["rows"][0]["new"] == "15.00"
    after = (
        list(Score.objects.values_list("user_id", "points", "excused").order_by("user_id")),
        list(CourseGrade.objects.values_list("user_id", "percent").order_by("user_id")),
        AuditLog.objects.count(),
    )
    assert after == before

    # A real run with error rows writes nothing either.
    with unchanged(*Score.objects.all(), counts=(Score, CourseGrade, AuditLog)):
        refused = _import(client, course, item.pk, csv_text, dry_run=False)
    assert refused.status_code == 400
    assert refused.json()["code"] == "import_errors"
    assert refused.json()["report"]["counts"]["error"] == 2
    assert Score.objects.get(user=people.student).points == Decimal("10")

    good = "\n".join(csv_text.splitlines()[:3]) + "\n"
    applied = _import(client, course, item.pk, good, dry_run=False).json()["data"]
    assert applied["applied"] is True
    assert Score.objects.get(user=people.student).points == Decimal("15")
    assert Score.objects.get(user=people.other_student).excused is True
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("75.00")
    assert AuditLog.objects.filter(action="assignments.score_imported").count() == 2


def test_csv_import_bad_files_are_400(people, course):
    make_assignment(course)
    item = GradeItem.objects.get()
    client = client_for(people.owner)
    bad_header = _import(client, course, item.pk, "mail,score\nx,1\n", dry_run=True)
    assert bad_header.status_code == 400
    assert bad_header.json()["errors"][0]["code"] == "bad_header"
    binary = client.post(
        f"/api/v1/courses/{course.slug}/gradebook/import/",
        {"item": item.pk, "file": SimpleUploadedFile("g.csv", b"\xff\xfe\x00bad")},
        format="multipart",
    )
    assert binary.status_code == 400
    other = make_course(people, enroll=LEARNERS)
    foreign = GradeItem.objects.create(course=other, source="manual", title="x", points_possible=1)
    assert _import(client, course, foreign.pk, "email,points\n", True).status_code == 400


def test_csv_export_has_every_learner_and_item(people, course):
    assignment = make_assignment(course, title="=cmd|' /C calc'!A0")
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=sub, by=people.owner, points=88, release=True)
    response = client_for(people.ta).get(f"/api/v1/courses/{course.slug}/gradebook/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("email,name,'=cmd")  # formula-looking cells are defused
    rows = {line.split(",")[0]: line for line in lines[1:]}
    assert set(rows) == {people.student.email, people.other_student.email}
    assert rows[people.student.email].endswith(",88.00,88.00,B")


def test_override_needs_a_reason_and_is_audited(people, course):
    assignment = make_assignment(course)
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=sub, by=people.owner, points=50, release=True)
    item = GradeItem.objects.get()
    client = client_for(people.ta)
    url = f"/api/v1/courses/{course.slug}/gradebook/scores/"
    missing = client.post(url, {"item": item.pk, "user": people.student.pk, "override_points": 90})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["attr"] == "reason"
    ok = client.post(
        url,
        {"item": item.pk, "user": people.student.pk, "override_points": 90, "reason": "appeal"},
    )
    assert ok.status_code == 200
    assert ok.json()["data"]["course_percent"] == "90.00"
    entry = AuditLog.objects.filter(action="assignments.score_adjusted").get()
    assert entry.actor == people.ta
    assert entry.changes["override_points"] == [None, "90.00"]
    assert entry.changes["reason"] == [None, "appeal"]
    not_learner = client.post(url, {"item": item.pk, "user": people.outsider.pk, "excused": True})
    assert not_learner.status_code == 400


def test_regrade_keeps_history_and_audits_old_and_new(people, course):
    assignment = make_assignment(course, rubric=RUBRIC)
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    client = client_for(people.owner)
    url = f"/api/v1/submissions/{sub.pk}/grade/"
    first = client.post(
        url, {"rubric_selections": {"argument": "weak", "style": "good"}, "release": True}
    )
    assert first.status_code == 201 and first.json()["data"]["points"] == "50.00"
    second = client.post(url, {"points": "75", "release": True, "reason": "re-marked"})
    assert second.status_code == 201
    history = client.get(f"/api/v1/submissions/{sub.pk}/grades/").json()["data"]
    assert [(g["points"], g["is_current"]) for g in history] == [
        ("75.00", True), ("50.00", False),
    ]  # fmt: skip
    entries = AuditLog.objects.filter(action="assignments.grade_released").order_by("id")
    assert [e.changes["points"] for e in entries] == [[None, "50.00"], ["50.00", "75.00"]]
    assert entries.last().changes["reason"] == [None, "re-marked"]
    assert entries.last().actor == people.owner


def test_grading_errors_are_problems(people, course):
    assignment = make_assignment(course, rubric=RUBRIC, max_resubmissions=1)
    old = submission_create(assignment=assignment, user=people.student, text="v1")
    submission_create(assignment=assignment, user=people.student, text="v2")
    client = client_for(people.owner)
    with unchanged(old, counts=(Grade, Score, CourseGrade, AuditLog)):
        stale = client.post(f"/api/v1/submissions/{old.pk}/grade/", {"points": "5"})
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["newest"]) == ("not_latest", 2)
    new = assignment.submissions.get(version=2)
    url = f"/api/v1/submissions/{new.pk}/grade/"
    for body, attr, code in [
        ({"points": "101"}, "points", "out_of_range"),
        ({"points": "-1"}, "points", "min_value"),
        ({"points": "NaN"}, "points", "invalid"),
        ({}, "points", "required"),
        ({"rubric_selections": {"argument": "strong"}}, "rubric_selections.style", "required"),
        ({"rubric_selections": {"argument": "nope", "style": "good"}},
         "rubric_selections.argument", "does_not_exist"),
        ({"rubric_selections": {"argument": "weak", "style": "poor", "tone": "x"}},
         "rubric_selections.tone", "unknown_criterion"),
        ({"points": "5", "rubric_selections": {"argument": "weak", "style": "poor"}},
         "points", "both"),
        ({"points": "5", "grade": "A"}, "grade", "unknown_field"),
    ]:  # fmt: skip
        with unchanged(new, counts=(Grade, Score, CourseGrade, AuditLog)):
            response = client.post(url, body, format="json")
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
        error = response.json()["errors"][0]
        assert (error["attr"], error["code"]) == (attr, code), body
        assert error["pointer"] == "/" + attr.replace(".", "/")
    assert not Grade.objects.exists()


def test_quiz_signals_feed_the_gradebook_in_the_same_transaction(people, course):
    with transaction.atomic():
        grade_item_changed.send(
            sender=None, course_id=course.pk, source="quiz", source_id=7, title="Quiz 1",
            points_possible=Decimal("10"), due=None, deleted=False,
        )  # fmt: skip
        score_changed.send(
            sender=None, course_id=course.pk, user_id=people.student.pk, source="quiz",
            source_id=7, points_earned=Decimal("8"), points_possible=Decimal("10"), final=True,
        )  # fmt: skip
    item = GradeItem.objects.get(source="quiz", source_id=7)
    assert item.category.kind == "quizzes"
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("80.00")

    # A rolled-back quiz transaction leaves no trace in the gradebook.
    with pytest.raises(RuntimeError), transaction.atomic():
        score_changed.send(
            sender=None, course_id=course.pk, user_id=people.student.pk, source="quiz",
            source_id=7, points_earned=Decimal("2"), points_possible=Decimal("10"), final=True,
        )  # fmt: skip
        raise RuntimeError("quiz service failed after sending")
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("80.00")

    # Other sources are not ours; a score of None stops counting.
    score_changed.send(
        sender=None, course_id=course.pk, user_id=people.student.pk, source="other",
        source_id=7, points_earned=Decimal("0"), points_possible=Decimal("10"), final=True,
    )  # fmt: skip
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("80.00")
    score_changed.send(
        sender=None, course_id=course.pk, user_id=people.student.pk, source="quiz",
        source_id=7, points_earned=None, points_possible=Decimal("10"), final=False,
    )  # fmt: skip
    assert CourseGrade.objects.get(user=people.student).percent is None
    score_changed.send(
        sender=None, course_id=course.pk, user_id=people.student.pk, source="quiz",
        source_id=7, points_earned=Decimal("5"), points_possible=Decimal("10"), final=False,
    )  # fmt: skip
    explained = (
        client_for(people.student)
        .get(f"/api/v1/courses/{course.slug}/gradebook/me/explain/")
        .json()["data"]
    )
    quiz_line = explained["categories"][0]["items"][0]
    assert (quiz_line["points"], quiz_line["provisional"]) == ("5.00", True)

    # The item's points change: a background recompute is asked for through the outbox.
    score_changed.send(
        sender=None, course_id=course.pk, user_id=people.student.pk, source="quiz",
        source_id=7, points_earned=Decimal("8"), points_possible=Decimal("10"), final=True,
    )  # fmt: skip
    grade_item_changed.send(
        sender=None, course_id=course.pk, source="quiz", source_id=7, title="Quiz 1",
        points_possible=Decimal("16"), due=None, deleted=False,
    )  # fmt: skip
    message = OutboxMessage.objects.filter(topic="assignments.gradebook_recompute").last()
    assert message is not None and message.payload == {"course_id": course.pk}
    assert course_grades_recompute(course_id=course.pk) == 1
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("50.00")
    grade_item_changed.send(
        sender=None, course_id=course.pk, source="quiz", source_id=7, title="Quiz 1",
        points_possible=Decimal("16"), due=None, deleted=True,
    )  # fmt: skip
    assert not GradeItem.objects.filter(source="quiz").exists()


def test_weights_and_drops_recompute_in_the_background(people, course):
    quizzes = make_assignment(course, title="Q")
    essays = make_assignment(course, title="E")
    from assignments.services import category_create

    labs = category_create(course_id=course.pk, name="Labs", weight=Decimal("1"), by=None)
    from assignments.services import assignment_update

    assignment_update(assignment=quizzes, by=None, category=labs)
    for assignment, points in [(quizzes, 100), (essays, 50)]:
        sub = submission_create(assignment=assignment, user=people.student, text="x")
        grade_submission(submission=sub, by=people.owner, points=points, release=True)
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("75.00")
    category_update(category=labs, by=None, weight=Decimal("3"))
    message = OutboxMessage.objects.filter(topic="assignments.gradebook_recompute").last()
    assert message.payload == {"course_id": course.pk}
    from assignments.tasks import gradebook_recompute_task

    assert gradebook_recompute_task(message.pk, message.payload) == 1
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("87.50")
    assert gradebook_recompute_task(message.pk, message.payload) == 0  # idempotent


def test_submitting_or_passing_completes_the_linked_lesson(people, course):
    lessons = list(course.modules.get().lessons.order_by("position"))
    on_submit = make_assignment(course, lesson=lessons[0])
    on_pass = make_assignment(course, lesson=lessons[1], complete_on="pass", pass_percent=60)
    submission_create(assignment=on_submit, user=people.student, text="x")
    assert LessonCompletion.objects.filter(lesson=lessons[0]).count() == 1
    sub = submission_create(assignment=on_pass, user=people.student, text="x")
    assert not LessonCompletion.objects.filter(lesson=lessons[1]).exists()
    grade_submission(submission=sub, by=people.owner, points=59, release=True)
    assert not LessonCompletion.objects.filter(lesson=lessons[1]).exists()
    grade_submission(submission=sub, by=people.owner, points=60, release=False)
    assert not LessonCompletion.objects.filter(lesson=lessons[1]).exists()  # a draft
    grade_submission(submission=sub, by=people.owner, points=60, release=True)
    assert LessonCompletion.objects.filter(lesson=lessons[1]).count() == 1


def _count_queries(client, url) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.json()["data"]


def test_assignment_and_submission_lists_run_the_same_queries_for_5_and_50(people, course):
    staff, learner = client_for(people.ta), client_for(people.student)
    first = make_assignment(course, title="A0", rubric=RUBRIC)
    for n in range(1, 5):
        make_assignment(course, title=f"A{n}")
    users = _learners(course, 5)
    for user in users:
        sub = submission_create(assignment=first, user=user, text="x")
        grade_submission(submission=sub, by=people.owner, points=5, release=True)
    lists = f"/api/v1/courses/{course.slug}/assignments/?page_size=100"
    subs = f"/api/v1/assignments/{first.pk}/submissions/?page_size=100"
    small = {
        "assignments (staff)": _count_queries(staff, lists)[0],
        "assignments (learner)": _count_queries(learner, lists)[0],
        "submissions (staff)": _count_queries(staff, subs)[0],
    }
    for n in range(5, 50):
        make_assignment(course, title=f"A{n}")
    for user in _learners(course, 45):
        sub = submission_create(assignment=first, user=user, text="x")
        grade_submission(submission=sub, by=people.owner, points=5, release=n % 2 == 0)
    large = {
        "assignments (staff)": _count_queries(staff, lists),
        "assignments (learner)": _count_queries(learner, lists),
        "submissions (staff)": _count_queries(staff, subs),
    }
    assert {k: v[0] for k, v in large.items()} == small
    assert len(large["assignments (staff)"][1]) == 50
    assert len(large["submissions (staff)"][1]) == 50
    assert all(row["grade"] for row in large["submissions (staff)"][1])


def test_gradebook_datetimes_are_utc_with_z(people, course):
    due = timezone.now().replace(microsecond=0) + timedelta(days=3)
    assignment = make_assignment(course, due_at=due)
    sub = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=sub, by=people.owner, points=50, release=True)
    stored = CourseGrade.objects.get(user=people.student)
    learner = client_for(people.student)
    mine = learner.get(f"/api/v1/courses/{course.slug}/gradebook/me/").json()["data"]
    explained = learner.get(f"/api/v1/courses/{course.slug}/gradebook/me/explain/").json()
    staff = client_for(people.ta).get(
        f"/api/v1/courses/{course.slug}/gradebook/learners/{people.student.pk}/explain/"
    )
    shown = {
        "me computed_at": (mine["computed_at"], stored.computed_at),
        "me due_at": (mine["items"][0]["due_at"], due),
        "explain computed_at": (explained["data"]["stored"]["computed_at"], stored.computed_at),
        "staff explain computed_at": (
            staff.json()["data"]["stored"]["computed_at"],
            stored.computed_at,
        ),
    }
    for name, (text, value) in shown.items():
        assert text.endswith("Z"), name
        assert parse_datetime(text) == value, name
