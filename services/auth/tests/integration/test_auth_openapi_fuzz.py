"""schemathesis over the OpenAPI document, against the service in its own process: whatever
it is sent, by anyone, with or without a session, it never answers 500."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from auth.config import Settings
from auth.seed import demo_accounts

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def service_url(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log: Path = tmp_path_factory.mktemp("fuzz") / "auth.log"
    environment = os.environ | {
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
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "auth.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the service did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        # The demo accounts log in below (the seed is idempotent).
        subprocess.run(
            [sys.executable, "-m", "auth", "setup-local"],
            env=environment,
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        if "Traceback" in log.read_text():
            print(log.read_text()[-5000:])


@pytest.fixture(scope="module")
def api_schema(service_url: str) -> Any:
    return schemathesis.openapi.from_url(service_url + "/openapi.json")


FUZZ = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


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


def server_errors(
    api_schema: Any, service_url: str, headers: Callable[[], dict[str, str]]
) -> tuple[list[str], list[int]]:
    """Fuzz every operation (fresh credentials for each: some operations end the session);
    the requests that got a 5xx, and every status seen."""
    failures: list[str] = []
    statuses: list[int] = []
    current: dict[str, dict[str, str]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "DELETE" and operation.path == "/me":
            continue  # would delete the demo account the next operations use
        current["headers"] = headers()

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call(base_url=service_url, headers=current["headers"], timeout=15)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                )

        fuzz()
    return failures, statuses


def test_anonymous_callers_never_get_a_server_error(api_schema: Any, service_url: str) -> None:
    failures, statuses = server_errors(api_schema, service_url, dict)
    assert failures == []
    assert len(statuses) > 60, "the document was hardly exercised"
    assert any(200 <= status < 300 for status in statuses)


def test_a_member_never_gets_a_server_error(api_schema: Any, service_url: str) -> None:
    failures, statuses = server_errors(api_schema, service_url, lambda: member_headers(service_url))
    assert failures == []
    assert any(200 <= status < 300 for status in statuses)


def test_an_admin_never_gets_a_server_error(api_schema: Any, service_url: str) -> None:
    failures, statuses = server_errors(api_schema, service_url, lambda: admin_headers(service_url))
    assert failures == []
    assert any(200 <= status < 300 for status in statuses)
