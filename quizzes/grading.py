"""The grading engine: pure functions, no database.

Each question kind has a definition (`data`: what learners see; `key`: the answer key), a
response shape, and a rule giving the share of the points earned as an exact `Fraction`
in [0, 1]. Points are then `points x share`, rounded half up to cents once, at the end,
so partial credit is exact arithmetic and never drifts.

The shapes of each kind's `data`, `key` and learner `response` are serializers in
`quizzes.payloads` (which validates them, and documents them in OpenAPI); the rules
here read values of those shapes.

Multiple choice, partial: share = max(0, (right picks - penalty x wrong picks) / number
of correct options); `penalty` (default 1) is the share of one right pick that a wrong
pick takes away. Short text: trimmed, case-insensitive unless `case_sensitive`; a
`regex` answer must match the whole trimmed response. Numeric: |r - v| <= tolerance
(absolute) or <= tolerance x |v| (relative), edges included, exact decimals.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError

KINDS = (
    "single",
    "multiple",
    "true_false",
    "short_text",
    "numeric",
    "fill_blanks",
    "matching",
    "ordering",
    "essay",
)
MANUAL_KINDS = frozenset({"essay"})
SHORT_TEXT_MAX = 1000
ESSAY_MAX = 20000
MAX_OPTIONS = 50
CENT = Fraction(1, 100)


@dataclass(frozen=True)
class Grade:
    """`share` None: a human grades it (essays)."""

    share: Fraction | None

    @property
    def manual(self) -> bool:
        return self.share is None


def points_for(points: Decimal, share: Fraction) -> Decimal:
    """points x share, rounded half up to cents (points and share are never negative)."""
    exact = Fraction(points) * share
    cents = (exact / CENT + Fraction(1, 2)).__floor__()
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


# --- matching rules ---------------------------------------------------------------------


def text_matches(response: str, accepted: dict[str, Any]) -> bool:
    given = response.strip()
    expected = str(accepted.get("text", ""))
    case_sensitive = bool(accepted.get("case_sensitive", False))
    if accepted.get("regex"):
        flags = 0 if case_sensitive else re.IGNORECASE
        try:
            return re.fullmatch(expected, given, flags) is not None
        except re.error:
            return False  # definitions are validated; an old bad pattern matches nothing
    if case_sensitive:
        return given == expected.strip()
    return given.casefold() == expected.strip().casefold()


def any_text_matches(response: Any, accepted: list[dict[str, Any]]) -> bool:
    return isinstance(response, str) and any(text_matches(response, a) for a in accepted)


def to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def numeric_matches(response: Any, key: dict[str, Any]) -> bool:
    given = to_decimal(response)
    value = to_decimal(key.get("value"))
    if given is None or value is None:
        return False
    mode = key.get("mode", "exact")
    tolerance = to_decimal(key.get("tolerance")) or Decimal(0)
    difference = abs(given - value)
    if mode == "absolute":
        return difference <= tolerance
    if mode == "relative":
        return difference <= tolerance * abs(value)
    return difference == 0


# --- shares per kind ----------------------------------------------------------------------


def _share(kind: str, data: dict[str, Any], key: dict[str, Any], r: dict[str, Any]) -> Fraction:
    if kind == "single":
        return Fraction(int(r.get("choice") == key.get("correct")))
    if kind == "true_false":
        value = r.get("value")
        return Fraction(int(isinstance(value, bool) and value == key.get("correct")))
    if kind == "multiple":
        correct = set(key.get("correct", []))
        picked = set(r.get("choices") or [])
        if data.get("scoring", "all_or_nothing") != "partial":
            return Fraction(int(picked == correct))
        right = len(picked & correct)
        wrong = len(picked - correct)
        penalty = Fraction(str(data.get("penalty", "1")))
        return (
            max(Fraction(0), (right - penalty * wrong) / len(correct)) if correct else Fraction(0)
        )
    if kind == "short_text":
        return Fraction(int(any_text_matches(r.get("text"), key.get("accepted", []))))
    if kind == "numeric":
        return Fraction(int(numeric_matches(r.get("value"), key)))
    if kind == "fill_blanks":
        blanks: dict[str, list[dict[str, Any]]] = key.get("blanks", {})
        given = r.get("blanks") or {}
        if not blanks:
            return Fraction(0)
        hits = sum(any_text_matches(given.get(bid), acc) for bid, acc in blanks.items())
        return Fraction(hits, len(blanks))
    if kind == "matching":
        pairs: dict[str, str] = key.get("pairs", {})
        given = r.get("pairs") or {}
        if not pairs:
            return Fraction(0)
        hits = sum(given.get(prompt) == choice for prompt, choice in pairs.items())
        if data.get("scoring", "partial") == "all_or_nothing":
            return Fraction(int(hits == len(pairs)))
        return Fraction(hits, len(pairs))
    if kind == "ordering":
        order: list[str] = key.get("order", [])
        given_order = r.get("order") or []
        if not order:
            return Fraction(0)
        if data.get("scoring", "all_or_nothing") == "per_position":
            hits = sum(
                1 for i, item in enumerate(order) if i < len(given_order) and given_order[i] == item
            )
            return Fraction(hits, len(order))
        return Fraction(int(list(given_order) == list(order)))
    raise ValueError(f"not an automatically graded kind: {kind}")


def auto_share(kind: str, data: dict[str, Any], key: dict[str, Any], response: Any) -> Fraction:
    """The share of an automatically graded kind (ValueError for essays)."""
    if not isinstance(response, dict):
        return Fraction(0)
    return _share(kind, data, key, response)


def grade(kind: str, data: dict[str, Any], key: dict[str, Any], response: Any) -> Grade:
    """The share earned by `response` (None or {} for no answer: 0, except essays)."""
    if kind in MANUAL_KINDS:
        return Grade(None)
    return Grade(auto_share(kind, data, key, response))


def is_full_credit(share: Fraction | None) -> bool | None:
    return None if share is None else share == 1


# --- definitions ------------------------------------------------------------------------


def _ids(items: Any, attr: str, errors: dict[str, str]) -> list[str]:
    if not isinstance(items, list) or not items or len(items) > MAX_OPTIONS:
        errors[attr] = f"Give 1 to {MAX_OPTIONS} entries."
        return []
    ids = []
    for item in items:
        if not isinstance(item, dict) or not str(item.get("text", "")).strip():
            errors[attr] = "Each entry needs a non-empty text."
            return []
        ids.append(str(item.get("id")))
    if len(set(ids)) != len(ids):
        errors[attr] = "Entry ids must be unique."
    return ids


def _accepted(values: Any, attr: str, errors: dict[str, str]) -> None:
    if not isinstance(values, list) or not values:
        errors[attr] = "Give at least one accepted answer."
        return
    for value in values:
        if not isinstance(value, dict) or not str(value.get("text", "")).strip():
            errors[attr] = "Each accepted answer needs a non-empty text."
            return
        if value.get("regex"):
            try:
                re.compile(str(value["text"]))
            except re.error as exc:
                errors[attr] = f"Not a valid regular expression: {exc}."
                return


def _scoring(data: dict[str, Any], allowed: tuple[str, ...], errors: dict[str, str]) -> None:
    if data.get("scoring", allowed[0]) not in allowed:
        errors["data.scoring"] = f"One of: {', '.join(allowed)}."


def validate_definition(kind: str, data: dict[str, Any], key: dict[str, Any]) -> None:
    """Raises ValidationError (attrs `data.*`, `key.*`) unless the question is gradable:
    the rules across fields (the key names existing ids, penalties in range, patterns
    compile). quizzes.payloads.clean_definition checks the shape first; this stays safe on
    any input. Option ids are expected to be assigned already (services do it)."""
    errors: dict[str, str] = {}
    if kind not in KINDS:
        raise ValidationError({"kind": ValidationError("Unknown question kind.", code="invalid")})
    if not isinstance(data, dict) or not isinstance(key, dict):
        raise ValidationError("data and key must be objects.", code="invalid")
    if kind in ("single", "multiple"):
        ids = _ids(data.get("options"), "data.options", errors)
        if kind == "single" and ids and key.get("correct") not in ids:
            errors["key.correct"] = "The correct option must be one of the options."
        if kind == "multiple":
            correct = key.get("correct")
            if (
                not isinstance(correct, list)
                or not correct
                or not all(isinstance(c, str) for c in correct)
                or not set(correct) <= set(ids)
            ):
                errors["key.correct"] = "Pick one or more of the options as correct."
            elif len(set(correct)) != len(correct):
                errors["key.correct"] = "Each correct option once."
            _scoring(data, ("all_or_nothing", "partial"), errors)
            penalty = to_decimal(data.get("penalty", "1"))
            if penalty is None or not (0 <= penalty <= 10):
                errors["data.penalty"] = "A number from 0 to 10."
    elif kind == "true_false":
        if not isinstance(key.get("correct"), bool):
            errors["key.correct"] = "true or false."
    elif kind == "short_text":
        _accepted(key.get("accepted"), "key.accepted", errors)
    elif kind == "numeric":
        if to_decimal(key.get("value")) is None:
            errors["key.value"] = "A number."
        mode = key.get("mode", "exact")
        if mode not in ("exact", "absolute", "relative"):
            errors["key.mode"] = "One of: exact, absolute, relative."
        tolerance = to_decimal(key.get("tolerance", "0"))
        if tolerance is None or tolerance < 0:
            errors["key.tolerance"] = "A number >= 0."
    elif kind == "fill_blanks":
        raw = data.get("blanks")
        # Blanks carry only an id (the text around them is in `data.text`).
        labelled = (
            [{"text": "-", **b} for b in raw if isinstance(b, dict)]
            if isinstance(raw, list)
            else None
        )
        ids = _ids(labelled, "data.blanks", errors)
        blanks = key.get("blanks")
        if not isinstance(blanks, dict) or set(blanks) != set(ids):
            errors["key.blanks"] = "Give accepted answers for every blank, by blank id."
        else:
            for bid in ids:
                _accepted(blanks[bid], f"key.blanks.{bid}", errors)
    elif kind == "matching":
        prompts = _ids(data.get("prompts"), "data.prompts", errors)
        choices = _ids(data.get("choices"), "data.choices", errors)
        pairs = key.get("pairs")
        if (
            not isinstance(pairs, dict)
            or set(pairs) != set(prompts)
            or not all(isinstance(c, str) and c in choices for c in pairs.values())
        ):
            errors["key.pairs"] = "Match every prompt id to one choice id."
        _scoring(data, ("partial", "all_or_nothing"), errors)
    elif kind == "ordering":
        ids = _ids(data.get("items"), "data.items", errors)
        if len(ids) < 2 and "data.items" not in errors:
            errors["data.items"] = "Give at least two items."
        order = key.get("order")
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(ids):
            errors["key.order"] = "The correct order lists every item id once."
        _scoring(data, ("all_or_nothing", "per_position"), errors)
    if errors:
        raise ValidationError(
            {attr: ValidationError(message, code="invalid") for attr, message in errors.items()}
        )
