"""Instructor pages under /instructor/courses/<slug>/quizzes/: the course's quizzes and
banks, the quiz builder (settings, questions of every type, draws), the grading queue and
the results (score histogram, per-question statistics). A small learner page takes a
quiz through the same services as the API.

Thin views: reads through `quizzes.selectors`, decisions through `quizzes.permissions`
(the whole team sees and grades, TAs included; owners and instructors author), writes
through `quizzes.services`. A course the user may not see is a 404; a visible one they
may not act on is a 403. Plain POST forms with CSRF, post/redirect/get.
"""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from courses.permissions import can_teach
from courses.selectors import course_get_visible, lesson_list
from lms.errors import ServiceError
from quizzes import presenters, selectors, services
from quizzes.forms import (
    KIND_LABELS,
    BankForm,
    DrawForm,
    GradeForm,
    QuestionForm,
    QuizCreateForm,
    QuizSettingsForm,
)
from quizzes.models import Attempt, Quiz
from quizzes.permissions import can_author, learner_enrollment

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course


def _user(request: HttpRequest) -> "User":
    return cast("User", request.user)


def _course(request: HttpRequest, slug: str, *, author: bool = False) -> "Course":
    course = course_get_visible(slug=slug, user=request.user)  # 404 for drafts
    if not can_teach(request.user, course):
        raise PermissionDenied
    if author and not can_author(request.user, course):
        raise PermissionDenied
    return course


def _quiz(course: "Course", quiz_id: int) -> Quiz:
    return selectors.quiz_of_course(course=course, quiz_id=quiz_id)


def _refused(request: HttpRequest, error: ValidationError | ServiceError) -> None:
    if isinstance(error, ServiceError):
        messages.error(request, error.message)
        return
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            label = "" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: "
            for text in texts:
                messages.error(request, f"{label}{text}")
    else:
        for text in error.messages:
            messages.error(request, text)


def _builder_url(quiz: Quiz) -> str:
    return reverse("quizzes:builder", kwargs={"slug": quiz.course.slug, "quiz_id": quiz.pk})


# Every team page needs a login; which course role may act is checked in `_course`.
team_page = login_required


# --- quizzes and banks ------------------------------------------------------------------


@team_page
def quiz_list(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    quiz_form = QuizCreateForm(
        request.POST if "create_quiz" in request.POST else None, prefix="quiz"
    )
    bank_form = BankForm(request.POST if "create_bank" in request.POST else None, prefix="bank")
    if request.method == "POST":
        if not can_author(request.user, course):
            raise PermissionDenied
        try:
            if quiz_form.is_bound and quiz_form.is_valid():
                quiz = services.quiz_create(
                    course=course, by=_user(request), title=quiz_form.cleaned_data["title"]
                )
                messages.success(request, "Quiz created (unpublished).")
                return redirect(_builder_url(quiz))
            if bank_form.is_bound and bank_form.is_valid():
                services.bank_create(course=course, title=bank_form.cleaned_data["title"])
                messages.success(request, "Question bank created.")
                return redirect(request.path)
        except ValidationError as error:
            _refused(request, error)
    return render(
        request,
        "quizzes/quiz_list.html",
        {
            "course": course,
            "quizzes": selectors.quizzes_with_queue(course=course).order_by("id"),
            "banks": selectors.bank_list(course=course),
            "quiz_form": quiz_form,
            "bank_form": bank_form,
            "can_author": can_author(request.user, course),
        },
        status=400 if request.method == "POST" else 200,
    )


def _builder_context(request: HttpRequest, quiz: Quiz, **forms: Any) -> dict[str, Any]:
    course = quiz.course
    banks = selectors.bank_list(course=course)
    bank_titles = {bank.pk: bank.title for bank in banks}
    lessons = lesson_list(course=course)
    items = selectors.quiz_items(quiz=quiz)
    for item in items:  # the compact list: the answer key in words, the bank by name
        if item.question is not None:
            item.key_lines = presenters.answer_key_lines(item.question)  # type: ignore[attr-defined]
            item.bank_title = bank_titles.get(item.question.bank_id, "")  # type: ignore[attr-defined]
    return {
        "course": course,
        "quiz": quiz,
        "items": items,
        "points_possible": services.points_possible(quiz),
        "settings_form": forms.get("settings_form")
        or QuizSettingsForm(instance=quiz, lessons=lessons),
        "question_form": forms.get("question_form") or QuestionForm(banks=banks, prefix="question"),
        "draw_form": forms.get("draw_form") or DrawForm(banks=banks, prefix="draw"),
        "has_banks": bool(bank_titles),
        "can_author": can_author(request.user, course),
    }


@team_page
def quiz_builder(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    """Settings (POST here), items, and the forms to add questions and draws."""
    course = _course(request, slug)
    quiz = _quiz(course, quiz_id)
    if request.method != "POST":
        return render(request, "quizzes/quiz_builder.html", _builder_context(request, quiz))
    if not can_author(request.user, course):
        raise PermissionDenied
    lessons = lesson_list(course=course)
    form = QuizSettingsForm(request.POST, instance=Quiz.objects.get(pk=quiz.pk), lessons=lessons)
    if form.is_valid():
        try:
            services.quiz_update(quiz=quiz, by=_user(request), **form.service_fields())
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect(_builder_url(quiz))
    context = _builder_context(request, quiz, settings_form=form)
    return render(request, "quizzes/quiz_builder.html", context, status=400)


@team_page
@require_POST
def question_add(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    """A new question in a bank, added to the quiz as a fixed question."""
    course = _course(request, slug, author=True)
    quiz = _quiz(course, quiz_id)
    form = QuestionForm(request.POST, banks=selectors.bank_list(course=course), prefix="question")
    if form.is_valid():
        data, key = form.definition()
        try:
            services.quiz_question_add(
                quiz=quiz,
                bank=form.cleaned_data["bank"],
                kind=form.cleaned_data["kind"],
                prompt=form.cleaned_data["prompt"],
                data=data,
                key=key,
                points=form.cleaned_data["points"],
                tags=form.tag_list(),
            )
        except (ValidationError, ServiceError) as error:
            _refused(request, error)
        else:
            messages.success(request, "Question added.")
            return redirect(_builder_url(quiz) + "#items")
    context = _builder_context(request, quiz, question_form=form)
    return render(request, "quizzes/quiz_builder.html", context, status=400)


@team_page
@require_POST
def draw_add(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, slug, author=True)
    quiz = _quiz(course, quiz_id)
    form = DrawForm(request.POST, banks=selectors.bank_list(course=course), prefix="draw")
    if form.is_valid():
        try:
            services.quiz_item_add(
                quiz=quiz,
                draw_bank=form.cleaned_data["bank"],
                draw_tag=form.cleaned_data["tag"],
                draw_count=form.cleaned_data["count"],
                points=form.cleaned_data["points"],
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, "Random draw added.")
            return redirect(_builder_url(quiz) + "#items")
    else:
        messages.error(request, "A draw needs a count from 1 to 100 and points of 0 or more.")
    return redirect(_builder_url(quiz))


@team_page
@require_POST
def item_remove(request: HttpRequest, slug: str, quiz_id: int, item_id: int) -> HttpResponse:
    course = _course(request, slug, author=True)
    quiz = _quiz(course, quiz_id)
    item = selectors.quiz_item_get(item_id=item_id, quiz=quiz)
    services.quiz_item_remove(item=item)
    messages.success(request, "Removed from the quiz.")
    return redirect(_builder_url(quiz) + "#items")


# --- grading and results ----------------------------------------------------------------


@team_page
def grading_queue(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, slug)
    quiz = _quiz(course, quiz_id)
    entries = [presenters.queue_entry(a) for a in selectors.grading_queue(quiz=quiz)[:50]]
    return render(
        request,
        "quizzes/grading_queue.html",
        {"course": course, "quiz": quiz, "entries": entries, "form": GradeForm()},
    )


@team_page
@require_POST
def answer_grade(request: HttpRequest, slug: str, quiz_id: int, answer_id: int) -> HttpResponse:
    course = _course(request, slug)
    quiz = _quiz(course, quiz_id)
    answer = selectors.attempt_answer_get(answer_id=answer_id, user=request.user)
    if answer.attempt.quiz_id != quiz.pk:
        raise Http404
    form = GradeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give points as a number (and optional feedback).")
    else:
        try:
            services.answer_grade(
                answer=answer,
                points=form.cleaned_data["points"],
                feedback=form.cleaned_data["feedback"],
                by=_user(request),
            )
        except (ValidationError, ServiceError) as error:
            _refused(request, error)
        else:
            messages.success(request, f"Graded: {form.cleaned_data['points']} points.")
    return redirect(reverse("quizzes:grading", kwargs={"slug": course.slug, "quiz_id": quiz.pk}))


@team_page
def results(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, slug)
    quiz = _quiz(course, quiz_id)
    stats = selectors.quiz_statistics(quiz=quiz)
    peak = max((b["count"] for b in stats["histogram"]), default=0) or 1
    for row in stats["histogram"]:
        row["height"] = round(row["count"] * 100 / peak)
    # Pick counts are keyed by option id: people read the option's text instead.
    questions = selectors.questions_of_course(
        course=course, ids=[q["question_id"] for q in stats["questions"] if q["option_counts"]]
    )
    texts = presenters.option_texts(questions)
    for q in stats["questions"]:
        q["kind_label"] = KIND_LABELS.get(q["kind"], q["kind"])
        names = texts.get(q["question_id"], {})
        q["picks"] = [
            (names.get(option, "an option since removed"), n)
            for option, n in q["option_counts"].items()
        ]
    attempts = selectors.attempts_submitted(quiz=quiz)[:100]
    return render(
        request,
        "quizzes/results.html",
        {"course": course, "quiz": quiz, "stats": stats, "attempts": attempts},
    )


# --- a learner takes a quiz -------------------------------------------------------------


def _posted_response(request: HttpRequest, answer: Any) -> dict[str, Any] | None:
    """The form fields of one question -> its response shape (see quizzes.grading)."""
    name = f"answer-{answer.pk}"
    kind = answer.question.kind
    post = request.POST
    if kind == "single":
        return {"choice": post[name]} if post.get(name) else None
    if kind == "multiple":
        return {"choices": post.getlist(name)} if post.getlist(name) else None
    if kind == "true_false":
        return {"value": post[name] == "true"} if post.get(name) in ("true", "false") else None
    if kind in ("short_text", "essay"):
        return {"text": post[name]} if post.get(name, "").strip() else None
    if kind == "numeric":
        return {"value": post[name]} if post.get(name, "").strip() else None
    entries = {
        key.removeprefix(f"{name}-"): value
        for key, value in post.items()
        if key.startswith(f"{name}-") and value
    }
    if not entries:
        return None
    if kind == "fill_blanks":
        return {"blanks": entries}
    if kind == "matching":
        return {"pairs": entries}
    if kind == "ordering":  # fields answer-<id>-<position> -> item id
        return {"order": [entries[k] for k in sorted(entries, key=int)]}
    return None


def _clock(seconds: int) -> str:
    """12:05 or 1:02:05: the time left as the countdown shows it."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def _attempt_url(attempt: Attempt) -> str:
    return reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})


@login_required
def take(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """A plain page over the same services: start (a POST), answer, save, submit.

    A timed attempt carries its deadline and the server's "now" (ISO 8601) for the
    countdown (static/js/quiz-countdown.js), which submits the form when time is up.
    The server stays the judge: answers are accepted until the deadline plus
    QUIZ_GRACE_SECONDS, after which the attempt is submitted with what was saved."""
    quiz = selectors.quiz_get(quiz_id=quiz_id, user=request.user)
    enrollment = learner_enrollment(request.user, quiz)
    if enrollment is None:
        raise PermissionDenied
    now = timezone.now()
    attempt = selectors.attempt_in_progress(quiz=quiz, user=request.user)
    if attempt is not None:
        attempt = services.attempt_expire_if_due(attempt=attempt, now=now)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            messages.info(request, "Time ran out: your saved answers were submitted.")
            return redirect(_attempt_url(attempt))
        attempt.quiz = quiz
    if request.method == "POST":
        if attempt is None and "start" not in request.POST:
            # Answers posted for an attempt that is no longer in progress (submitted in
            # another tab, say): never start a new attempt by accident.
            messages.info(request, "This attempt is no longer in progress: it was submitted.")
            latest = selectors.attempt_list(quiz=quiz, user=request.user).last()
            return redirect(_attempt_url(latest) if latest else request.path)
        try:
            if attempt is None:
                services.attempt_start(quiz=quiz, user=_user(request), enrollment=enrollment)
                return redirect(request.path)
            answers = [
                {"answer_id": answer.pk, "response": _posted_response(request, answer)}
                for answer in selectors.attempt_answers(attempt=attempt)
            ]
            services.attempt_answers_save(attempt=attempt, answers=answers)
            if "submit" in request.POST:
                services.attempt_submit(attempt=attempt)
                messages.success(request, "Submitted.")
                return redirect(_attempt_url(attempt))
            messages.success(request, "Saved.")
        except (ValidationError, ServiceError) as error:
            _refused(request, error)
            deadline_passed = isinstance(error, ServiceError) and error.code == "deadline_passed"
            if deadline_passed and attempt is not None:
                return redirect(_attempt_url(attempt))  # the service submitted it
        return redirect(request.path)
    context: dict[str, Any] = {
        "quiz": quiz,
        "me": selectors.learner_state(quiz=quiz, user=request.user),
    }
    if attempt is not None:
        context["attempt"] = presenters.attempt_for_learner(
            attempt, selectors.attempt_answers(attempt=attempt), now=now
        )
        if attempt.deadline is not None:
            context["countdown"] = {
                "deadline": attempt.deadline.isoformat(timespec="milliseconds"),
                "now": now.isoformat(timespec="milliseconds"),
                "left": _clock(int((attempt.deadline - now).total_seconds())),
            }
    return render(request, "quizzes/take.html", context)


@login_required
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = selectors.attempt_get(attempt_id=attempt_id, user=request.user)
    quiz = attempt.quiz
    attempt = services.attempt_expire_if_due(attempt=attempt)
    attempt.quiz = quiz
    body = presenters.attempt_for_learner(
        attempt,
        selectors.attempt_answers(attempt=attempt),
        now=timezone.now(),
        staff=can_teach(request.user, quiz.course),
    )
    results = {r["answer_id"]: r for r in (body["results"] or {}).get("answers", [])}
    rows = [{"question": q, "result": results.get(q["answer_id"])} for q in body["questions"]]
    return render(
        request,
        "quizzes/attempt.html",
        {
            "quiz": quiz,
            "attempt": body,
            "rows": rows,
            "status_label": Attempt.Status(attempt.status).label,
        },
    )
