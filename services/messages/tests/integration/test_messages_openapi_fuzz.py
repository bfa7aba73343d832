"""schemathesis over the OpenAPI document, against the service running in its own process:
whatever it is sent, it never answers 500."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from messages.testing import People

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def service_url(
    messages_database: str,
    kafka_bootstrap: str,
    kafka_topic_prefix: str,
    jwks_url: str,
    app: Any,  # the in-process app has stored the catalog snapshot in the database
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz") / "messages.log"
    environment = os.environ | {
        "ENVIRONMENT": "test",
        "MESSAGES_DATABASE_URL": messages_database,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": kafka_topic_prefix,
        "KAFKA_GROUP_PREFIX": kafka_topic_prefix + "fuzz.",
        "AUTH_JWKS_URL": jwks_url,
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "messages.main:create_app",
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
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def api_schema(service_url: str) -> Any:
    return schemathesis.openapi.from_url(service_url + "/openapi.json")


FUZZ = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def server_errors(api_schema: Any, service_url: str, headers: dict[str, str]) -> list[str]:
    """Fuzz every operation of the document; the requests that got a 5xx."""
    failures: list[str] = []
    statuses: list[int] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call(base_url=service_url, headers=headers, timeout=10)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        fuzz()
    assert len(statuses) > 40, "the document was hardly exercised"
    assert any(200 <= status < 300 for status in statuses), "no request ever succeeded"
    return failures


def test_a_member_never_gets_a_server_error(
    api_schema: Any, people: People, service_url: str
) -> None:
    assert server_errors(api_schema, service_url, people.member("NPC").headers) == []


def test_a_supervisor_never_gets_a_server_error(
    api_schema: Any, people: People, service_url: str
) -> None:
    supervisor = people.agent("NPC", role="supervisor")
    assert server_errors(api_schema, service_url, supervisor.headers) == []
