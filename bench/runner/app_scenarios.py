"""The quizzes and assignments scenarios: their hot endpoints as built (real permissions,
envelope, cache), variant "real" only, over the data `bench.runner.app_data.app_prepare`
finds or creates in the bench database (idempotent, through the apps' services).

`app_scenarios(data)` prepares that data and returns the scenarios; bench/run appends
them to `build_scenarios(data)`. Quiz submission is left out: a submit happens once per
attempt, and replaying it only measures the idempotent "already submitted" answer.
"""

import json
import sys
from collections.abc import Callable
from typing import Any

from bench.runner.app_data import (
    AUTOSAVE_EDITS,
    SELECTIONS,
    BenchLearner,
    app_prepare,
    current_edits,
    current_selections,
)
from bench.runner.scenarios import API, Dataset, Scenario, tokens_for
from bench.runner.wrk import Request

JSON = {"Content-Type": "application/json"}
# The write lists go round the learners this many times, alternating two edits, so that
# wrk does not run through them in a 10 s run at full (the runner's `exhausted`).
ROUNDS = 8


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_scenarios(data: Dataset) -> list[Scenario]:
    """Prepares the data (idempotent) and returns the quizzes and assignments scenarios
    (variants: real only)."""
    app = app_prepare(data)
    made = ", ".join(f"{n} {what}" for what, n in app.created.items()) or "nothing new"
    print(f"app_scenarios: prepared in {app.seconds:.1f} s ({made})", file=sys.stderr)
    learners = app.learners
    courses = app.courses
    released = [learner for learner in learners if learner.released]

    def learner_requests(
        make: Callable[[BenchLearner, str], list[Request]],
    ) -> Callable[[str], list[Request]]:
        def build(variant: str) -> list[Request]:
            tokens = tokens_for(sorted({learner.user for learner in learners}))
            requests: list[Request] = []
            for learner in learners:
                requests += make(learner, tokens[learner.user])
            return requests

        return build

    def get(path: str) -> Callable[[BenchLearner, str], list[Request]]:
        def make(learner: BenchLearner, token: str) -> list[Request]:
            return [Request("GET", path.format(**vars(learner)), _bearer(token))]

        return make

    def quiz_start(learner: BenchLearner, token: str) -> list[Request]:
        return [
            Request(
                "POST", f"{API}quizzes/{learner.quiz}/attempts/", {**_bearer(token), **JSON}, "{}"
            )
        ]

    def autosave(variant: str) -> list[Request]:
        tokens = tokens_for(sorted({learner.user for learner in learners}))
        saved = current_edits([learner.attempt for learner in learners])

        def body(learner: BenchLearner, edit: dict[int, Any]) -> str:
            answers = [
                {"answer_id": learner.answers[position], "response": response}
                for position, response in edit.items()
            ]
            return json.dumps({"answers": answers})

        # Each learner's first request carries the edit its attempt does not hold now, the
        # next the other one, and so on; a round of all learners at a time. So every save
        # changes rows, and the probe (the first request after the warm-up's fifth) too.
        return [
            Request(
                "PUT",
                f"{API}attempts/{learner.attempt}/answers/",
                {**_bearer(tokens[learner.user]), **JSON},
                body(learner, AUTOSAVE_EDITS[(saved.get(learner.attempt, -1) + 1 + turn) % 2]),
            )
            for turn in range(ROUNDS)
            for learner in learners
        ]

    def gradebook(variant: str) -> list[Request]:
        tokens = tokens_for(sorted({course.owner for course in courses}))
        return [
            Request("GET", f"{API}courses/{course.slug}/gradebook/", _bearer(tokens[course.owner]))
            for course in courses
        ]

    def grade(variant: str) -> list[Request]:
        owners = {course.slug: course.owner for course in courses}
        tokens = tokens_for(sorted(set(owners.values())))
        graded = current_selections([learner.submission for learner in released])
        # A regrade of the newest version, released: a learner's requests alternate between
        # the two selections after its current one (each worth other points), a round of
        # all learners at a time, so the points move every time (a regrade to the same
        # points skips the gradebook's writes), the probe's too.
        return [
            Request(
                "POST",
                f"{API}submissions/{learner.submission}/grade/",
                {**_bearer(tokens[owners[learner.slug]]), **JSON},
                json.dumps(
                    {
                        "rubric_selections": SELECTIONS[
                            (graded.get(learner.submission, learner.selection) + 1 + turn % 2)
                            % len(SELECTIONS)
                        ],
                        "feedback": "Regraded after review.",
                        "reason": "bench regrade",
                        "release": True,
                    }
                ),
            )
            for turn in range(ROUNDS)
            for learner in released
        ]

    def hand_in(learner: BenchLearner, token: str) -> list[Request]:
        body = json.dumps({"text": f"Second draft of my queries ({learner.user})."})
        return [
            Request(
                "POST",
                f"{API}assignments/{learner.resubmit}/submissions/",
                {**_bearer(token), **JSON},
                body,
            )
        ]

    return [
        Scenario("quiz_detail", "quiz detail (learner)",
                 learner_requests(get(API + "quizzes/{quiz}/")), variants=("real",)),
        # Each learner has an attempt in progress: a repeated start returns it (200).
        Scenario("quiz_start", "quiz start (resumes the attempt in progress)",
                 learner_requests(quiz_start), variants=("real",)),
        Scenario("quiz_attempt_autosave", "attempt autosave (PUT answers)", autosave,
                 variants=("real",), kind="write"),
        Scenario("quiz_attempt_detail", "attempt detail (learner)",
                 learner_requests(get(API + "attempts/{attempt}/")), variants=("real",)),
        Scenario("gradebook_page1", "gradebook page 1 (staff)", gradebook,
                 variants=("real",), page_size_param=True),
        Scenario("gradebook_me", "my grades",
                 learner_requests(get(API + "courses/{slug}/gradebook/me/")), variants=("real",)),
        Scenario("gradebook_me_explain", "explain my grade",
                 learner_requests(get(API + "courses/{slug}/gradebook/me/explain/")),
                 variants=("real",)),
        Scenario("assignment_list", "course assignments (learner)",
                 learner_requests(get(API + "courses/{slug}/assignments/")),
                 variants=("real",), page_size_param=True),
        # Writes that may repeat (a save or regrade is fine twice): kind "write" only so the
        # probe is a request the warm-up did not send, which finds the state it changes.
        Scenario("assignment_grade", "grade a submission (rubric, released)", grade,
                 variants=("real",), kind="write"),
        # A new version each time (the assignment allows 30,000): repeats are honest too.
        Scenario("assignment_submit", "hand in again (text, new version)",
                 learner_requests(hand_in), variants=("real",)),
    ]  # fmt: skip
