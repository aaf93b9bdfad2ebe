"""What each side sees, as plain dicts, built by allow-list.

Learner-facing output copies only named fields (`id`, `text`) out of a question's `data`
and never reads `key` unless the quiz's correct-answers policy allows: even an author who
puts a stray `"correct": true` inside an option cannot leak it. Results (points,
feedback) appear only as the results policy allows. The API and the learner page use
these same functions.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from quizzes.models import Attempt, AttemptAnswer, Question, Quiz, QuizItem
from quizzes.permissions import answers_visible, results_visible

ENTRY_LISTS = {
    "single": ("options",),
    "multiple": ("options",),
    "matching": ("prompts", "choices"),
    "ordering": ("items",),
}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _entries(data: dict[str, Any], name: str, order: list[str] | None) -> list[dict[str, str]]:
    by_id = {
        str(e.get("id")): {"id": str(e.get("id")), "text": str(e.get("text", ""))}
        for e in data.get(name, [])
        if isinstance(e, dict)
    }
    ids = order if order else list(by_id)
    return [by_id[i] for i in ids if i in by_id]


def question_for_learner(answer: AttemptAnswer) -> dict[str, Any]:
    question = answer.question
    out: dict[str, Any] = {
        "answer_id": answer.pk,
        "position": answer.position + 1,
        "kind": question.kind,
        "prompt": question.prompt,
        "points": _money(answer.points_possible),
        "response": answer.response,
        "saved_at": answer.saved_at,
    }
    for name in ENTRY_LISTS.get(question.kind, ()):
        out[name] = _entries(question.data, name, (answer.order or {}).get(name))
    if question.kind == "multiple":
        out["scoring"] = question.data.get("scoring", "all_or_nothing")
    if question.kind == "fill_blanks":
        out["text"] = str(question.data.get("text", ""))
        out["blanks"] = [{"id": b["id"]} for b in _entries(question.data, "blanks", None)]
    return out


def attempt_for_learner(
    attempt: Attempt, answers: list[AttemptAnswer], *, now: datetime, staff: bool = False
) -> dict[str, Any]:
    """The attempt as its learner sees it (the team sees everything: `staff`)."""
    quiz = attempt.quiz
    out: dict[str, Any] = {
        "id": attempt.pk,
        "quiz": quiz.pk,
        "user": attempt.user_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "questions": [question_for_learner(a) for a in answers],
        "results": None,
    }
    show_answers = staff or answers_visible(quiz, attempt, now)
    if staff or results_visible(quiz, attempt, now):
        out["results"] = {
            "score": _money(attempt.score),
            "max_score": _money(attempt.max_score),
            "percent": _money(attempt.percent),
            "passed": attempt.passed,
            "final": attempt.is_final,
            "answers": [_answer_result(a, show_answers) for a in answers],
        }
    return out


def _answer_result(answer: AttemptAnswer, show_answers: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "answer_id": answer.pk,
        "points_awarded": _money(answer.points_awarded),
        "feedback": answer.feedback,
    }
    if show_answers:
        out["correct"] = (
            None
            if answer.points_awarded is None
            else answer.points_awarded >= answer.points_possible
        )
        out["key"] = answer.question.key
    return out


def autosave_out(attempt: Attempt, saved: list[AttemptAnswer]) -> dict[str, Any]:
    """The answer to an autosave: the attempt's clock and the rows the request named."""
    return {
        "id": attempt.pk,
        "status": attempt.status,
        "deadline": attempt.deadline,
        "answers": [
            {"answer_id": a.pk, "response": a.response, "saved_at": a.saved_at} for a in saved
        ],
    }


def attempt_summary(attempt: Attempt, *, now: datetime, staff: bool) -> dict[str, Any]:
    show = staff or results_visible(attempt.quiz, attempt, now)
    return {
        "id": attempt.pk,
        "user": attempt.user_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "score": _money(attempt.score) if show else None,
        "max_score": _money(attempt.max_score) if show else None,
        "passed": attempt.passed if show else None,
        "final": attempt.is_final if show else None,
    }


QUIZ_SETTINGS = (
    "time_limit_minutes",
    "max_attempts",
    "score_policy",
    "shuffle_questions",
    "shuffle_options",
    "opens_at",
    "closes_at",
    "due_at",
    "results_policy",
    "answers_policy",
    "published",
)


def quiz_out(quiz: Quiz, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": quiz.pk,
        "course": quiz.course_id,
        "lesson": quiz.lesson_id,
        "title": quiz.title,
        "instructions": quiz.instructions,
        "passing_score_percent": _money(quiz.passing_score_percent),
        **{name: getattr(quiz, name) for name in QUIZ_SETTINGS},
    }
    if hasattr(quiz, "question_count"):
        out["question_count"] = quiz.question_count
    out.update(extra or {})
    return out


def question_out(question: Question) -> dict[str, Any]:
    """For the course team: everything, the key included."""
    return {
        "id": question.pk,
        "bank": question.bank_id,
        "kind": question.kind,
        "prompt": question.prompt,
        "data": question.data,
        "key": question.key,
        "points": _money(question.points),
        "tags": [t.name for t in question.tags.all()],
    }


def item_out(item: QuizItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "position": item.position,
        "points": _money(item.points),
        "question": question_out(item.question) if item.question is not None else None,
        "draw": None
        if item.question_id
        else {
            "bank": item.draw_bank_id,
            "bank_title": item.draw_bank.title if item.draw_bank else None,
            "tag": item.draw_tag or None,
            "count": item.draw_count,
        },
    }


def queue_entry(answer: AttemptAnswer) -> dict[str, Any]:
    return {
        "answer_id": answer.pk,
        "attempt": answer.attempt_id,
        "learner": {"id": answer.attempt.user_id, "email": answer.attempt.user.email},
        "submitted_at": answer.attempt.submitted_at,
        "question": {"id": answer.question_id, "prompt": answer.question.prompt},
        "guidance": answer.question.key.get("guidance", ""),
        "response": answer.response,
        "points_possible": _money(answer.points_possible),
    }


# --- the builder's compact list (the course team only) ----------------------------------

SCORING_LABELS = {
    "all_or_nothing": "all or nothing",
    "partial": "partial credit",
    "per_position": "partial credit per position",
}
TOLERANCE_LABELS = {"absolute": "absolute", "relative": "relative to the value"}


def _accepted_text(alternatives: Any) -> str:
    parts = []
    for alternative in alternatives if isinstance(alternatives, list) else []:
        if isinstance(alternative, dict):
            text = str(alternative.get("text", ""))
            parts.append(f"/{text}/ (pattern)" if alternative.get("regex") else text)
    return ", ".join(parts) or "none"


def answer_key_lines(question: Question) -> list[str]:
    """The answer key in words, for the builder's list (the team sees keys anyway)."""
    data, key, kind = question.data or {}, question.key or {}, question.kind
    lines: list[str] = []
    if kind in ("single", "multiple"):
        correct = key.get("correct")
        chosen = set(correct) if isinstance(correct, list) else {correct}
        for option in _entries(data, "options", None):
            mark = "✓ correct" if option["id"] in chosen else "wrong"
            lines.append(f"{option['text']} ({mark})")
        if kind == "multiple":
            scoring = SCORING_LABELS.get(str(data.get("scoring")), "all or nothing")
            lines.append(f"Scoring: {scoring}, penalty {data.get('penalty', '1')} per wrong pick")
    elif kind == "true_false":
        lines.append(f"Correct answer: {'True' if key.get('correct') else 'False'}")
    elif kind == "short_text":
        lines.append(f"Accepted: {_accepted_text(key.get('accepted'))}")
    elif kind == "numeric":
        mode = str(key.get("mode") or "exact")
        if mode == "exact":
            lines.append(f"Answer: exactly {key.get('value')}")
        else:
            tolerance = f"± {key.get('tolerance')} ({TOLERANCE_LABELS.get(mode, mode)})"
            lines.append(f"Answer: {key.get('value')} {tolerance}")
    elif kind == "fill_blanks":
        blanks = key.get("blanks")
        for blank_id, alternatives in (blanks if isinstance(blanks, dict) else {}).items():
            lines.append(f"Blank [{blank_id}]: {_accepted_text(alternatives)}")
    elif kind == "matching":
        choices = {c["id"]: c["text"] for c in _entries(data, "choices", None)}
        pairs = key.get("pairs")
        pairs = pairs if isinstance(pairs, dict) else {}
        for prompt in _entries(data, "prompts", None):
            lines.append(f"{prompt['text']} → {choices.get(pairs.get(prompt['id'], ''), '?')}")
    elif kind == "ordering":
        texts = {i["id"]: i["text"] for i in _entries(data, "items", None)}
        order = key.get("order")
        order = order if isinstance(order, list) else []
        lines.extend(f"{n}. {texts.get(i, '?')}" for n, i in enumerate(order, start=1))
        lines.append(f"Scoring: {SCORING_LABELS.get(str(data.get('scoring')), 'all or nothing')}")
    elif kind == "essay":
        lines.append(f"Guidance for graders: {key.get('guidance') or 'none'}")
    return lines


def option_texts(questions: list[Question]) -> dict[int, dict[str, str]]:
    """{question id: {option id: text}} for the results page's pick counts."""
    return {
        q.pk: {o["id"]: o["text"] for o in _entries(q.data or {}, "options", None)}
        for q in questions
    }
