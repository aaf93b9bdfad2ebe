"""One service error, one list of codes: docs/api-errors.md is generated from the codes
the apps declare, and a code answers one status everywhere."""

import pytest

from lms.api.errors_doc import DOC_PATH, documented_codes, render_api_errors_doc
from lms.errors import ServiceError, all_error_codes, declare_error_codes


def test_the_errors_document_is_generated_from_the_declared_codes() -> None:
    assert DOC_PATH.read_text() == render_api_errors_doc(), (
        "docs/api-errors.md is stale: run `manage.py api_errors_doc`"
    )
    assert {code.code for code in all_error_codes()} == documented_codes()


def test_an_undeclared_code_cannot_be_raised() -> None:
    with pytest.raises(LookupError, match="no_such_code_anywhere"):
        ServiceError("no_such_code_anywhere", "Never declared.")


def test_a_code_keeps_one_status() -> None:
    meaning = next(c.meaning for c in all_error_codes() if c.code == "not_found")
    declare_error_codes("platform", {"not_found": (404, meaning)})
    with pytest.raises(ValueError, match="not_found"):
        declare_error_codes("someapp", {"not_found": (409, "another status")})


def test_a_service_error_takes_its_declared_status_and_extras() -> None:
    exc = ServiceError("throttled", "Slow down.", retry_in=3)
    assert (exc.status, exc.code, exc.extra) == (429, "throttled", {"retry_in": 3})
