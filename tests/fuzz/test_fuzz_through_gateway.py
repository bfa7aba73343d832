"""schemathesis against every service's OpenAPI document, through the gateway, as a member, an
agent, a supervisor and the national admin: no server error, no status code, content type,
body or header the document does not declare."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.fuzz.support import SERVICES, Session, fuzz_service

pytestmark = pytest.mark.integration

#: Valid requests generated per operation (FUZZ_MAX_EXAMPLES; half as many invalid ones): a few
#: minutes for the four people and the four services once the stack is up; more for a deeper
#: local run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "2"))


@pytest.mark.parametrize("role", ["member", "agent", "supervisor", "admin"])
@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_is_one_the_document_declares(
    api_schemas: dict[str, Any], sessions: dict[str, Session], service: str, role: str
) -> None:
    report = fuzz_service(api_schemas[service], service, sessions[role], max_examples=MAX_EXAMPLES)
    assert report.failures == [], "\n".join(report.failures)
    assert len(report.statuses) >= 3 * MAX_EXAMPLES, "the document was hardly exercised"
