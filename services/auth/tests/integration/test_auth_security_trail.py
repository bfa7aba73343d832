"""The security trail: every login, failure, lock, reset, change and agent management is an
entry, kept in the auth database (read by supervisors for their fund, admins for all, with
filters and pages) and published on ``auth.security-events.v1``; addresses are keyed hashes,
members masked numbers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from auth.domain.commands import PruneExpired
from auth.service_layer.handlers.common import address_hash
from servicekit.testing import MovableClock
from services.auth.tests.support import (
    AuthApp,
    agent_bearer,
    browser_headers,
    new_agent,
    random_nir,
    registered_member,
)

pytestmark = pytest.mark.integration

ADDRESS = "198.51.100.23"


async def trail(app: AuthApp, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    async with app.client() as tool:
        response = await tool.get("/security-events", params=query, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_logins_and_changes_are_recorded_published_and_read_by_fund(
    seeded: AuthApp,
) -> None:
    nir, password = await registered_member(seeded)
    async with seeded.client(address=ADDRESS) as browser:
        failed = await browser.post("/session", json={"nir": nir, "password": "Pas-Le-Bon-2026"})
        assert failed.status_code == 401
        unknown = await browser.post(
            "/session", json={"nir": "1800175123456", "password": "Pas-Le-Bon-2026"}
        )
        assert unknown.status_code == 401
        logged_in = await browser.post("/session", json={"nir": nir, "password": password})
        assert logged_in.status_code == 200
        member_id = logged_in.json()["profile"]["id"]
        changed = await browser.post(
            "/password",
            json={"current_password": password, "new_password": "Nouveau-Colza-Tournesol-2026"},
            headers=browser_headers(browser),
        )
        assert changed.status_code == 204

    supervisor = await agent_bearer(seeded, "supervisor")
    mine = await trail(seeded, supervisor, actor=member_id)
    kinds = [(entry["kind"], entry["outcome"]) for entry in mine["data"]]
    assert kinds == [
        ("password_changed", "success"),
        ("login_succeeded", "success"),
        ("login_failed", "failure"),
    ], "newest first"
    entry = mine["data"][0]
    assert entry["subject_label"] == f"{nir[0]}*********{nir[10:13]}"
    assert entry["fund"] == "NPC"
    assert entry["actor_id"] == member_id
    assert entry["address_hash"]
    assert ADDRESS not in json.dumps(mine)
    assert nir not in json.dumps(mine), "never the number"
    hashes = {e["address_hash"] for e in mine["data"]}
    assert len(hashes) == 1, "one address, one hash"

    # The failure on a number nobody has belongs to no fund: admins only.
    failures = await trail(seeded, supervisor, kind="login_failed", outcome="failure")
    assert all(e["fund"] == "NPC" for e in failures["data"])
    admin = await agent_bearer(seeded, "admin")
    everyone = await trail(seeded, admin, actor="1*********456")
    assert [e["kind"] for e in everyone["data"]][:1] == ["login_failed"]
    assert everyone["data"][0]["subject_id"] is None

    # Another fund's supervisor sees none of it, whatever fund they ask for.
    assert seeded.events is not None
    published = await seeded.events.wait_for(
        lambda topic, _key, value: (
            topic == "auth.security-events.v1"
            and value is not None
            and value["event_id"] == entry["id"]
        ),
        what="the password change on the trail topic",
    )
    assert published[2] is not None
    assert published[2]["kind"] == "password_changed"


async def test_agent_management_is_recorded_with_who_did_it(seeded: AuthApp) -> None:
    supervisor = await agent_bearer(seeded, "supervisor")
    async with seeded.client() as tool:
        created = await tool.post("/agents", json=new_agent(), headers=supervisor)
        assert created.status_code == 201, created.text
        agent = created.json()
        promoted = await tool.patch(
            f"/agents/{agent['id']}", json={"role": "supervisor"}, headers=supervisor
        )
        assert promoted.status_code == 200
        deactivated = await tool.patch(
            f"/agents/{agent['id']}", json={"active": False}, headers=supervisor
        )
        assert deactivated.status_code == 200
    entries = (await trail(seeded, supervisor, actor=agent["id"]))["data"]
    assert [e["kind"] for e in entries] == [
        "agent_deactivated",
        "agent_role_changed",
        "agent_created",
    ]
    assert {e["actor_label"] for e in entries} == {"superviseur.npc@msa.example"}
    assert entries[1]["details"] == {"previous_role": "agent", "role": "supervisor"}

    other = await agent_bearer(seeded, "admin")
    cno = (await trail(seeded, other, fund="CNO", actor=agent["id"]))["data"]
    assert cno == [], "the admin's fund filter"


async def test_filters_and_pages(seeded: AuthApp) -> None:
    # A fund of its own: a masked number (first digit, last three) is shared by many members.
    nir, _ = await registered_member(seeded, fund="HNO")
    async with seeded.client() as browser:
        for attempt in range(3):
            response = await browser.post(
                "/session", json={"nir": nir, "password": f"Pas-Le-Bon-{attempt}-2026"}
            )
            assert response.status_code == 401
    admin = await agent_bearer(seeded, "admin")
    masked = f"{nir[0]}*********{nir[10:13]}"
    mine = {"actor": masked, "fund": "HNO"}
    first = await trail(seeded, admin, **mine, kind="login_failed", limit=2)
    assert len(first["data"]) == 2
    assert first["next_cursor"]
    second = await trail(
        seeded, admin, **mine, kind="login_failed", limit=2, cursor=first["next_cursor"]
    )
    assert len(second["data"]) == 1
    assert second["next_cursor"] is None
    ids = [e["id"] for e in first["data"] + second["data"]]
    assert len(set(ids)) == 3
    newest = first["data"][0]["occurred_at"]
    later = await trail(seeded, admin, **mine, since=newest)
    assert [e["id"] for e in later["data"]] == [ids[0]]
    assert (await trail(seeded, admin, **mine, outcome="success"))["data"] == []

    async with seeded.client() as tool:
        bad = await tool.get("/security-events", params={"cursor": "pas-un-curseur"}, headers=admin)
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith("application/problem+json")
        agent = await agent_bearer(seeded, "agent")
        refused = await tool.get("/security-events", headers=agent)
        assert refused.status_code == 403


async def test_entries_older_than_the_retention_are_deleted(
    seeded: AuthApp, clock: MovableClock
) -> None:
    nir, _ = await registered_member(seeded)
    async with seeded.client() as browser:
        await browser.post("/session", json={"nir": nir, "password": "Pas-Le-Bon-2026"})
    admin = await agent_bearer(seeded, "admin")
    masked = f"{nir[0]}*********{nir[10:13]}"
    assert (await trail(seeded, admin, actor=masked))["data"]
    clock.advance(timedelta(days=seeded.settings.security_trail_days, hours=1))
    await seeded.app.state.bus.handle(PruneExpired())
    clock.advance(-timedelta(days=seeded.settings.security_trail_days, hours=1))
    assert (await trail(seeded, admin, actor=masked))["data"] == []


async def test_throttled_tries_and_an_address_lock_are_recorded(
    seeded: AuthApp, clock: MovableClock
) -> None:
    """A try refused with 429 (the account's delay, then the address's) and the lock of a
    client address are entries too, the address hashed like every other entry's."""
    settings = seeded.settings
    address = "203.0.113.141"
    hashed = address_hash(settings, address)
    # A fund of its own: the masked number is this test's member alone there.
    nir, _ = await registered_member(seeded, fund="GSU")
    async with seeded.client(address=address) as browser:
        statuses = []
        for attempt in range(settings.account_free_failures + 1):
            response = await browser.post(
                "/session", json={"nir": nir, "password": f"Pas-Le-Bon-{attempt}-2026"}
            )
            statuses.append(response.status_code)
        assert statuses[-1] == 429, statuses
        # Then numbers nobody has, each as soon as allowed, until the address locks.
        locked, waited = False, timedelta()
        for _ in range(settings.address_lock_after * 2):
            response = await browser.post(
                "/session", json={"nir": random_nir()[0], "password": "Pas-Le-Bon-1234"}
            )
            if response.status_code == 429:
                if response.json()["locked"]:
                    locked = True
                    break
                wait = timedelta(seconds=int(response.headers["retry-after"]) + 1)
                clock.advance(wait)
                waited += wait
        clock.advance(-waited)  # back to the time the tokens below are checked against
        assert locked, "the address never locked"

    admin = await agent_bearer(seeded, "admin")
    entries = [
        entry
        for entry in (await trail(seeded, admin, limit=200))["data"]
        if entry["address_hash"] == hashed
    ]
    kinds = {entry["kind"] for entry in entries}
    assert {"login_throttled", "address_locked"} <= kinds, kinds
    [address_lock] = [entry for entry in entries if entry["kind"] == "address_locked"]
    assert address_lock["outcome"] == "failure"
    assert address_lock["actor_kind"] == "system"
    assert address_lock["details"]["locked_until"]
    by_address = [
        entry
        for entry in entries
        if entry["kind"] == "login_throttled" and entry["details"]["refused_by"] == "address"
    ]
    assert by_address, "the address's delays are recorded"
    assert by_address[0]["details"]["locked"] == "true", "newest first: the locked address"
    assert address not in json.dumps(entries)

    # Filtered by the fund and the kind, the 429 of the member's own account is found.
    throttled = await trail(
        seeded, admin, fund="GSU", kind="login_throttled", actor=f"{nir[0]}*********{nir[10:]}"
    )
    [mine] = [entry for entry in throttled["data"] if entry["address_hash"] == hashed]
    assert mine["details"]["refused_by"] == "account"
    assert mine["details"]["locked"] == "false"
    assert mine["subject_kind"] == "member"
    assert nir not in json.dumps(mine)
