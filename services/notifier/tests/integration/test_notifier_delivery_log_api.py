"""The delivery log API: who may read it, how it pages, and that no input makes it fail."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
import uvicorn
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from notifier.main import create_app
from servicekit.testing import eventually
from services.notifier.tests.support import (
    Notifier,
    NotifierFactory,
    account_events,
    contact_changed,
    free_port,
    message_submitted,
    unique_email,
)

pytestmark = pytest.mark.integration


async def member_with_emails(notifier: Notifier, count: int) -> tuple[uuid.UUID, str]:
    member_id, address = uuid.uuid4(), unique_email()
    await notifier.publish(contact_changed(member_id, address))
    events = [message_submitted(member_id, number=n) for n in range(count)]
    await notifier.publish(*events)
    for event in events:
        await notifier.wait_for_status(event.event_id, "sent")
    return member_id, address


async def test_the_delivery_log_is_for_agents_of_the_fund_and_pages(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = await member_with_emails(notifier, 3)
    client = notifier.client
    params = {"member_id": str(member_id)}

    response = await client.get("/deliveries", params=params)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    member = notifier.headers(kind="member")
    assert (await client.get("/deliveries", params=params, headers=member)).status_code == 403
    assert (await client.get("/dead-letters", headers=member)).status_code == 403

    agent = notifier.headers()
    response = await client.get("/deliveries", headers=agent)
    assert response.status_code == 422
    assert "Précisez" in response.json()["detail"], "the error says what to do, in French"
    both = params | {"thread_id": str(uuid.uuid4())}
    assert (await client.get("/deliveries", params=both, headers=agent)).status_code == 422
    bad_cursor = params | {"cursor": "pas-un-curseur"}
    response = await client.get("/deliveries", params=bad_cursor, headers=agent)
    assert response.status_code == 422
    assert "curseur" in response.json()["detail"]
    # A cursor forged with a date that overflows once in UTC: refused the same, never a 500.
    overflowing = base64.urlsafe_b64encode(
        json.dumps(["0001-01-01T00:00:00+14:00", str(uuid.uuid4())]).encode()
    ).decode()
    supervisor = notifier.headers(role="supervisor")
    for path, query in (("/deliveries", params), ("/dead-letters", {})):
        response = await client.get(
            path, params=query | {"cursor": overflowing}, headers=supervisor
        )
        assert response.status_code == 422, (path, response.text)

    first = (await client.get("/deliveries", params=params | {"limit": 2}, headers=agent)).json()
    assert len(first["data"]) == 2
    assert first["next_cursor"]
    second = (
        await client.get(
            "/deliveries",
            params=params | {"limit": 2, "cursor": first["next_cursor"]},
            headers=agent,
        )
    ).json()
    assert len(second["data"]) == 1
    assert second["next_cursor"] is None
    everything = first["data"] + second["data"]
    assert len({entry["id"] for entry in everything}) == 3
    created = [entry["created_at"] for entry in everything]
    assert created == sorted(created, reverse=True), "newest first"
    for entry in everything:
        assert entry["status"] == "sent"
        assert entry["sent_at"]
        assert entry["attempts"] == 1
        assert entry["recipient"] != address

    admin = notifier.headers(role="admin")
    response = await client.get("/deliveries", params=params, headers=admin)
    assert {entry["recipient"] for entry in response.json()["data"]} == {address}

    other_fund = notifier.headers(fund="CNO")
    response = await client.get("/deliveries", params=params, headers=other_fund)
    assert response.json()["data"] == [], "another fund's agent sees nothing"

    supervisor = notifier.headers(role="supervisor")
    sent_id = everything[0]["id"]
    for unknown in (sent_id, str(uuid.uuid4())):
        response = await client.post(f"/dead-letters/{unknown}/replay", headers=supervisor)
        assert response.status_code == 404, "only dead letters can be replayed"
    response = await client.post(f"/dead-letters/{sent_id}/replay", headers=agent)
    assert response.status_code == 403, "agents cannot replay"


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_no_request_makes_the_api_fail(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    """Schemathesis over the OpenAPI document, against the service on a real HTTP port."""
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, _ = await member_with_emails(notifier, 1)
    [activation, *_] = account_events(member_id, unique_email())
    await notifier.publish(activation)
    await notifier.wait_for_status(activation.event_id, "sent")
    openapi = (await notifier.client.get("/openapi.json")).json()
    await notifier.stop()

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(notifier.settings),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "the server stopped during start-up"
            await asyncio.sleep(0.05)
        # /readyz rightly answers 503 until the consumers are connected: start from ready.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await eventually(ready, timeout=60, message="notifier ready")
        schema = schemathesis.openapi.from_dict(openapi)
        supervisor = notifier.headers(role="supervisor")
        await asyncio.to_thread(fuzz, schema, f"http://127.0.0.1:{port}", supervisor)
    finally:
        server.should_exit = True
        await serving


def fuzz(schema: Any, base_url: str, headers: dict[str, str]) -> None:
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the document describes operations"
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @hypothesis.settings(
                max_examples=15,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def check(case: schemathesis.Case) -> None:
                for sent_headers in (headers, {}):
                    response = case.call(base_url=base_url, headers=sent_headers)
                    assert response.status_code < 500, (
                        f"{case.method} {case.formatted_path}: {response.status_code}"
                    )
                    case.validate_response(response, checks=checks, headers=sent_headers)

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                # No invalid request exists for this operation (no parameters, no body).
                assert mode is schemathesis.GenerationMode.NEGATIVE
