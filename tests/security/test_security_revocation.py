"""Revocation everywhere within 2 s: once a session ends (logout, password changed, agent
deactivated or given another role), its access token, still signed and unexpired, is
refused by every API (401 problem+json), polled, never slept for."""

from __future__ import annotations

import time
from typing import Any

import pytest

from servicekit.testing import eventually
from tests.security.conftest import OTHER_MEMBER, Product, bearer

pytestmark = pytest.mark.integration

#: One authenticated route per service that the member's token opens.
MEMBER_ROUTES = (
    ("auth", "/me"),
    ("messages", "/threads"),
    ("notifier", "/preferences"),
    ("catalog", "/tree"),
)
AGENT_ROUTES = (
    ("auth", "/agents"),
    ("messages", "/agent/threads"),
    ("notifier", "/dead-letters"),
    ("catalog", "/admin/draft"),
)
WITHIN_SECONDS = 2.0


async def _answers(product: Product, routes: Any, session: dict[str, Any]) -> dict[str, int]:
    """Each API's answer to the session's token for it."""
    return {
        service: (
            await product.http.get(product.url(service, path), headers=bearer(session, service))
        ).status_code
        for service, path in routes
    }


async def _refused_everywhere_within(
    product: Product, routes: Any, session: dict[str, Any], started: float
) -> float:
    """Seconds from ``started`` until every route answers 401 (problem+json)."""

    async def all_refused() -> bool:
        answers = await _answers(product, routes, session)
        return all(status == 401 for status in answers.values())

    await eventually(
        all_refused, timeout=WITHIN_SECONDS, interval=0.05, message="token refused everywhere"
    )
    elapsed = time.monotonic() - started
    for service, path in routes:
        response = await product.http.get(
            product.url(service, path), headers=bearer(session, service)
        )
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
    return elapsed


async def test_a_logged_out_members_token_is_refused_by_every_api_within_2_seconds(
    product: Product,
) -> None:
    session = await product.log_in_member(OTHER_MEMBER)
    before = await _answers(product, MEMBER_ROUTES, session)
    assert all(status == 200 for status in before.values()), before

    started = time.monotonic()
    logout = await product.http.delete(product.url("auth", "/session"), headers=bearer(session))
    assert logout.status_code == 200
    elapsed = await _refused_everywhere_within(product, MEMBER_ROUTES, session, started)
    print(f"member token refused everywhere {elapsed:.2f} s after logout")

    # A new login opens everything again: only the ended session is refused.
    again = await product.log_in_member(OTHER_MEMBER)
    after = await _answers(product, MEMBER_ROUTES, again)
    assert all(status == 200 for status in after.values()), after


async def test_a_password_change_ends_the_other_sessions_everywhere_within_2_seconds(
    product: Product,
) -> None:
    other_tab = await product.log_in_member(OTHER_MEMBER)
    current = await product.log_in_member(OTHER_MEMBER)
    password = OTHER_MEMBER["password"]
    new_password = "Betterave-Lin-2027-Nord"
    started = time.monotonic()
    changed = await product.http.post(
        product.url("auth", "/password"),
        json={"current_password": password, "new_password": new_password},
        headers=bearer(current),
    )
    assert changed.status_code == 204, changed.text
    try:
        await _refused_everywhere_within(product, MEMBER_ROUTES, other_tab, started)
        still = await _answers(product, MEMBER_ROUTES, current)
        assert all(status == 200 for status in still.values()), still
    finally:
        back = await product.http.post(
            product.url("auth", "/password"),
            json={"current_password": new_password, "new_password": password},
            headers=bearer(current),
        )
        assert back.status_code == 204, back.text


async def test_a_deactivated_agents_token_is_refused_by_every_api_within_2_seconds(
    product: Product,
) -> None:
    admin = bearer(await product.log_in_agent("admin"))
    agent = await product.create_agent(
        admin,
        "Chicoree-Endive-2026",
        email=f"conseiller.{time.monotonic_ns()}@msa.example",
        given_name="Hugo",
        family_name="LAMBERT",
        role="admin",
        fund="NPC",
        skills=["famille"],
    )
    session = await product.log_in_agent(email=agent["email"], password="Chicoree-Endive-2026")
    before = await _answers(product, AGENT_ROUTES, session)
    assert all(status == 200 for status in before.values()), before

    started = time.monotonic()
    deactivated = await product.http.patch(
        product.url("auth", f"/agents/{agent['id']}"), json={"active": False}, headers=admin
    )
    assert deactivated.status_code == 200, deactivated.text
    elapsed = await _refused_everywhere_within(product, AGENT_ROUTES, session, started)
    print(f"agent token refused everywhere {elapsed:.2f} s after deactivation")


async def test_every_service_says_it_follows_the_revocations(product: Product) -> None:
    for running in product.services.values():
        ready = (await product.http.get(running.url + "/readyz")).json()
        assert ready["checks"]["revocations"] == "ok", (running.name, ready)
