"""The product as a browser reaches it: the four services behind the gateway, started by the
devstack fixtures as the browser tests start them (``tests/e2e/conftest.py``) when they are not
running; ``E2E_GATEWAY_URL`` points at a product already running instead (the images'
containers). Sessions are opened through the gateway as the web apps open them: the session
cookies, and the CSRF cookie's value in ``X-CSRF-Token`` on every request."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis

from devstack.pytest_plugin import LocalStack
from tests.fuzz.support import SERVICES, Session


@pytest.fixture(scope="session")
def gateway_url(local_stack: LocalStack) -> str:
    if url := os.environ.get("E2E_GATEWAY_URL"):
        return url.rstrip("/")
    return local_stack.ensure("gateway").config.gateway_url


@pytest.fixture(scope="session")
def api_schemas(gateway_url: str) -> dict[str, Any]:
    """Each service's OpenAPI document, as the gateway serves it."""
    return {
        service: schemathesis.openapi.from_url(f"{gateway_url}/api/{service}/openapi.json")
        for service in SERVICES
    }


@pytest.fixture(scope="session")
def sessions(gateway_url: str) -> dict[str, Session]:
    """A member, an agent, a supervisor (of the NPC fund) and the national admin."""
    return {role: Session(gateway_url, role) for role in ("member", "agent", "supervisor", "admin")}
