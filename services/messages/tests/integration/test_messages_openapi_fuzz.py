"""schemathesis over the OpenAPI document, against the service running in its own process:
whatever it is sent, it never answers 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import schemathesis

from messages.adapters.object_storage import ObjectStorage
from servicekit.testing import fuzz_for_server_errors, running_service
from services.messages.tests.support import People

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def storage(object_storage: Any) -> AsyncIterator[ObjectStorage]:
    """A bucket of its own for the attachments the fuzzed uploads store."""
    async with ObjectStorage(
        endpoint=object_storage.endpoint,
        bucket=f"fuzz-{uuid.uuid4().hex[:12]}",
        access_key=object_storage.access_key,
        secret_key=object_storage.secret_key,
    ) as client:
        await client.ensure_bucket()
        yield client


@pytest.fixture(scope="module")
def service_url(
    messages_database: str,
    kafka_bootstrap: str,
    kafka_topic_prefix: str,
    jwks_url: str,
    app: Any,  # the in-process app has stored the catalog snapshot in the database
    storage: ObjectStorage,
    object_storage: Any,
    clamd_address: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    environment = {
        "ENVIRONMENT": "test",
        "MESSAGES_DATABASE_URL": messages_database,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": kafka_topic_prefix,
        "KAFKA_GROUP_PREFIX": kafka_topic_prefix + "fuzz.",
        "AUTH_JWKS_URL": jwks_url,
        "MESSAGES_OBJECT_STORAGE_ENDPOINT": object_storage.endpoint,
        "MESSAGES_OBJECT_STORAGE_BUCKET": storage.bucket,
        "MESSAGES_OBJECT_STORAGE_ACCESS_KEY": object_storage.access_key,
        "MESSAGES_OBJECT_STORAGE_SECRET_KEY": object_storage.secret_key,
        "MESSAGES_CLAMD_ADDRESS": clamd_address,
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path_factory.mktemp("fuzz") / "messages.log"
    with running_service("messages.main:create_app", environment, log) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(service_url: str) -> Any:
    return schemathesis.openapi.from_url(service_url + "/openapi.json")


def assert_no_server_error(api_schema: Any, service_url: str, headers: dict[str, str]) -> None:
    report = fuzz_for_server_errors(api_schema, service_url, lambda: headers)
    assert report.failures == []
    assert len(report.statuses) > 40, "the document was hardly exercised"
    assert any(200 <= status < 300 for status in report.statuses), "no request ever succeeded"


def test_a_member_never_gets_a_server_error(
    api_schema: Any, people: People, service_url: str
) -> None:
    assert_no_server_error(api_schema, service_url, people.member("NPC").headers)


def test_a_supervisor_never_gets_a_server_error(
    api_schema: Any, people: People, service_url: str
) -> None:
    assert_no_server_error(api_schema, service_url, people.agent("NPC", role="supervisor").headers)
