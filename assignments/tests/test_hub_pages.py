"""The assignments pages after issue 15: the course hub menu on every instructor page of a
course (with the right section current, and no stale back link), the gradebook's
provisional mark for a quiz score still waiting for manual grading (cell and course grade,
with an explanation), words instead of internal codes on the learner's grades page and in
a grade's history, and a constant number of queries on the gradebook page.

Quiz scores arrive as quizzes sends them, through `lms.grading.score_changed` (quizzes is
a sibling app: never imported here); quizzes/tests/test_instructor_pages.py follows a real
essay from submission to grading through these same pages."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from assignments.models import GradeItem, Score
from assignments.services import grade_submission, score_adjust, submission_create
from assignments.tests.factories import make_assignment
from enrollments.services import enrollment_create
from lms.grading import grade_item_changed, score_changed

pytestmark = pytest.mark.django_db

QUIZ_ID = 41


def browser_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text_of(response) -> str:
    """What a person reads: no tags, attributes or scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def quiz_score(course, user, earned: str | None, *, final: bool) -> None:
    grade_item_changed.send(
        sender=None, course_id=course.pk, source="quiz", source_id=QUIZ_ID, title="Quiz 1",
        points_possible=Decimal("10"),
    )  # fmt: skip
    score_changed.send(
        sender=None, course_id=course.pk, user_id=user.pk, source="quiz", source_id=QUIZ_ID,
        points_earned=None if earned is None else Decimal(earned),
        points_possible=Decimal("10"), final=final,
    )  # fmt: skip


# --- the course hub menu ---------------------------------------------------------------------

MENU_PAGES = {
    "/instructor/courses/{slug}/assignments/": "assignments",
    "/instructor/courses/{slug}/assignments/new/": "assignments",
    "/instructor/assignments/{a}/edit/": "assignments",
    "/instructor/assignments/{a}/grade/": "assignments",
    "/instructor/courses/{slug}/gradebook/": "gradebook",
    "/instructor/gradebook/scores/{score}/history/": "gradebook",
}
SECTION_PATHS = {"assignments": "/assignments/", "gradebook": "/gradebook/"}


@pytest.mark.parametrize("path", list(MENU_PAGES))
def test_every_instructor_page_shows_the_course_menu(people, course, path):
    assignment = make_assignment(course)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.owner, points=50, release=True)
    score = Score.objects.get(user=people.student)
    url = path.format(slug=course.slug, a=assignment.pk, score=score.pk)
    body = browser_for(people.owner).get(url).content.decode()
    assert 'class="course-nav"' in body
    current = re.findall(r'<a href="([^"]+)"\s+aria-current="page"', body)
    assert len(current) == 1 and current[0].endswith(SECTION_PATHS[MENU_PAGES[path]]), current
    assert "← Assignments" not in body  # the menu replaces the old back links


# --- provisional quiz scores -------------------------------------------------------------------


def test_the_gradebook_marks_a_provisional_quiz_score_and_course_grade(people, course):
    quiz_score(course, people.student, "6", final=False)  # an essay still waits
    quiz_score(course, people.other_student, "9", final=True)
    url = f"/instructor/courses/{course.slug}/gradebook/"
    page = browser_for(people.ta).get(url)
    body = page.content.decode()

    def row(user) -> str:
        match = re.search(rf'<tr data-email="{re.escape(user.email)}">(.*?)</tr>', body, re.S)
        return match.group(1)

    waiting = row(people.student)
    assert re.search(r'6\.00</a>\s*<span class="provisional">\(provisional\)</span>', waiting)
    assert 'class="course-grade">60.00 % (D) <span class="provisional">(provisional)' in waiting
    assert "provisional" not in row(people.other_student)
    assert 'class="course-grade">90.00 % (A)</td>' in row(people.other_student)
    assert "may still change once those answers are graded" in text_of(page)

    quiz_score(course, people.student, "7", final=True)  # graded: final
    body = browser_for(people.ta).get(url).content.decode()
    assert "provisional" not in body
    assert 'class="course-grade">70.00 % (C)</td>' in row(people.student)


def test_an_override_or_excuse_is_never_provisional(people, course):
    quiz_score(course, people.student, "6", final=False)
    item = GradeItem.objects.get(source="quiz", source_id=QUIZ_ID)
    score_adjust(item=item, user_id=people.student.pk, by=people.owner,
                 override_points="8", reason="Regraded by hand")  # fmt: skip
    body = browser_for(people.ta).get(f"/instructor/courses/{course.slug}/gradebook/").content
    assert b"provisional" not in body


def test_the_learner_sees_a_provisional_grade_as_such(people, course):
    quiz_score(course, people.student, "6", final=False)
    url = f"/learn/courses/{course.slug}/grades/"
    mine = text_of(browser_for(people.student).get(url))
    assert "Course grade: 60.00% · D (provisional)" in mine
    assert re.search(r"Quiz 1 [\w ]+ 6\.00 / 10\.00 \(provisional\)", mine), mine
    assert "Quiz 1: 6.00 / 10.00 · Graded (provisional)" in mine
    assert "may change once they are graded" in mine
    quiz_score(course, people.student, "6", final=True)
    mine = text_of(browser_for(people.student).get(url))
    assert "provisional" not in mine and "Course grade: 60.00% · D" in mine


# --- words, not codes ----------------------------------------------------------------------------


def test_the_learner_grades_page_shows_no_internal_codes(people, course):
    graded = make_assignment(course, title="Graded essay")
    make_assignment(course, title="Waiting lab")
    excused = make_assignment(course, title="Excused quiz")
    submission = submission_create(assignment=graded, user=people.student, text="x")
    grade_submission(submission=submission, by=people.owner, points=80, release=True)
    item = GradeItem.objects.get(source="assignment", source_id=excused.pk)
    score_adjust(item=item, user_id=people.student.pk, by=people.owner, excused=True)
    mine = text_of(browser_for(people.student).get(f"/learn/courses/{course.slug}/grades/"))
    assert "Graded essay: 80.00 / 100.00 · Graded" in mine
    assert "Waiting lab: \u2013 / 100.00 · Not graded yet" in mine  # an en dash
    assert "Excused quiz: \u2013 / 100.00 · Excused: does not count" in mine
    assert re.search(r"Waiting lab \w+ Not graded yet \(out of 100\.00\)", mine)
    for raw in ("not_graded", "excused ·", "· graded", "override", "None"):
        assert raw not in mine, raw


def test_a_grade_history_reads_as_words(people, course):
    assignment = make_assignment(course)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.owner, points=40, release=False)
    grade_submission(submission=submission, by=people.owner, points=50, release=True)
    score = Score.objects.get(user=people.student)
    page = browser_for(people.ta).get(f"/instructor/gradebook/scores/{score.pk}/history/")
    shown = text_of(page)
    assert "Draft grade saved" in shown and "Grade released" in shown
    assert "Draft points" in shown and "Points" in shown
    for raw in ("assignments.", "draft_points", "penalty_percent"):
        assert raw not in shown, raw


# --- queries ------------------------------------------------------------------------------------


def test_the_gradebook_page_runs_the_same_queries_for_2_and_22_learners(
    people, course, django_assert_num_queries
):
    assignments = [make_assignment(course, title=f"A{i}") for i in range(3)]
    client = browser_for(people.ta)
    url = f"/instructor/courses/{course.slug}/gradebook/"
    quiz_score(course, people.student, "5", final=False)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(20):
        learner = UserFactory(email=f"grid{n}@example.test")
        enrollment_create(user=learner, course=course)
        quiz_score(course, learner, "5", final=n % 2 == 0)
        for assignment in assignments:
            sub = submission_create(assignment=assignment, user=learner, text="x")
            grade_submission(submission=sub, by=people.owner, points=70, release=True)
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count("<tr data-email=") == 22
