"""What every API answer must look like (docs/decisions/0012-platform-contract.md)."""

import re
from typing import Any

from lms.api.errors_doc import documented_codes
from lms.errors import all_error_codes

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
LIST_META_KEYS = {"count", "page_size", "next", "previous"}


def contract_problems(answer: Any, where: str) -> list[str]:
    """Every way `answer` breaks the contract, as readable lines (empty when it holds)."""
    status = answer.status_code
    if status >= 500:
        return [f"{where}: {status} {answer.content[:300]!r}"]
    if status >= 400:
        return _problem_problems(answer, where)
    if status == 204 or not answer.content:
        return []
    if not answer.content_type.startswith("application/json"):
        return []  # CSV exports, file downloads: not JSON bodies
    body = answer.json()
    out = []
    if set(body) != {"data", "meta"}:
        return [f"{where}: success body is not {{data, meta}}: {sorted(body)}"]
    if isinstance(body["data"], list) and set(body["meta"]) != LIST_META_KEYS:
        out.append(f"{where}: list meta {sorted(body['meta'])} is not {sorted(LIST_META_KEYS)}")
    out += [
        f"{where}: datetime {value!r} at {path} does not end in Z"
        for path, value in _datetimes(body["data"], "")
        if not value.endswith("Z")
    ]
    return out


def _problem_problems(answer: Any, where: str) -> list[str]:
    status = answer.status_code
    if not answer.content_type.startswith("application/problem+json"):
        return [f"{where}: {status} is {answer.content_type!r}, not problem+json"]
    body = answer.json()
    code = body.get("code")
    out = []
    if body.get("status") != status:
        out.append(f"{where}: problem status {body.get('status')} != HTTP {status}")
    if code not in documented_codes():
        out.append(f"{where}: code {code!r} ({status}) is not in docs/api-errors.md")
    declared = {c.code: c.status for c in all_error_codes()}
    if code in declared and declared[code] != status:
        out.append(f"{where}: code {code!r} answered {status}, declared {declared[code]}")
    if b"\n" in answer.content.strip():
        out.append(f"{where}: problem body is not compact JSON")
    for item in body.get("errors", []):
        if "pointer" not in item or "attr" not in item:
            out.append(f"{where}: error item without attr/pointer: {item}")
    return out


def _datetimes(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _datetimes(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _datetimes(v, f"{path}/{i}")]
    if isinstance(value, str) and DATETIME.match(value) and "T" in value:
        return [(path, value)]
    return []
