"""schemathesis over the OpenAPI document, against the service in its own process: whatever
it is sent, by anyone, with or without a session, it never answers 500."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis

from auth.config import Settings
from auth.seed import demo_accounts
from servicekit.testing import fuzz_for_server_errors, running_service

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def service_url(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    environment = {
        "ENVIRONMENT": "test",
        "AUTH_DATABASE_URL": base_settings.database_url.get_secret_value(),
        "KAFKA_BOOTSTRAP_SERVERS": base_settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": base_settings.kafka_topic_prefix,
        "KAFKA_GROUP_PREFIX": base_settings.kafka_group_prefix,
        "FRANCECONNECT_ISSUER": base_settings.franceconnect_issuer,
        "AUTH_ARGON2_TIME_COST": "1",
        "AUTH_ARGON2_MEMORY_KIB": "8192",
        "AUTH_ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path_factory.mktemp("fuzz") / "auth.log"
    with running_service("auth.main:create_app", environment, log) as url:
        # The demo accounts log in below (the seed is idempotent).
        subprocess.run(
            [sys.executable, "-m", "auth", "setup-local"],
            env=os.environ | environment,
            check=True,
            capture_output=True,
        )
        yield url
    if "Traceback" in log.read_text():
        print(log.read_text()[-5000:])


@pytest.fixture(scope="module")
def api_schema(service_url: str) -> Any:
    return schemathesis.openapi.from_url(service_url + "/openapi.json")


def own_address() -> str:
    """An address of its own for each login, away from the fuzzed requests' throttling."""
    return f"198.51.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def member_headers(service_url: str) -> dict[str, str]:
    camille = demo_accounts()["members"][0]
    response = httpx.post(
        f"{service_url}/session",
        json={"nir": camille["nir"][:13], "password": camille["password"], "bearer": True},
        headers={"X-Forwarded-For": own_address()},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def admin_headers(service_url: str) -> dict[str, str]:
    admin = demo_accounts()["agents"][3]
    response = httpx.post(
        f"{service_url}/agents/session",
        json={"email": admin["email"], "password": admin["password"], "bearer": True},
        headers={"X-Forwarded-For": own_address()},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def deletes_the_account(operation: Any) -> bool:
    """``DELETE /me`` would delete the demo account the next operations log in with, and
    ``POST /password``'s wrong current passwords count against that account's login throttle
    (the brute-force rules), so that its next login would be refused for a while."""
    method, path = operation.method.upper(), operation.path
    return (method, path) in {("DELETE", "/me"), ("POST", "/password")}


def test_anonymous_callers_never_get_a_server_error(api_schema: Any, service_url: str) -> None:
    report = fuzz_for_server_errors(api_schema, service_url, skip=deletes_the_account)
    assert report.failures == []
    assert len(report.statuses) > 60, "the document was hardly exercised"
    assert any(200 <= status < 300 for status in report.statuses)


def test_a_member_never_gets_a_server_error(api_schema: Any, service_url: str) -> None:
    report = fuzz_for_server_errors(
        api_schema, service_url, lambda: member_headers(service_url), skip=deletes_the_account
    )
    assert report.failures == []
    assert any(200 <= status < 300 for status in report.statuses)


def test_an_admin_never_gets_a_server_error(api_schema: Any, service_url: str) -> None:
    report = fuzz_for_server_errors(
        api_schema, service_url, lambda: admin_headers(service_url), skip=deletes_the_account
    )
    assert report.failures == []
    assert any(200 <= status < 300 for status in report.statuses)
