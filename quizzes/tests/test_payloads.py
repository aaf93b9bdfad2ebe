"""Typed quiz payloads: each kind's `data`, `key` and learner `response` is a schema of the
served OpenAPI document (a `oneOf` discriminated by `kind`); real bodies of all nine
kinds, sent and received, validate against it; a response of the wrong shape fails the
schema and answers 400 naming the field (a JSON pointer) and the shape expected, and
changes nothing."""

from typing import Any

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

from lms.testing import client_for, unchanged
from quizzes.grading import KINDS
from quizzes.models import AttemptAnswer, Question
from quizzes.payloads import RESPONSE_EXAMPLES
from quizzes.tests.conftest import QUESTION_SPECS, correct_response

pytestmark = pytest.mark.django_db

JSON = "application/json"
QUESTIONS = "/api/v1/question-banks/{id}/questions/"
QUESTION = "/api/v1/questions/{id}/"
QUIZ = "/api/v1/quizzes/{id}/"
ATTEMPTS = "/api/v1/quizzes/{id}/attempts/"
ATTEMPT = "/api/v1/attempts/{id}/"
ANSWERS = "/api/v1/attempts/{id}/answers/"
SUBMIT = "/api/v1/attempts/{id}/submit/"
QUEUE = "/api/v1/quizzes/{id}/grading-queue/"


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def request_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return doc["paths"][path][method]["requestBody"]["content"][JSON]["schema"]


def response_schema(doc: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    return doc["paths"][path][method]["responses"][status]["content"][JSON]["schema"]


def violations(
    doc: dict[str, Any], schema: dict[str, Any], instance: Any, *, sent: bool
) -> list[str]:
    """What in `instance` the schema refuses (OpenAPI 3.0 rules, $refs into the doc)."""
    validator = OAS30WriteValidator if sent else OAS30ReadValidator
    root = {**schema, "components": doc["components"]}
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(root).iter_errors(instance)
    ]


class Exchange:
    """Calls the API and checks every body it sends and gets against the schema."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.broken: list[str] = []

    def call(self, user: Any, method: str, template: str, id_: int, body: Any = None) -> Any:
        where = f"{method.upper()} {template}"
        if body is not None:
            schema = request_schema(self.doc, template, method)
            self.broken += [
                f"{where} sent {v}" for v in violations(self.doc, schema, body, sent=True)
            ]
        path = template.replace("{id}", str(id_))
        response = getattr(client_for(user), method)(path, body, format="json")
        assert response.status_code < 300, (where, response.content)
        status = str(response.status_code)
        schema = response_schema(self.doc, template, method, status)
        got = response.json()
        self.broken += [
            f"{where} {status} {v}" for v in violations(self.doc, schema, got, sent=False)
        ]
        return got["data"]


def test_the_schema_types_every_kind_with_a_discriminated_one_of(openapi):
    schemas = openapi["components"]["schemas"]
    camel = {kind: "".join(p.capitalize() for p in kind.split("_")) for kind in KINDS}
    for union, member in (
        ("Question", "{}Question"),
        ("AttemptQuestion", "{}AttemptQuestion"),
        ("QuestionInputRequest", "{}QuestionInputRequest"),
    ):
        discriminator = schemas[union]["discriminator"]
        assert discriminator["propertyName"] == "kind"
        assert discriminator["mapping"] == {
            kind: f"#/components/schemas/{member.format(camel[kind])}" for kind in KINDS
        }
    for kind in KINDS:
        question = schemas[f"{camel[kind]}Question"]["properties"]
        assert question["kind"] == {"$ref": f"#/components/schemas/{camel[kind]}Kind"}
        assert question["key"] == {"$ref": f"#/components/schemas/{camel[kind]}Key"}
        assert question["data"]["$ref"].endswith("Data")
        response = schemas[f"{camel[kind]}AttemptQuestion"]["properties"]["response"]
        assert response["oneOf"][0]["$ref"].endswith("Response")
    # The autosave's response is one of the response shapes, or null.
    entry = schemas["AnswerEntryRequest"]["properties"]["response"]
    assert entry["oneOf"][0] == {"$ref": "#/components/schemas/QuizResponseRequest"}
    assert len(schemas["QuizResponseRequest"]["oneOf"]) == 8  # short text and essay share one


def test_real_payloads_of_every_kind_validate_against_the_schema(openapi, people, course):
    api = Exchange(openapi)
    owner, student = people.owner, people.student
    base = f"/api/v1/courses/{course.slug}"
    bank = client_for(owner).post(f"{base}/question-banks/", {"title": "B"}, format="json")
    bank_id = bank.json()["data"]["id"]
    quiz_id = (
        client_for(owner)
        .post(f"{base}/quizzes/", {"title": "Q"}, format="json")
        .json()["data"]["id"]
    )
    for kind in KINDS:
        spec = QUESTION_SPECS[kind]
        body = {"kind": kind, "prompt": f"A {kind}?", "key": spec.get("key", {}), "points": "2"}
        if "data" in spec:
            body["data"] = spec["data"]
        question = api.call(owner, "post", QUESTIONS, bank_id, body)
        api.call(owner, "patch", QUESTION, question["id"], {"key": body["key"], "points": "2"})
        items = client_for(owner).post(
            f"/api/v1/quizzes/{quiz_id}/items/", {"question": question["id"]}, format="json"
        )
        assert items.status_code == 201
    assert {q["kind"] for q in api.call(owner, "get", QUESTIONS, bank_id)} == set(KINDS)
    policies = {
        "published": True,
        "results_policy": "after_submit",
        "answers_policy": "after_submit",
    }
    client_for(owner).patch(f"/api/v1/quizzes/{quiz_id}/", policies, format="json")
    api.call(owner, "get", QUIZ, quiz_id)
    api.call(student, "get", QUIZ, quiz_id)

    attempt = api.call(student, "post", ATTEMPTS, quiz_id)
    assert {q["response"] for q in attempt["questions"]} == {None}
    assert attempt["started_at"].endswith("Z")
    rows = AttemptAnswer.objects.filter(attempt_id=attempt["id"]).select_related("question")
    answers = [{"answer_id": a.pk, "response": correct_response(a.question)} for a in rows]
    answers.append({"answer_id": answers[0]["answer_id"], "response": None})  # cleared again
    saved = api.call(student, "put", ANSWERS, attempt["id"], {"answers": answers})
    assert saved["answers"][0]["response"] is None
    api.call(student, "put", ANSWERS, attempt["id"], {"answers": answers[:-1]})
    detail = api.call(student, "get", ATTEMPT, attempt["id"])
    assert {q["kind"] for q in detail["questions"] if q["response"]} == set(KINDS)
    submitted = api.call(student, "post", SUBMIT, attempt["id"])
    assert all("key" in answer for answer in submitted["results"]["answers"])
    api.call(student, "get", ATTEMPTS, quiz_id)
    [essay] = api.call(people.ta, "get", QUEUE, quiz_id)
    assert essay["response"] == {"text": "My essay."}

    assert api.broken == [], "\n".join(api.broken)


# A response of the wrong shape per kind, and the field the 400 must name.
WRONG = {
    "single": ({"choice": 5}, "/choice"),
    "multiple": ({"choices": "o1b4e"}, "/choices"),
    "true_false": ({"value": "true"}, "/value"),
    "short_text": ({"text": 42}, "/text"),
    "numeric": ({"value": True}, "/value"),
    "fill_blanks": ({"blanks": ["late"]}, "/blanks"),
    "matching": ({"pairs": {"p4c1": 3}}, "/pairs/p4c1"),
    "ordering": ({"order": "i7a3"}, "/order"),
    "essay": ({"essay": "A misnamed field."}, "/text"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_response_shape_fails_the_schema_and_is_a_400_naming_the_field(
    openapi, people, quiz_factory, kind
):
    quiz = quiz_factory(kinds=(kind,))
    client = client_for(people.student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    answer = AttemptAnswer.objects.get(attempt_id=attempt_id)
    response, field = WRONG[kind]
    body = {"answers": [{"answer_id": answer.pk, "response": response}]}
    # What the attempt told the client this answer's response looks like refuses it.
    camel = "".join(part.capitalize() for part in kind.split("_"))
    told = openapi["components"]["schemas"][f"{camel}AttemptQuestion"]["properties"]["response"]
    assert violations(openapi, told, response, sent=True)

    with unchanged(answer):
        refused = client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")

    assert refused.status_code == 400, refused.content
    errors = {e["pointer"]: e for e in refused.json()["errors"]}
    named = errors.get(f"/answers/0/response{field}")
    assert named is not None, errors
    assert RESPONSE_EXAMPLES[kind] in named["detail"]
    # The right shape is then accepted (the refusal was about the shape, not the answer).
    right = {"answers": [{"answer_id": answer.pk, "response": correct_response(answer.question)}]}
    assert (
        client.put(f"/api/v1/attempts/{attempt_id}/answers/", right, format="json").status_code
        == 200
    )


def test_a_response_that_is_not_an_object_names_the_response(people, quiz_factory):
    quiz = quiz_factory(kinds=("single",))
    client = client_for(people.student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    answer = AttemptAnswer.objects.get(attempt_id=attempt_id)
    body = {"answers": [{"answer_id": answer.pk, "response": "o3fa9"}]}
    with unchanged(answer):
        refused = client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")
    [error] = refused.json()["errors"]
    assert error["pointer"] == "/answers/0/response"
    assert error["detail"] == (
        'Not an object. Expected {"choice": "<option id>"}, or null to clear the answer.'
    )


def test_a_question_of_the_wrong_shape_fails_the_schema_and_is_a_400_naming_the_field(
    openapi, people, course
):
    owner = client_for(people.owner)
    bank = owner.post(
        f"/api/v1/courses/{course.slug}/question-banks/", {"title": "B"}, format="json"
    ).json()["data"]["id"]
    schema = request_schema(openapi, QUESTIONS, "post")
    for body, pointer in (
        ({"kind": "single", "prompt": "?", "data": {"options": ["Paris"]},
          "key": {"correct": "o1"}}, "/data/options/0"),
        ({"kind": "matching", "prompt": "?", "data": QUESTION_SPECS["matching"]["data"],
          "key": {"pairs": ["p4c1", "c6b2"]}}, "/key/pairs"),
        ({"kind": "numeric", "prompt": "?", "key": {"value": "1", "mode": "closest"}},
         "/key/mode"),
        ({"kind": "true_false", "prompt": "?", "data": {"options": []},
          "key": {"correct": True}}, "/data/options"),
    ):  # fmt: skip
        assert violations(openapi, schema, body, sent=True), body
        with unchanged(counts=(Question,)):
            refused = owner.post(f"/api/v1/question-banks/{bank}/questions/", body, format="json")
        assert refused.status_code == 400, refused.content
        assert pointer in [e["pointer"] for e in refused.json()["errors"]], refused.json()
