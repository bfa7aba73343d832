"""Enrolment against the registry of covered people: only the person the registry knows
under a number can open its account, the code goes to the registry's address, and nothing in
the answer or its timing tells whether a number is registered."""

from __future__ import annotations

import math
import statistics
import time
from datetime import date
from typing import Any

import pytest

from auth.config import Settings
from servicekit.testing import MovableClock
from services.auth.tests.support import (
    AuthApp,
    agent_bearer,
    as_published,
    cover,
    member_form,
    outbox_events,
    running_app,
    settings_with,
)

pytestmark = pytest.mark.integration

ANSWER = (
    "Si ces informations correspondent à une personne couverte par la MSA, un code "
    "d'activation lui sera envoyé par courrier ou à l'adresse électronique connue de votre "
    "caisse."
)
LILLE = {"lines": ["Bâtiment B", "3 chemin du Moulin"], "postal_code": "59000", "city": "LILLE"}


async def codes_for(auth_app: AuthApp, nir13: str) -> list[dict[str, Any]]:
    """The activation codes sent (by post or email) to the account of a number."""
    async with auth_app.app.state.runtime.engine.connect() as connection:
        from sqlalchemy import select

        from auth.adapters.orm import MEMBERS

        member_id = await connection.scalar(select(MEMBERS.c.id).where(MEMBERS.c.nir == nir13))
    if member_id is None:
        return []
    sent = [
        *await outbox_events(auth_app, "ActivationLetterRequested"),
        *await outbox_events(auth_app, "ActivationCodeIssued"),
    ]
    return [event for event in sent if event["member_id"] == str(member_id)]


async def enrol(auth_app: AuthApp, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with auth_app.client() as browser:
        response = await browser.post("/members", json=form)
    return response.status_code, response.json()


async def test_only_the_registered_person_enrols_and_every_refusal_answers_alike(
    auth_app: AuthApp,
) -> None:
    form = member_form(family_name="LEFÈVRE")
    await cover(auth_app, form, email=None, address=LILLE)
    thirteen = form["nir"][:13]
    unknown = member_form()  # a valid number nobody registered
    wrong_birth_day = form | {"birth_date": "1980-03-16"}  # same year and month as the number
    wrong_name = form | {"family_name": "LEFEBVRE-DUPONT"}

    answers = [
        await enrol(auth_app, attempt) for attempt in (unknown, wrong_birth_day, wrong_name, form)
    ]
    assert answers == [(202, {"detail": ANSWER})] * 4, "the same answer, whoever asks"
    assert await codes_for(auth_app, unknown["nir"][:13]) == []
    [letter] = await codes_for(auth_app, thirteen)
    assert letter["event_type"] == "ActivationLetterRequested"
    assert letter["recipient"] == "Lucie LEFÈVRE"
    assert letter["address"] == LILLE
    assert thirteen not in str(letter), "no NIR in the letter's event"


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        ({"family_name": "LEFÈVRE"}, "lefevre"),
        ({"family_name": "D'ALMEIDA-GOMES"}, "d almeida gomes"),
        ({"family_name": "MARTIN", "usage_name": "Roussel"}, "ROUSSEL"),
        ({"family_name": "MARTIN", "usage_name": "Roussel"}, "Martin"),
    ],
    ids=["accents-and-case", "apostrophe-and-hyphen", "usage-name", "birth-name-too"],
)
async def test_names_match_whatever_their_accents_case_or_use(
    auth_app: AuthApp, registered: dict[str, str], typed: str
) -> None:
    form = member_form()
    await cover(auth_app, form, email=None, **registered)
    assert (await enrol(auth_app, form | {"family_name": typed}))[0] == 202
    assert len(await codes_for(auth_app, form["nir"][:13])) == 1


async def test_the_code_goes_where_the_registry_says_and_the_fund_is_the_registrys(
    seeded: AuthApp,
) -> None:
    """A fund that verified an address gets the code emailed there, never to the address
    typed; the account belongs to the registry's fund under the registry's names."""
    form = member_form()
    await cover(
        seeded, form, fund="CNO", given_names=["Anaïs"], email="anais.verifiee@caisse.example"
    )
    assert (await enrol(seeded, form))[0] == 202
    [sent] = await codes_for(seeded, form["nir"][:13])
    assert sent["event_type"] == "ActivationCodeIssued"
    assert sent["email"] == "anais.verifiee@caisse.example"
    assert sent["email"] != form["email"]
    code = (await as_published(seeded, sent))["code"]
    thirteen = form["nir"][:13]
    async with seeded.client() as browser:
        activated = await browser.post("/members/activation", json={"nir": thirteen, "code": code})
        assert activated.status_code == 204, activated.text
        logged_in = await browser.post(
            "/session", json={"nir": thirteen, "password": form["password"], "bearer": True}
        )
        profile = logged_in.json()["profile"]
    assert (profile["fund"], profile["given_name"]) == ("CNO", "Anaïs")
    assert profile["email"] == form["email"], "the address typed is where replies are told"

    # Agents of the member's fund see how the identity was proven; another fund's do not.
    member_id = profile["id"]
    async with seeded.client() as tool:
        cno = await tool.get(
            f"/members/{member_id}/identity", headers=await agent_bearer(seeded, "cno")
        )
        npc = await tool.get(
            f"/members/{member_id}/identity", headers=await agent_bearer(seeded, "agent")
        )
    assert cno.status_code == 200, cno.text
    assert cno.json()["identity_proof"] == "fund-email"
    assert npc.status_code == 404


async def test_a_letter_code_activates_the_account_and_a_new_one_goes_by_post_too(
    seeded: AuthApp,
) -> None:
    form = member_form()
    await cover(seeded, form, email=None, address=LILLE)
    thirteen = form["nir"][:13]
    assert (await enrol(seeded, form))[0] == 202
    async with seeded.client() as browser:
        renewed = await browser.post("/members/activation/renewal", json={"nir": thirteen})
        assert renewed.status_code == 202
    first, second = await codes_for(seeded, thirteen)
    assert first["event_type"] == second["event_type"] == "ActivationLetterRequested"
    valid_days = (date.fromisoformat(second["expires_at"][:10]) - date.today()).days
    assert valid_days >= 20, "a code sent by post outlasts the post"
    code = (await as_published(seeded, second))["code"]
    async with seeded.client() as browser:
        activated = await browser.post("/members/activation", json={"nir": thirteen, "code": code})
        assert activated.status_code == 204, activated.text
        me = await browser.post("/session", json={"nir": thirteen, "password": form["password"]})
        member_id = me.json()["profile"]["id"]
    async with seeded.client() as tool:
        seen = await tool.get(
            f"/members/{member_id}/identity", headers=await agent_bearer(seeded, "agent")
        )
    assert seen.json()["identity_proof"] == "letter"
    assert seen.json()["proven_at"] is not None


def rank_sum_z(first: list[float], second: list[float]) -> float:
    """Mann-Whitney's U of two samples, as a z-score (normal approximation): near 0 when
    neither sample tends to be slower than the other."""
    ranked = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks_first = sum(rank for rank, (_, group) in enumerate(ranked, start=1) if group == 0)
    n1, n2 = len(first), len(second)
    u = ranks_first - n1 * (n1 + 1) / 2
    mean, deviation = n1 * n2 / 2, math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    return (u - mean) / deviation


async def test_the_answers_timing_does_not_tell_whether_a_number_is_registered(
    base_settings: Settings, clock: MovableClock
) -> None:
    """Interleaved calls of each kind, compared by rank: a registered number (an account
    made and a letter asked for each time), an unknown one, a wrong name. The same answer
    after the same work and a floor that every path's work fits under (0.3 s here, as on a
    busy machine the work alone may take a tenth of a second): no kind is slower."""
    settings = settings_with(base_settings, registration_answer_seconds=0.3)
    async with running_app(settings, clock) as auth_app:
        await compare_timings(auth_app)


async def compare_timings(auth_app: AuthApp) -> None:
    form = member_form()
    await cover(auth_app, form, email=None)
    kinds = {
        "registered": form,
        "unknown": member_form(),
        "wrong name": form | {"family_name": "X"},
    }
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(20):
        for kind, attempt in kinds.items():
            started = time.perf_counter()
            status, _ = await enrol(auth_app, attempt)
            timings[kind].append(time.perf_counter() - started)
            assert status == 202
    assert len(await codes_for(auth_app, form["nir"][:13])) == 20
    registered = timings["registered"]
    for kind in ("unknown", "wrong name"):
        z = rank_sum_z(registered, timings[kind])
        medians = (
            f"{statistics.median(registered):.3f} s vs {statistics.median(timings[kind]):.3f} s"
        )
        # |z| > 3.9: such a difference by chance less than once in 10,000 runs.
        assert abs(z) < 3.9, f"registered vs {kind}: z = {z:.1f} ({medians})"
    floor = auth_app.settings.registration_answer_seconds
    assert min(min(values) for values in timings.values()) >= floor
