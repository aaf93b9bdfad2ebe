"""The API reads as one contract: every operation of the OpenAPI document, walked with a
valid call as the right role and with the calls a client gets wrong (no credentials,
someone else's object, an object that does not exist, a body that is not an object, a
field the endpoint does not know). Every error is problem+json with a code listed in
docs/api-errors.md and its one status; every list has the one meta; every datetime ends
in Z.

One world is built through the API per test (lms/tests/contract/world.py); each
operation's refusals run before its valid call, which must succeed.
"""

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from lms.tests.contract.checks import contract_problems
from lms.tests.contract.world import MISSING_ID, MISSING_SLUG, Api, Call, World, operations

pytestmark = [pytest.mark.django_db]

UNKNOWN = "zz_not_a_field"
WRITE_METHODS = {"post", "put", "patch", "delete"}
AUTH_PREFIX = "/api/v1/auth/"


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in {"get", *WRITE_METHODS}
    }


def _missing(call: Call) -> str:
    """The call's path with every path parameter naming nothing that exists."""
    path = call.template
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace(f"{{{name}}}", MISSING_SLUG if "slug" in name else str(MISSING_ID))
    return path


def _with_unknown(call: Call, api: Api) -> Any:
    body = call.body(api) if callable(call.body) else call.body
    return {**(body or {}), UNKNOWN: "1"}


def test_the_catalogue_covers_every_operation(world: tuple[Api, World]) -> None:
    _, built = world
    catalogued = {(c.method, c.template) for c in operations(built)}
    assert schema_operations() - catalogued == set(), "operations without a contract call"
    assert catalogued - schema_operations() == set(), "catalogue calls not in the schema"


def test_every_operation_answers_by_the_contract(world: tuple[Api, World]) -> None:
    api, built = world
    broken: list[str] = []
    for call in operations(built):
        where = f"{call.method.upper()} {call.template}"
        variants: list[tuple[str, str, Any]] = []
        if call.role != "anonymous":
            variants.append(("anonymous", call.path, call.body))
        if not call.template.startswith(AUTH_PREFIX):
            for role in ("outsider", "other_instructor"):
                if role != call.role and call.method != "get":
                    variants.append((role, call.path, call.body))
        if "{" in call.template:
            variants.append((call.role, _missing(call), call.body))
        if call.method in {"post", "put", "patch"}:
            variants.append((call.role, call.path, [1, 2]))
        for role, path, body in variants:
            fmt = "json" if body == [1, 2] else call.fmt
            answer = api.call(role, call.method, path, body, fmt)
            broken += contract_problems(answer, f"{where} as {role} -> {path}")
            if path != call.path and answer.status_code != 404:
                broken.append(f"{where}: a missing object answered {answer.status_code}")
            if body == [1, 2] and answer.status_code != 400:
                broken.append(f"{where}: a body that is a list answered {answer.status_code}")
        answer = api.call(call.role, call.method, call.path, call.body, call.fmt)
        broken += contract_problems(answer, f"{where} as {call.role}")
        if answer.status_code not in call.expect:
            broken.append(f"{where} as {call.role}: {answer.status_code} {answer.content[:300]!r}")
        if call.method == "get" and answer.status_code == 200 and "json" in answer.content_type:
            broken += _walk_pages(api, call)
    assert broken == [], "\n".join(broken)


def _walk_pages(api: Api, call: Call) -> list[str]:
    """A paginated list's next page answers by the same contract."""
    body = api.call(call.role, "get", f"{call.path}?page_size=1").json()
    next_link = body.get("meta", {}).get("next") if isinstance(body.get("data"), list) else None
    if not next_link:
        return []
    path = next_link.split("testserver", 1)[-1]
    answer = api.call(call.role, "get", path)
    return contract_problems(answer, f"GET {call.template} next page")


def test_unknown_fields_are_refused_on_every_write(world: tuple[Api, World]) -> None:
    api, built = world
    broken = []
    for call in operations(built):
        if call.method not in {"post", "put", "patch"}:
            continue
        if call.template == "/api/v1/payments/stripe/webhook/":
            continue  # Stripe's own event format, verified by signature (decision 0012)
        answer = api.call(call.role, call.method, call.path, _with_unknown(call, api), call.fmt)
        where = f"{call.method.upper()} {call.template}"
        if answer.status_code != 400:
            broken.append(f"{where}: {answer.status_code} {answer.content[:200]!r}")
            continue
        errors = answer.json().get("errors", [])
        named = [e for e in errors if e["attr"] == UNKNOWN and e["pointer"] == f"/{UNKNOWN}"]
        if not named or named[0]["code"] != "unknown_field":
            broken.append(f"{where}: 400 without naming {UNKNOWN}: {errors}")
    assert broken == [], "\n".join(broken)
