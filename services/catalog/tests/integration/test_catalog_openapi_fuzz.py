"""Schemathesis over the catalog's OpenAPI document: whatever it sends, no 500.

Each operation is its own test, on a database of its own with the reference data. The app
runs in a real server (uvicorn, in a thread with its own event loop) so that
schemathesis's synchronous client and the app's database pool never share a loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from catalog.config import Settings
from catalog.domain.versions import Version
from catalog.main import create_app
from servicekit.testing import free_port

pytestmark = pytest.mark.integration

#: Examples per operation: enough to hit every parameter's edges, short enough for CI.
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def served_catalog(settings: Settings, reference_published: Version) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, name="catalog-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the catalog server stopped during start-up"
        assert time.monotonic() < deadline, "the catalog server did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    # Ready as traffic meets it: the revoked sessions read, else /readyz rightly answers 503.
    while httpx.get(url + "/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline + 30, "the catalog server never said it was ready"
        time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# The document as the app serves it; building the app connects to nothing.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_catalog_fail(case: Any, served_catalog: str, tokens: Any) -> None:
    # Admin operations get an admin token, so the fuzzing reaches past the access check.
    headers = tokens.as_admin() if case.path.startswith("/admin") else {}
    case.call_and_validate(
        base_url=served_catalog,
        headers=headers,
        # Never a 500; and every answer is one the document announces, in the announced shape.
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
