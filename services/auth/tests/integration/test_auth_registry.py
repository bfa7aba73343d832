"""The registry of covered people as the auth service keeps it from its compacted topic, and
what FranceConnect does with it: a first login of a registered person opens their account;
the client refuses an answer without ``iss`` or an ID token without ``at_hash``."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from auth.adapters.orm import REGISTRY_PEOPLE
from auth.config import Settings
from contracts.events.registry import PostalAddress
from contracts.topics import INSURED_PERSON
from servicekit.kafka import ensure_topics
from servicekit.testing import MovableClock, eventually
from services.auth.tests.support import (
    AuthApp,
    EventLog,
    agent_bearer,
    cover,
    insured_person,
    member_form,
    outbox_events,
    running_app,
    seed_demo_accounts,
)
from services.auth.tests.support.franceconnect import (
    IdentityTransport,
    callback,
    pivot_of,
    refused_with,
    start,
    through_provider,
)

pytestmark = pytest.mark.integration

MESSAGES = "http://localhost:8080/messages"


async def registry_row(auth_app: AuthApp, nir13: str) -> dict[str, Any] | None:
    async with auth_app.app.state.runtime.engine.connect() as connection:
        row = (
            (
                await connection.execute(
                    select(REGISTRY_PEOPLE).where(REGISTRY_PEOPLE.c.nir == nir13)
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


async def test_the_registry_follows_its_topic_records_updates_and_tombstones(
    auth_app: AuthApp, kafka_bootstrap: str
) -> None:
    prefix = auth_app.settings.kafka_topic_prefix
    await ensure_topics(kafka_bootstrap, [INSURED_PERSON], prefix=prefix)
    form = member_form()
    nir13 = form["nir"][:13]
    first = insured_person(form, email=None)
    moved = insured_person(
        form,
        email=None,
        usage_name="ROUSSEL",
        address=PostalAddress(lines=["2 rue Neuve"], postal_code="62000", city="ARRAS"),
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        topic = prefix + INSURED_PERSON.name
        await producer.send_and_wait(topic, first.to_json(), key=nir13.encode())
        recorded = await eventually(lambda: registry_row(auth_app, nir13), timeout=60)
        assert recorded["address"]["city"] == "LILLE"

        # An update replaces the person; the same record read again changes nothing.
        await producer.send_and_wait(topic, moved.to_json(), key=nir13.encode())
        await producer.send_and_wait(topic, first.to_json(), key=nir13.encode())

        async def moved_to_arras() -> dict[str, Any] | None:
            row = await registry_row(auth_app, nir13)
            return row if row and row["address"]["city"] == "ARRAS" else None

        updated = await eventually(moved_to_arras, timeout=30)
        assert updated["usage_name"] == "ROUSSEL"

        # The usage name now opens the enrolment; the tombstone closes it again.
        async with auth_app.client() as browser:
            await browser.post("/members", json=form | {"family_name": "Roussel"})
        letters = await outbox_events(auth_app, "ActivationLetterRequested")
        assert any(letter["address"]["city"] == "ARRAS" for letter in letters)

        await producer.send_and_wait(topic, None, key=nir13.encode())

        async def forgotten() -> bool:
            return await registry_row(auth_app, nir13) is None

        await eventually(forgotten, timeout=30)
    finally:
        await producer.stop()


@pytest.fixture
async def franceconnect(
    base_settings: Settings, clock: MovableClock, events: EventLog
) -> AsyncIterator[tuple[AuthApp, IdentityTransport]]:
    transport = IdentityTransport()
    async with (
        httpx.AsyncClient(transport=transport) as between,
        running_app(base_settings, clock, events=events, franceconnect_http=between) as app,
    ):
        await seed_demo_accounts(app)
        yield app, transport


def registered_identity(form: dict[str, Any], email: str) -> dict[str, str]:
    nir13 = form["nir"][:13]
    return pivot_of(
        nir13,
        given_name="Lucie Hélène",
        family_name=form["family_name"],
        birth=date.fromisoformat(form["birth_date"]),
        email=email,
    )


async def test_a_first_franceconnect_login_of_a_registered_person_opens_their_account(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    app, transport = franceconnect
    letters = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
    form = member_form(family_name=f"INSCRIT-{letters}")
    await cover(app, form, fund="MEL", given_names=["Lucie", "Hélène"], email=None)
    email = f"lucie.{letters.lower()}@example.fr"
    transport.identity = registered_identity(form, email)

    async with app.client() as browser:
        answer = await callback(browser, await through_provider(await start(browser), "jeanne"))
        assert answer.headers["location"] == MESSAGES, "in at once, no letter to wait for"
        me = (await browser.get("/me")).json()
    assert (me["fund"], me["given_name"], me["email"]) == ("MEL", "Lucie", email)
    assert me["franceconnect_linked"] is True
    contacts = [e for e in await outbox_events(app, "MemberContactChanged") if e["email"] == email]
    assert len(contacts) == 1, "the notifier learns where to write"

    async with app.client() as later:
        again = await callback(later, await through_provider(await start(later), "jeanne"))
        assert again.headers["location"] == MESSAGES
        assert (await later.get("/me")).json()["id"] == me["id"], "one account, not two"
    async with app.client() as tool:
        seen = await tool.get(
            f"/members/{me['id']}/identity", headers=await agent_bearer(app, "admin")
        )
    assert seen.json()["identity_proof"] == "franceconnect"


async def test_an_identity_the_registry_does_not_hold_exactly_opens_nothing(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    """Another first name, or another place of birth: the number and password are asked,
    as before the registry."""
    app, transport = franceconnect
    form = member_form(family_name=f"AUTRE-{secrets.token_hex(4).upper()}")
    await cover(app, form, given_names=["Lucie", "Hélène"], email=None)
    for changed in ({"given_name": "Lucie"}, {"birthplace": "75056"}):
        transport.identity = registered_identity(form, "quelquun@example.fr") | changed
        async with app.client() as browser:
            answer = await callback(browser, await through_provider(await start(browser), "jeanne"))
            assert (
                answer.headers["location"] == "http://localhost:8080/connexion?franceconnect=lier"
            )


async def test_an_answer_without_iss_is_refused(seeded: AuthApp) -> None:
    async with seeded.client() as browser:
        query = await through_provider(await start(browser), "jeanne")
        without_iss = urlencode([(k, v) for k, v in parse_qsl(query) if k != "iss"])
        assert without_iss != query
        assert refused_with(await callback(browser, without_iss), "franceconnect-invalide")


class WithoutAtHash(IdentityTransport):
    """Signs the provider's ID token again without its ``at_hash``."""

    def _signed(self, claims: dict[str, Any]) -> str:
        if "nonce" in claims:
            claims = {name: value for name, value in claims.items() if name != "at_hash"}
        return super()._signed(claims)


async def test_an_id_token_without_at_hash_is_refused(
    base_settings: Settings, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    transport = WithoutAtHash()
    transport.identity = pivot_of(
        "2800359350999", given_name="X", family_name="Y", birth=date(1980, 3, 1), email="x@y.fr"
    )
    async with (
        httpx.AsyncClient(transport=transport) as between,
        running_app(base_settings, clock, franceconnect_http=between) as app,
        app.client() as browser,
    ):
        logging.getLogger().addHandler(caplog.handler)
        answer = await callback(browser, await through_provider(await start(browser), "jeanne"))
        assert refused_with(answer, "franceconnect-invalide")
        assert "ID token: no at_hash" in caplog.text
