"""Property tests of the grading engine against a small reference implementation.

The reference is written differently on purpose: decimals with 60 digits of precision and
ROUND_HALF_UP instead of fractions, explicit loops instead of set algebra, so a shared bug
is unlikely. Every score must stay within 0..points.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quizzes import grading, payloads

POINTS = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
IDS = st.lists(
    st.text("abcdefghijklmnop", min_size=1, max_size=4), min_size=1, max_size=8, unique=True
)


def ref_round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ref_points(points: Decimal, numerator: int, denominator: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return ref_round(points * Decimal(numerator) / Decimal(denominator))


def score(kind, data, key, response, points) -> Decimal:
    share = grading.grade(kind, data, key, response).share
    assert share is not None and 0 <= share <= 1
    result = grading.points_for(points, share)
    assert Decimal(0) <= result <= points
    return result


def options(ids):
    return [{"id": i, "text": f"option {i}"} for i in ids]


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(ids=IDS, data=st.data(), points=POINTS)
def test_single_choice_all_or_nothing(ids, data, points):
    correct = data.draw(st.sampled_from(ids))
    choice = data.draw(st.sampled_from(ids))
    d, k = {"options": options(ids)}, {"correct": correct}
    grading.validate_definition("single", d, k)
    expected = points if choice == correct else Decimal("0.00")
    assert score("single", d, k, {"choice": choice}, points) == ref_round(expected)


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(
    ids=IDS,
    data=st.data(),
    points=POINTS,
    penalty=st.sampled_from(["0", "0.5", "1", "1.5", "2", "0.25"]),
)
def test_multiple_choice_partial_credit_with_penalty_floored_at_zero(ids, data, points, penalty):
    correct = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    picked = data.draw(st.lists(st.sampled_from(ids), unique=True))
    d = {"options": options(ids), "scoring": "partial", "penalty": penalty}
    k = {"correct": correct}
    grading.validate_definition("multiple", d, k)
    right = 0
    wrong = 0
    for option in picked:
        if option in correct:
            right += 1
        else:
            wrong += 1
    with localcontext() as ctx:
        ctx.prec = 60
        raw = (Decimal(right) - Decimal(penalty) * Decimal(wrong)) / Decimal(len(correct))
        expected = ref_round(points * max(Decimal(0), raw))
    got = score("multiple", d, k, {"choices": picked}, points)
    assert got == expected
    if set(picked) == set(correct):
        assert got == points
    if right == 0:
        assert got == 0


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(ids=IDS, data=st.data(), points=POINTS)
def test_multiple_choice_all_or_nothing(ids, data, points):
    correct = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    picked = data.draw(st.lists(st.sampled_from(ids), unique=True))
    d, k = {"options": options(ids)}, {"correct": correct}
    expected = points if sorted(picked) == sorted(correct) else Decimal(0)
    assert score("multiple", d, k, {"choices": picked}, points) == ref_round(expected)


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(correct=st.booleans(), value=st.one_of(st.booleans(), st.none(), st.integers(0, 1)))
def test_true_false(correct, value):
    expected = Decimal("2.00") if value is correct else Decimal("0.00")
    assert score("true_false", {}, {"correct": correct}, {"value": value}, Decimal(2)) == expected


NUMBERS = st.decimals(
    min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False
)
TOLERANCES = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(value=NUMBERS, tolerance=TOLERANCES, sign=st.sampled_from([1, -1]))
def test_numeric_absolute_tolerance_edges_are_inclusive(value, tolerance, sign):
    key = {"value": str(value), "tolerance": str(tolerance), "mode": "absolute"}
    grading.validate_definition("numeric", {}, key)
    edge = value + sign * tolerance
    assert score("numeric", {}, key, {"value": str(edge)}, Decimal(1)) == Decimal("1.00")
    beyond = edge + sign * Decimal("0.00001")
    assert score("numeric", {}, key, {"value": str(beyond)}, Decimal(1)) == Decimal("0.00")


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(value=NUMBERS, tolerance=st.sampled_from(["0", "0.01", "0.05", "0.1", "0.5"]))
def test_numeric_relative_tolerance_edges(value, tolerance):
    key = {"value": str(value), "tolerance": tolerance, "mode": "relative"}
    allowed = Decimal(tolerance) * abs(value)
    for response, ok in (
        (value + allowed, True),
        (value - allowed, True),
        (value + allowed + Decimal("0.000001"), False),
        (value - allowed - Decimal("0.000001"), False),
    ):
        expected = Decimal("3.00") if ok else Decimal("0.00")
        assert score("numeric", {}, key, {"value": str(response)}, Decimal(3)) == expected


def spellings(value: Decimal) -> st.SearchStrategy[str]:
    """Other ways of writing the same number: trailing zeros, an exponent, a sign,
    spaces around it."""
    sign, digits, exponent = value.as_tuple()
    mantissa = ("-" if sign else "") + "".join(map(str, digits))
    return st.sampled_from(
        [
            str(value),
            f"{value}000" if "." in str(value) else f"{value}.000",
            f"{mantissa}E{exponent}",
            f"  {value}\t",
            str(value) if sign else f"+{value}",
        ]
    )


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(value=NUMBERS, data=st.data())
def test_numeric_exact_accepts_the_same_number_however_written(value, data):
    key = {"value": str(value)}
    response = data.draw(spellings(value))
    assert score("numeric", {}, key, {"value": response}, Decimal(1)) == Decimal("1.00")


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(value=NUMBERS, other=NUMBERS, junk=st.text("abcxyz-+. ", max_size=5))
def test_numeric_exact_refuses_another_number_or_text(value, other, junk):
    assume(other != value)
    key = {"value": str(value)}
    assert score("numeric", {}, key, {"value": str(other)}, Decimal(1)) == Decimal("0.00")
    assume(not any(c.isdigit() for c in junk))  # no digit: never a number
    assert score("numeric", {}, key, {"value": junk}, Decimal(1)) == Decimal("0.00")
    assert score("numeric", {}, key, {"value": None}, Decimal(1)) == Decimal("0.00")


WORDS = st.text("abcXYZ é-'", min_size=1, max_size=12).filter(lambda s: s.strip())


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(word=WORDS, pad_left=st.text(" \t", max_size=3), pad_right=st.text(" \n", max_size=3))
def test_short_text_is_trimmed_and_case_insensitive(word, pad_left, pad_right):
    key = {"accepted": [{"text": word}]}
    grading.validate_definition("short_text", {}, key)
    response = pad_left + word.swapcase() + pad_right
    assert score("short_text", {}, key, {"text": response}, Decimal(1)) == Decimal("1.00")
    strict = {"accepted": [{"text": word, "case_sensitive": True}]}
    expected = Decimal("1.00") if word.swapcase().strip() == word.strip() else Decimal("0.00")
    assert score("short_text", {}, strict, {"text": response}, Decimal(1)) == expected


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(stem=st.text("abc", min_size=1, max_size=5), response=st.text("abc1 ", max_size=10))
def test_regex_answers_match_the_whole_trimmed_response(stem, response):
    pattern = re.escape(stem) + r"\d?"
    key = {"accepted": [{"text": pattern, "regex": True}]}
    grading.validate_definition("short_text", {}, key)
    trimmed = response.strip()
    expected = trimmed == stem or (
        len(trimmed) == len(stem) + 1 and trimmed.startswith(stem) and trimmed[-1].isdigit()
    )
    got = score("short_text", {}, key, {"text": response}, Decimal(1))
    assert got == (Decimal("1.00") if expected else Decimal("0.00"))


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(ids=st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=8, unique=True),
       data=st.data(), points=POINTS)  # fmt: skip
def test_ordering_permutations(ids, data, points):
    response = data.draw(st.permutations(ids))
    d = {"items": options(ids), "scoring": "per_position"}
    k = {"order": ids}
    grading.validate_definition("ordering", d, k)
    in_place = 0
    for index in range(len(ids)):
        if response[index] == ids[index]:
            in_place += 1
    assert score("ordering", d, k, {"order": response}, points) == ref_points(
        points, in_place, len(ids)
    )
    strict = {"items": options(ids), "scoring": "all_or_nothing"}
    expected = points if list(response) == ids else Decimal(0)
    assert score("ordering", strict, k, {"order": response}, points) == ref_round(expected)


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(prompts=IDS, data=st.data(), points=POINTS)
def test_matching_partial_credit(prompts, data, points):
    choices = [f"c{i}" for i in range(len(prompts) + 1)]
    pairs = {p: data.draw(st.sampled_from(choices)) for p in prompts}
    given_pairs = {p: data.draw(st.sampled_from(choices)) for p in prompts}
    d = {"prompts": options(prompts), "choices": options(choices)}
    grading.validate_definition("matching", d, {"pairs": pairs})
    hits = 0
    for prompt in prompts:
        if given_pairs[prompt] == pairs[prompt]:
            hits += 1
    got = score("matching", d, {"pairs": pairs}, {"pairs": given_pairs}, points)
    assert got == ref_points(points, hits, len(prompts))


@settings(deadline=None)  # a shared 2-core machine: no per-example deadline
@given(answers=st.lists(WORDS, min_size=1, max_size=5), data=st.data(), points=POINTS)
def test_fill_in_the_blanks_each_blank_like_short_text(answers, data, points):
    blanks = [{"id": f"b{i}"} for i in range(len(answers))]
    key = {"blanks": {f"b{i}": [{"text": a}] for i, a in enumerate(answers)}}
    grading.validate_definition("fill_blanks", {"blanks": blanks}, key)
    right = data.draw(st.lists(st.booleans(), min_size=len(answers), max_size=len(answers)))
    given_blanks = {
        f"b{i}": (f" {a.upper()} " if ok else a + "zz")
        for i, (a, ok) in enumerate(zip(answers, right, strict=True))
    }
    hits = sum(
        1
        for i, a in enumerate(answers)
        if given_blanks[f"b{i}"].strip().casefold() == a.strip().casefold()
    )
    got = score("fill_blanks", {"blanks": blanks}, key, {"blanks": given_blanks}, points)
    assert got == ref_points(points, hits, len(answers))


@settings(max_examples=300, deadline=None)
@given(points=POINTS, numerator=st.integers(0, 50), denominator=st.integers(1, 50))
def test_points_for_rounds_half_up_to_cents_within_range(points, numerator, denominator):
    assume(numerator <= denominator)
    got = grading.points_for(points, Fraction(numerator, denominator))
    assert got == ref_points(points, numerator, denominator)
    assert Decimal(0) <= got <= points
    assert got == got.quantize(Decimal("0.01"))


def test_essays_are_graded_by_hand():
    assert grading.grade("essay", {}, {}, {"text": "My essay"}).manual


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
DEFINITION_KEYS = st.sampled_from(
    ["options", "correct", "accepted", "value", "tolerance", "mode", "blanks", "prompts",
     "choices", "pairs", "items", "order", "scoring", "penalty", "text", "id"]
)  # fmt: skip
JSON_OBJECTS = st.dictionaries(DEFINITION_KEYS, JSON, max_size=4)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(grading.KINDS), data=JSON_OBJECTS, key=JSON_OBJECTS)
def test_any_definition_is_accepted_or_refused_with_a_validation_error(kind, data, key):
    """Garbage from a client is a 400, never a crash (500): the shape check and the rules
    alone (the rules also guard rows stored before the shapes were checked)."""
    from django.core.exceptions import ValidationError

    for check in (payloads.clean_definition, grading.validate_definition):
        try:
            check(kind, data, key)
        except ValidationError:
            continue
        # Accepted definitions grade any cleaned response without crashing.
        grading.grade(kind, data, key, None)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(grading.KINDS), response=JSON, data=st.data())
def test_any_response_is_cleaned_or_refused_and_then_graded_within_points(kind, response, data):
    from django.core.exceptions import ValidationError

    from quizzes.tests.conftest import QUESTION_SPECS

    spec = QUESTION_SPECS[kind]
    definition = {
        "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
        "blanks": [{"id": "b1"}],
        "prompts": [{"id": "p", "text": "P"}],
        "choices": [{"id": "c", "text": "C"}],
        "items": [{"id": "x", "text": "X"}, {"id": "y", "text": "Y"}],
    }
    key = {
        "single": {"correct": "a"},
        "multiple": {"correct": ["a"]},
        "true_false": {"correct": True},
        "short_text": {"accepted": [{"text": "a"}]},
        "numeric": {"value": "1", "tolerance": "0.1", "mode": "relative"},
        "fill_blanks": {"blanks": {"b1": [{"text": "a"}]}},
        "matching": {"pairs": {"p": "c"}},
        "ordering": {"order": ["x", "y"]},
        "essay": spec.get("key", {}),
    }[kind]
    grading.validate_definition(kind, definition, key)
    try:
        cleaned = payloads.clean_response(kind, definition, response)
    except ValidationError:
        return
    if kind == "essay":
        assert grading.grade(kind, definition, key, cleaned).manual
        return
    score(kind, definition, key, cleaned, Decimal("5"))


def test_unhashable_keys_are_validation_errors_not_crashes():
    from django.core.exceptions import ValidationError

    options = {"options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}
    matching = {"prompts": [{"id": "p", "text": "P"}], "choices": [{"id": "c", "text": "C"}]}
    for kind, data, key in (
        ("multiple", options, {"correct": [["a"]]}),
        ("single", options, {"correct": ["a"]}),
        ("matching", matching, {"pairs": {"p": ["c"]}}),
        ("ordering", {"items": options["options"]}, {"order": [["a"], "b"]}),
    ):
        with pytest.raises(ValidationError):
            grading.validate_definition(kind, data, key)
