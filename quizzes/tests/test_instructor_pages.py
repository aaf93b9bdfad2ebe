"""The quizzes pages after issue 15: the course hub menu, who may open and act on each
page (every role of the cast; foreign objects 404), Markdown prompts rendered safely
wherever a person reads them, words instead of internal codes, the compact builder that
keeps what was typed, the countdown's server data and deadline rule on the take page, the
gradebook's provisional mark for a quiz waiting for manual grading (seen through the
assignments pages over HTTP: quizzes never imports assignments), and constant queries."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.tests.factories import UserFactory
from courses.models import Course
from enrollments.services import enrollment_create
from lms.testing import Cast, make_course, unchanged
from quizzes import services
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionBank, Quiz, QuizItem
from quizzes.tests.conftest import QUESTION_SPECS, build_quiz

pytestmark = pytest.mark.django_db

BOLD_PROMPT = "Which city is **the capital**? <script>alert('prompt')</script>"
ESSAY_PROMPT = "Explain `assert` in *one* line. <img src=x onerror=alert(1)>"


def browser(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text_of(response: Any) -> str:
    """What a person reads: the body without tags, attributes or scripts."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _start(quiz: Quiz, user: Any) -> Attempt:
    enrollment = user.enrollments.get(course=quiz.course)
    attempt, _ = services.attempt_start(quiz=quiz, user=user, enrollment=enrollment)
    return attempt


def _submit_with_essay(quiz: Quiz, user: Any, essay: str = "Assert checks.") -> Attempt:
    """Start, answer the single choice correctly and the essay, submit."""
    attempt = _start(quiz, user)
    answers = []
    for answer in AttemptAnswer.objects.filter(attempt=attempt).select_related("question"):
        if answer.question.kind == "single":
            answers.append(
                {"answer_id": answer.pk, "response": {"choice": answer.question.key["correct"]}}
            )
        elif answer.question.kind == "essay":
            answers.append({"answer_id": answer.pk, "response": {"text": essay}})
    services.attempt_answers_save(attempt=attempt, answers=answers)
    submitted, _ = services.attempt_submit(attempt=attempt)
    return submitted


@pytest.fixture
def markdown_quiz(course: Course, people: Cast) -> Quiz:
    """A published quiz: a single choice and an essay whose prompts carry Markdown and
    markup that must never run."""
    bank = services.bank_create(course=course, title="Markdown bank")
    quiz = services.quiz_create(course=course, by=people.owner, title="Markdown quiz")
    single = services.question_create(
        bank=bank, kind="single", prompt=BOLD_PROMPT, points="1", tags=[],
        data={"options": [{"id": "oa1f", "text": "Paris"}, {"id": "ob2e", "text": "Lyon"}]},
        key={"correct": "oa1f"},
    )  # fmt: skip
    essay = services.question_create(
        bank=bank, kind="essay", prompt=ESSAY_PROMPT, points="4", tags=[], data={},
        key={"guidance": "One line."},
    )  # fmt: skip
    services.quiz_item_add(quiz=quiz, question=single, points="1")
    services.quiz_item_add(quiz=quiz, question=essay, points="4")
    return services.quiz_update(quiz=quiz, by=people.owner, published=True)


# --- who may open what ------------------------------------------------------------------

TEAM_PAGES = ("", "{quiz}/", "{quiz}/grading/", "{quiz}/results/")
TEAM_CODES = {
    "student": 403,
    "other_student": 403,
    "outsider": 403,
    "owner": 200,
    "instructor": 200,
    "ta": 200,
    "other_instructor": 403,
    "admin": 200,
}


@pytest.mark.parametrize("page", TEAM_PAGES)
def test_every_role_on_the_team_pages(people, course, markdown_quiz, page):
    url = f"/instructor/courses/{course.slug}/quizzes/" + page.format(quiz=markdown_quiz.pk)
    anonymous = browser(None).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for role, expected in TEAM_CODES.items():
        response = browser(people.user(role)).get(url)
        assert response.status_code == expected, role
        if expected == 200:  # the course hub's menu, this section current
            body = response.content.decode()
            assert 'class="course-nav"' in body
            assert re.search(r'href="[^"]+/quizzes/"\s+aria-current="page"', body), role


def test_foreign_quizzes_items_and_answers_are_404(people, course, markdown_quiz):
    other_course = make_course(people, enroll=("student",))
    foreign = build_quiz(other_course, people.owner, kinds=("single", "essay"))
    owner = browser(people.owner)
    base = f"/instructor/courses/{course.slug}/quizzes/"
    for page in ("{q}/", "{q}/grading/", "{q}/results/"):
        assert owner.get(base + page.format(q=foreign.pk)).status_code == 404, page
    item = foreign.items.first()
    with unchanged(foreign, counts=(QuizItem,)):
        removed = owner.post(f"{base}{markdown_quiz.pk}/items/{item.pk}/remove/")
    assert removed.status_code == 404
    attempt = _submit_with_essay(foreign, people.student)
    essay = attempt.answers.get(question__kind="essay")
    graded = owner.post(f"{base}{markdown_quiz.pk}/grading/{essay.pk}/", {"points": "1"})
    assert graded.status_code == 404
    essay.refresh_from_db()
    assert essay.points_awarded is None
    draft = make_course(people, published=False)
    assert (
        browser(people.other_instructor)
        .get(f"/instructor/courses/{draft.slug}/quizzes/")
        .status_code
        == 404
    )


WRITE_CODES = {
    "student": 403,
    "other_student": 403,
    "outsider": 403,
    "ta": 403,
    "other_instructor": 403,
    "owner": 302,
    "instructor": 302,
    "admin": 302,
}


@pytest.mark.parametrize(("role", "expected"), WRITE_CODES.items())
def test_who_may_add_a_question(people, course, markdown_quiz, role, expected):
    bank = QuestionBank.objects.get(course=course)
    url = f"/instructor/courses/{course.slug}/quizzes/{markdown_quiz.pk}/questions/"
    post = {
        "question-kind": "true_false",
        "question-bank": bank.pk,
        "question-prompt": f"Added by {role}",
        "question-points": "1",
        "question-true_false": "true",
    }
    before = markdown_quiz.items.count()
    assert browser(people.user(role)).post(url, post).status_code == expected
    assert markdown_quiz.items.count() == before + (1 if expected == 302 else 0)
    assert browser(None).post(url, post).status_code == 302  # to the login page
    assert markdown_quiz.items.count() == before + (1 if expected == 302 else 0)


TAKE_CODES = {
    "student": 200,
    "other_student": 200,
    "outsider": 404,
    "owner": 403,
    "instructor": 403,
    "ta": 403,
    "other_instructor": 404,
    "admin": 403,
}


def test_every_role_on_the_learner_pages(people, course, markdown_quiz):
    take = f"/quizzes/{markdown_quiz.pk}/take/"
    assert browser(None).get(take).status_code == 302
    for role, expected in TAKE_CODES.items():
        assert browser(people.user(role)).get(take).status_code == expected, role
    attempt = _submit_with_essay(markdown_quiz, people.student)
    url = f"/quizzes/attempts/{attempt.pk}/"
    assert browser(None).get(url).status_code == 302
    for role, expected in {
        "student": 200,
        "other_student": 404,
        "outsider": 404,
        "owner": 200,
        "instructor": 200,
        "ta": 200,
        "other_instructor": 404,
        "admin": 200,
    }.items():
        assert browser(people.user(role)).get(url).status_code == expected, role


# --- Markdown prompts, safely -------------------------------------------------------------


def _assert_rendered(response: Any, *fragments: str) -> None:
    body = response.content.decode()
    assert response.status_code == 200
    for fragment in fragments:
        assert fragment in body, fragment
    assert "<script>alert" not in body
    assert "onerror" not in body.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "**the capital**" not in body


def test_prompts_are_rendered_markdown_everywhere_and_never_run(people, course, markdown_quiz):
    base = f"/instructor/courses/{course.slug}/quizzes/{markdown_quiz.pk}/"
    owner = browser(people.owner)
    learner = browser(people.student)
    strong = "<strong>the capital</strong>"
    code = "<code>assert</code>"

    builder = owner.get(base)
    _assert_rendered(builder, strong, code, "&lt;script&gt;")
    summaries = re.findall(r'<span class="summary-text">(.*?)</span>', builder.content.decode())
    assert summaries[0].startswith("Which city is the capital?")  # plain text, no ** marks

    assert learner.post(f"/quizzes/{markdown_quiz.pk}/take/", {"start": "1"}).status_code == 302
    _assert_rendered(learner.get(f"/quizzes/{markdown_quiz.pk}/take/"), strong, code)

    attempt = Attempt.objects.get(quiz=markdown_quiz, user=people.student)
    essay = attempt.answers.get(question__kind="essay")
    services.attempt_answers_save(
        attempt=attempt, answers=[{"answer_id": essay.pk, "response": {"text": "Checks."}}]
    )
    services.attempt_submit(attempt=attempt)
    _assert_rendered(learner.get(f"/quizzes/attempts/{attempt.pk}/"), strong, code)
    _assert_rendered(owner.get(f"{base}grading/"), code)
    _assert_rendered(owner.get(f"{base}results/"), strong)


# --- words, not codes ---------------------------------------------------------------------


def test_pages_show_labels_not_internal_values(people, course, markdown_quiz):
    attempt = _submit_with_essay(markdown_quiz, people.student)
    owner = browser(people.owner)
    base = f"/instructor/courses/{course.slug}/quizzes/{markdown_quiz.pk}/"

    results = text_of(owner.get(f"{base}results/"))
    assert "Single choice" in results and "Paris: 1" in results
    assert "oa1f" not in results and " single " not in f" {results} "
    assert "No: waiting for grading" in results

    mine = text_of(browser(people.student).get(f"/quizzes/attempts/{attempt.pk}/"))
    assert "Status: Submitted" in mine and "submitted " not in mine.replace("(submitted", "")
    assert "Waiting for grading of 4.00 points" in mine

    builder = text_of(owner.get(base))
    assert "Score kept: Highest attempt" in builder
    assert "Results shown: After submitting" in builder
    assert "Paris (✓ correct)" in builder and "Lyon (wrong)" in builder
    for raw in ("after_submit", "all_or_nothing", "true_false", "highest"):
        assert raw not in builder, raw


# --- the builder ----------------------------------------------------------------------------


def test_the_builder_marks_each_kind_specific_field_and_lists_questions_compactly(people, course):
    quiz = build_quiz(course, people.owner)  # one question of every kind
    page = browser(people.owner).get(f"/instructor/courses/{course.slug}/quizzes/{quiz.pk}/")
    body = page.content.decode()
    assert body.count("<details>") == len(QUESTION_SPECS)  # one collapsed entry each
    assert 'src="/static/js/quiz-builder.js"' in body
    kinds = dict(re.findall(r'class="field field-(\w+)" data-kinds="([\w ]+)"', body))
    assert kinds == {
        "choices": "single multiple",
        "scoring": "multiple ordering",
        "penalty": "multiple",
        "true_false": "true_false",
        "answers": "short_text fill_blanks",
        "numeric_value": "numeric",
        "tolerance": "numeric",
        "tolerance_mode": "numeric",
        "pairs": "matching",
        "items": "ordering",
        "guidance": "essay",
    }
    # Without JavaScript every field shows, saying which kinds use it.
    assert "Used by: Single choice, Multiple choice." in text_of(page)


def test_a_refused_question_keeps_what_was_typed(people, course, markdown_quiz):
    bank = QuestionBank.objects.get(course=course)
    url = f"/instructor/courses/{course.slug}/quizzes/{markdown_quiz.pk}/questions/"
    typed = {
        "question-kind": "multiple",
        "question-bank": bank.pk,
        "question-prompt": "Pick the *primes*",
        "question-points": "3",
        "question-tags": "week2 primes",
        "question-choices": "2\n3\n4",  # no option marked correct
        "question-scoring": "partial",
        "question-penalty": "0.5",
    }
    with unchanged(markdown_quiz, counts=(Question, QuizItem)):
        refused = browser(people.owner).post(url, typed)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert '<option value="multiple" selected>' in body
    assert re.search(r">\s*Pick the \*primes\*</textarea>", body)
    assert re.search(r">\s*2\r?\n3\r?\n4</textarea>", body)
    assert 'value="week2 primes"' in body and 'value="0.5"' in body
    assert '<option value="partial" selected>' in body
    with unchanged(markdown_quiz, counts=(Question, QuizItem)):
        bad_points = browser(people.owner).post(url, {**typed, "question-points": "-1"})
    assert bad_points.status_code == 400
    assert 'value="-1"' in bad_points.content.decode()
    assert "greater than or equal to 0" in bad_points.content.decode()


# --- the take page's countdown ---------------------------------------------------------------


def test_a_timed_attempt_carries_the_server_deadline_and_clock(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single",), time_limit_minutes=10)
    attempt = _start(quiz, people.student)
    before = timezone.now()
    page = browser(people.student).get(f"/quizzes/{quiz.pk}/take/")
    after = timezone.now()
    body = page.content.decode()
    deadline = re.search(r'data-deadline="([^"]+)"', body).group(1)
    server_now = parse_datetime(re.search(r'data-server-now="([^"]+)"', body).group(1))
    assert deadline == attempt.deadline.isoformat(timespec="milliseconds")
    assert before - timedelta(milliseconds=1) <= server_now <= after
    assert 'role="timer"' in body and 'aria-live="polite"' in body
    assert re.search(r'role="timer"[^>]*>(9:5\d|10:00)<', body)  # the time left, server-side
    assert 'src="/static/js/quiz-countdown.js"' in body
    assert 'id="attempt-form"' in body and 'data-form="attempt-form"' in body


def test_an_untimed_attempt_has_no_countdown(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single",))
    _start(quiz, people.student)
    body = browser(people.student).get(f"/quizzes/{quiz.pk}/take/").content.decode()
    assert 'id="countdown"' not in body and "quiz-countdown.js" not in body


def test_answers_posted_within_the_grace_are_saved_and_submitted(people, course):
    """What the countdown does at time up: the form is posted with `submit`, a moment
    after the deadline; the server accepts it within QUIZ_GRACE_SECONDS."""
    quiz = build_quiz(course, people.owner, kinds=("single",), time_limit_minutes=5)
    attempt = _start(quiz, people.student)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=3))
    answer = attempt.answers.get()
    response = browser(people.student).post(
        f"/quizzes/{quiz.pk}/take/",
        {f"answer-{answer.pk}": answer.question.key["correct"], "submit": "1"},
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/quizzes/attempts/{attempt.pk}/"
    )
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == Decimal("2.00")


def test_answers_posted_after_the_grace_are_refused_and_the_attempt_submitted(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single",), time_limit_minutes=5)
    attempt = _start(quiz, people.student)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=2))
    answer = attempt.answers.get()
    client = browser(people.student)
    response = client.post(
        f"/quizzes/{quiz.pk}/take/",
        {f"answer-{answer.pk}": answer.question.key["correct"], "submit": "1"},
    )
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/"
    attempt.refresh_from_db()
    assert (attempt.status, attempt.auto_submitted, attempt.score) == (
        "submitted",
        True,
        Decimal("0.00"),
    )  # the late answer was not taken
    assert "Time ran out" in client.get(response["Location"]).content.decode()


def test_a_stale_submit_never_starts_a_new_attempt(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single",), max_attempts=3)
    attempt = _start(quiz, people.student)
    services.attempt_submit(attempt=attempt)
    with unchanged(quiz, counts=(Attempt,)):
        response = browser(people.student).post(f"/quizzes/{quiz.pk}/take/", {"submit": "1"})
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/"


# --- the gradebook's provisional mark, end to end -------------------------------------------


def test_a_pending_essay_makes_the_gradebook_provisional_until_graded(
    people, course, markdown_quiz
):
    attempt = _submit_with_essay(markdown_quiz, people.student)
    assert attempt.pending_count == 1 and attempt.score == Decimal("1.00")
    grid_url = f"/instructor/courses/{course.slug}/gradebook/"
    mine_url = f"/learn/courses/{course.slug}/grades/"
    row = re.compile(rf'<tr data-email="{re.escape(people.student.email)}">(.*?)</tr>', re.S)

    grid = browser(people.instructor).get(grid_url).content.decode()
    cells = row.search(grid).group(1)
    assert re.search(r"1\.00</a>\s*<span class=\"provisional\">\(provisional\)</span>", cells)
    assert re.search(
        r'class="course-grade">20\.00 % \(F\) <span class="provisional">\(provisional\)', cells
    )
    assert 'id="provisional-note"' in grid
    mine = text_of(browser(people.student).get(mine_url))
    assert "Course grade: 20.00% · F (provisional)" in mine
    assert "Markdown quiz: 1.00 / 5.00 · Graded (provisional)" in mine

    essay = attempt.answers.get(question__kind="essay")
    services.answer_grade(answer=essay, points=Decimal("4"), feedback="", by=people.ta)
    grid = browser(people.instructor).get(grid_url).content.decode()
    cells = row.search(grid).group(1)
    assert "provisional" not in cells and 'id="provisional-note"' not in grid
    assert 'class="course-grade">100.00 % (A)' in cells
    mine = text_of(browser(people.student).get(mine_url))
    assert "Course grade: 100.00% · A" in mine and "provisional" not in mine


# --- constant queries -------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm: session and cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_quiz_list_builder_queue_and_results_run_constant_queries(
    people, course, django_assert_num_queries
):
    """A quiz of 2 questions with 1 attempt, then one of 9 questions with 4 attempts (and
    more quizzes in the list): the same number of queries."""
    owner = browser(people.owner)
    base = f"/instructor/courses/{course.slug}/quizzes/"

    def pages(quiz: Quiz) -> tuple[str, ...]:
        return (base, f"{base}{quiz.pk}/", f"{base}{quiz.pk}/grading/", f"{base}{quiz.pk}/results/")

    small_quiz = build_quiz(course, people.owner, kinds=("single", "essay"))
    _submit_with_essay(small_quiz, people.student)
    small = [_queries(owner, url) for url in pages(small_quiz)]

    big_quiz = build_quiz(course, people.owner)  # every kind: 9 questions
    QuizItem.objects.filter(quiz=big_quiz, question__isnull=False).first()
    for n in range(4):
        learner = UserFactory(email=f"learner{n}@example.test")
        enrollment_create(user=learner, course=course)
        _submit_with_essay(big_quiz, learner)
    for url, count in zip(pages(big_quiz), small, strict=True):
        owner.get(url)
        with django_assert_num_queries(count):
            assert owner.get(url).status_code == 200
