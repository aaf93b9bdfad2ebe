"""The data of the quizzes and assignments scenarios (bench/runner/app_scenarios.py),
prepared in the seeded bench database through the apps' own services (the seed knows
nothing of these apps).

`app_prepare(data)` runs on every bench/run, before the server starts. In the hottest
published courses (3, like the roster scenarios) it finds or creates, each keyed by a
fixed title:

- gradebook categories "Assignments" (weight 60) and "Quizzes" (weight 40);
- a published quiz of 10 automatically graded questions of 8 kinds, no time limit (an
  attempt in progress never expires, so the data stays valid between runs at full);
- an assignment with a two-criterion rubric (graded), and one that accepts many
  resubmissions (handed in by the write scenario);
- for the first `data.learners` seated learners of those courses (by enrollment id, so
  they fill the gradebook's first page): an attempt in progress with half its answers
  saved, and a submission graded with the rubric (three of four released, the rest a
  draft).

What exists is left alone, so a second run creates nothing. Everything is deterministic
except what the services draw themselves (an attempt's seed, hence its option order).
Nothing here completes a lesson or touches an enrollment, so the other scenarios' data
(fresh completion pairs, rollups) is unchanged.
"""

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from accounts.models import User
from assignments import services as assignment_services
from assignments.models import Assignment, Grade, GradeCategory, Submission
from courses.models import Course
from enrollments.models import Enrollment
from quizzes import services as quiz_services
from quizzes.models import Attempt, AttemptAnswer, Quiz

if TYPE_CHECKING:  # scenarios.py may import this module's callers
    from bench.runner.scenarios import Dataset

COURSES = 3
QUIZ_TITLE = "Bench quiz: autosave and resume"
BANK_TITLE = "Bench questions"
ASSIGNMENT_TITLE = "Bench assignment: rubric"
RESUBMIT_TITLE = "Bench assignment: drafts handed in again"
RESUBMISSIONS = 30000  # PositiveSmallIntegerField: room for many runs at full
CATEGORIES = (("Assignments", Decimal("60")), ("Quizzes", Decimal("40")))

# (kind, prompt, data, key, points): ids fixed so that responses can name them.
QUESTIONS: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    ("single", "What does `len('abc')` return?",
     {"options": [{"id": "a3", "text": "3"}, {"id": "a2", "text": "2"},
                  {"id": "ax", "text": "'abc'"}]},
     {"correct": "a3"}, "1"),
    ("multiple", "Which of these are immutable?",
     {"options": [{"id": "tu", "text": "tuple"}, {"id": "li", "text": "list"},
                  {"id": "st", "text": "str"}, {"id": "di", "text": "dict"}],
      "scoring": "partial", "penalty": "1"},
     {"correct": ["tu", "st"]}, "2"),
    ("true_false", "`None` is falsy.", {}, {"correct": True}, "1"),
    ("short_text", "Which keyword defines a function?", {},
     {"accepted": [{"text": "def"}]}, "1"),
    ("numeric", "What is `7 / 2`?", {}, {"value": "3.5", "tolerance": "0", "mode": "exact"}, "1"),
    ("fill_blanks", "Complete: `for x __ range(3): ____`",
     {"text": "for x [b1] range(3): [b2]", "blanks": [{"id": "b1"}, {"id": "b2"}]},
     {"blanks": {"b1": [{"text": "in"}], "b2": [{"text": "pass"}, {"text": "continue"}]}}, "2"),
    ("matching", "Match each type with a literal.",
     {"prompts": [{"id": "pl", "text": "list"}, {"id": "pd", "text": "dict"},
                  {"id": "ps", "text": "set"}],
      "choices": [{"id": "cl", "text": "[1]"}, {"id": "cd", "text": "{'a': 1}"},
                  {"id": "cs", "text": "{1}"}]},
     {"pairs": {"pl": "cl", "pd": "cd", "ps": "cs"}}, "3"),
    ("ordering", "Order from smallest to largest.",
     {"items": [{"id": "r1", "text": "1"}, {"id": "r2", "text": "10"},
                {"id": "r3", "text": "100"}], "scoring": "per_position"},
     {"order": ["r1", "r2", "r3"]}, "2"),
    ("single", "Which statement leaves a loop?",
     {"options": [{"id": "br", "text": "break"}, {"id": "co", "text": "continue"},
                  {"id": "pa", "text": "pass"}]},
     {"correct": "br"}, "1"),
    ("true_false", "Strings can be changed in place.", {}, {"correct": False}, "1"),
]  # fmt: skip
# Saved at preparation: half the questions (by position), as a learner halfway through.
PREPARED_ANSWERS: dict[int, dict[str, Any]] = {
    0: {"choice": "a3"},
    1: {"choices": ["tu"]},
    2: {"value": True},
    5: {"blanks": {"b1": "in"}},
    7: {"order": ["r2", "r1", "r3"]},
}
# The autosave scenario alternates two edits of three answers, so a save changes rows.
AUTOSAVE_EDITS: list[dict[int, dict[str, Any]]] = [
    {3: {"text": "def"}, 4: {"value": "3.5"}, 6: {"pairs": {"pl": "cl", "pd": "cd"}}},
    {3: {"text": "lambda"}, 4: {"value": "3"}, 6: {"pairs": {"pl": "cd", "pd": "cl"}}},
]
RUBRIC = [
    {"id": "correct", "title": "Correct results", "levels": [
        {"id": "some", "title": "Some right", "points": "20"},
        {"id": "most", "title": "Most right", "points": "45"},
        {"id": "all", "title": "All right", "points": "70"},
    ]},
    {"id": "clear", "title": "Readable", "levels": [
        {"id": "messy", "title": "Hard to follow", "points": "5"},
        {"id": "clean", "title": "Clean and commented", "points": "30"},
    ]},
]  # fmt: skip
SELECTIONS = [
    {"correct": "all", "clear": "clean"},
    {"correct": "most", "clear": "clean"},
    {"correct": "some", "clear": "messy"},
    {"correct": "most", "clear": "messy"},
]


@dataclass
class BenchCourse:
    slug: str
    owner: int
    quiz: int
    assignment: int
    resubmit: int


@dataclass
class BenchLearner:
    user: int
    slug: str
    quiz: int
    attempt: int
    answers: dict[int, int]  # question position -> attempt answer id
    submission: int
    released: bool  # its current grade is released (else a draft, left alone)
    selection: int  # the index in SELECTIONS it was first graded with
    resubmit: int  # the resubmission assignment's id


@dataclass
class AppData:
    courses: list[BenchCourse] = field(default_factory=list)
    learners: list[BenchLearner] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # what this run wrote
    seconds: float = 0.0


def _count(created: dict[str, int], name: str, n: int = 1) -> None:
    created[name] = created.get(name, 0) + n


def _hot_courses() -> list[tuple[Course, User]]:
    # The roster scenarios' hot courses: the most learners first.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, s.user_id FROM courses_course c JOIN courses_coursestaff s"
            " ON s.course_id = c.id AND s.role = 'owner' WHERE c.status = 'published'"
            " ORDER BY c.enrollment_count DESC, c.id LIMIT %s",
            [COURSES],
        )
        rows = cursor.fetchall()
    courses = Course.objects.in_bulk([int(r[0]) for r in rows])
    owners = User.objects.in_bulk([int(r[1]) for r in rows])
    return [(courses[int(c)], owners[int(o)]) for c, o in rows]


def _categories(course: Course, owner: User, created: dict[str, int]) -> GradeCategory:
    existing = {c.name: c for c in GradeCategory.objects.filter(course=course)}
    for name, weight in CATEGORIES:
        if name not in existing:
            existing[name] = assignment_services.category_create(
                course_id=course.pk, name=name, weight=weight, by=owner
            )
            _count(created, "categories")
    return existing["Assignments"]


def _quiz(course: Course, owner: User, created: dict[str, int]) -> Quiz:
    quiz = Quiz.objects.filter(course=course, title=QUIZ_TITLE).first()
    if quiz is not None:
        return quiz
    bank = quiz_services.bank_create(course=course, title=BANK_TITLE)
    quiz = quiz_services.quiz_create(
        course=course,
        by=owner,
        title=QUIZ_TITLE,
        instructions="Ten questions, no time limit; your best attempt counts.",
        max_attempts=3,
        passing_score_percent=60,
        shuffle_options=True,
        results_policy=Quiz.Reveal.AFTER_SUBMIT,
        answers_policy=Quiz.Reveal.AFTER_SUBMIT,
        published=True,
    )
    for kind, prompt, data, key, points in QUESTIONS:
        quiz_services.quiz_question_add(
            quiz=quiz, bank=bank, kind=kind, prompt=prompt, data=data, key=key, points=points
        )
    _count(created, "quizzes")
    return quiz


def _assignment(
    course: Course, owner: User, category: GradeCategory, created: dict[str, int], *, title: str
) -> Assignment:
    assignment = Assignment.objects.filter(course=course, title=title).first()
    if assignment is not None:
        return assignment
    rubric = title == ASSIGNMENT_TITLE
    assignment = assignment_services.assignment_create(
        course=course,
        by=owner,
        title=title,
        instructions="Answer the five questions in `questions.txt` with SQL.",
        category=category,
        allow_text=True,
        points_possible=Decimal("100"),
        max_resubmissions=0 if rubric else RESUBMISSIONS,
        rubric=RUBRIC if rubric else [],
        is_published=True,
    )
    _count(created, "assignments")
    return assignment


def is_released(index: int) -> bool:
    """Three of four graded submissions are released, the fourth stays a draft."""
    return index % 4 != 3


def _seated(course: Course, count: int) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(course=course, status__in=Enrollment.SEATED)
        .select_related("user")
        .order_by("id")[:count]
    )


def _learner_work(
    *,
    index: int,
    enrollment: Enrollment,
    quiz: Quiz,
    assignment: Assignment,
    owner: User,
    attempts: dict[int, Attempt],
    submissions: dict[int, Submission],
    created: dict[str, int],
) -> None:
    user = enrollment.user
    if user.pk not in attempts:
        attempt, _ = quiz_services.attempt_start(quiz=quiz, user=user, enrollment=enrollment)
        rows = dict(AttemptAnswer.objects.filter(attempt=attempt).values_list("position", "pk"))
        quiz_services.attempt_answers_save(
            attempt=attempt,
            answers=[{"answer_id": rows[p], "response": r} for p, r in PREPARED_ANSWERS.items()],
        )
        attempts[user.pk] = attempt
        _count(created, "attempts")
    if user.pk not in submissions:
        submission = assignment_services.submission_create(
            assignment=assignment,
            user=user,
            text=f"My answers to the five questions, as queries with comments ({user.pk}).",
        )
        assignment_services.grade_submission(
            submission=submission,
            by=owner,
            rubric_selections=SELECTIONS[index % len(SELECTIONS)],
            feedback="Clear work." if is_released(index) else "",
            release=is_released(index),
        )
        submissions[user.pk] = submission
        _count(created, "graded submissions")


def app_prepare(data: "Dataset") -> AppData:
    """Finds or creates the courses' quiz, assignments, categories and the learners'
    attempts and graded submissions (see the module docstring)."""
    started = time.monotonic()
    out = AppData()
    hot = _hot_courses()
    for position, (course, owner) in enumerate(hot):
        share = data.learners // len(hot) + (position < data.learners % len(hot))
        with transaction.atomic():  # a course is prepared whole or not at all
            category = _categories(course, owner, out.created)
            quiz = _quiz(course, owner, out.created)
            assignment = _assignment(course, owner, category, out.created, title=ASSIGNMENT_TITLE)
            resubmit = _assignment(course, owner, category, out.created, title=RESUBMIT_TITLE)
            seated = _seated(course, share)
            user_ids = [e.user_id for e in seated]
            attempts = {
                a.user_id: a
                for a in Attempt.objects.filter(
                    quiz=quiz, user_id__in=user_ids, status=Attempt.Status.IN_PROGRESS
                )
            }
            submissions = {
                s.user_id: s
                for s in Submission.objects.filter(assignment=assignment, user_id__in=user_ids)
            }
            for index, enrollment in enumerate(seated):
                _learner_work(
                    index=index,
                    enrollment=enrollment,
                    quiz=quiz,
                    assignment=assignment,
                    owner=owner,
                    attempts=attempts,
                    submissions=submissions,
                    created=out.created,
                )
        out.courses.append(BenchCourse(course.slug, owner.pk, quiz.pk, assignment.pk, resubmit.pk))
        answer_ids: dict[int, dict[int, int]] = {}
        for attempt_id, answer_id, position_in in AttemptAnswer.objects.filter(
            attempt_id__in=[attempts[u].pk for u in user_ids]
        ).values_list("attempt_id", "pk", "position"):
            answer_ids.setdefault(attempt_id, {})[position_in] = answer_id
        released = set(
            Grade.objects.filter(
                submission__in=[submissions[u].pk for u in user_ids],
                is_current=True,
                status=Grade.Status.RELEASED,
            ).values_list("submission_id", flat=True)
        )
        out.learners += [
            BenchLearner(
                user=user_id,
                slug=course.slug,
                quiz=quiz.pk,
                attempt=attempts[user_id].pk,
                answers=answer_ids[attempts[user_id].pk],
                submission=submissions[user_id].pk,
                released=submissions[user_id].pk in released,
                selection=index % len(SELECTIONS),
                resubmit=resubmit.pk,
            )
            for index, user_id in enumerate(user_ids)
        ]
    out.seconds = time.monotonic() - started
    return out


# --- the current state, read when a write scenario is built ----------------------------


def current_selections(submission_ids: list[int]) -> dict[int, int]:
    """Submission id -> the index in SELECTIONS of its current grade (-1: another one)."""
    return {
        submission_id: SELECTIONS.index(chosen) if chosen in SELECTIONS else -1
        for submission_id, chosen in Grade.objects.filter(
            submission_id__in=submission_ids, is_current=True
        ).values_list("submission_id", "rubric_selections")
    }


def current_edits(attempt_ids: list[int]) -> dict[int, int]:
    """Attempt id -> the index in AUTOSAVE_EDITS its saved answers match (-1: none)."""
    position = next(iter(AUTOSAVE_EDITS[0]))
    return {
        attempt_id: next(
            (i for i, edit in enumerate(AUTOSAVE_EDITS) if edit[position] == response), -1
        )
        for attempt_id, response in AttemptAnswer.objects.filter(
            attempt_id__in=attempt_ids, position=position
        ).values_list("attempt_id", "response")
    }
