"""The supervisors' dashboard against real Kafka and PostgreSQL: a known set of events
published on the messages topics gives the expected figures in the live projection, a
rebuild from the topics gives the same, and only supervisors and admins see them, each
the funds they may."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts import Event, topic_for
from contracts.topics import REPLY_POSTED
from messages.entrypoints.stream.dashboard import rebuild_from_topics
from servicekit.testing import eventually
from services.messages.tests.support import People, service_settings, topics_with_leaders
from services.messages.tests.support_dashboard import (
    EXPECTED_BACKLOG,
    EXPECTED_BACKLOG_FIRST_WEEK,
    EXPECTED_TOTAL,
    EXPECTED_WEEKS,
    FAMILLE,
    SANTE,
    KnownEvents,
    paris,
)

pytestmark = pytest.mark.integration

PERIOD = {"from": "2025-03-03", "to": "2025-03-16"}
FIRST_WEEK = {"from": "2025-03-03", "to": "2025-03-09"}


async def _publish(bootstrap: str, prefix: str, events: list[Event], garbage: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            topic = topic_for(type(event))
            await producer.send_and_wait(
                prefix + topic.name, event.to_json(), key=topic.key_for(event).encode()
            )
        for _ in range(garbage):
            # A record no contract declares: dead-lettered, the projection goes on.
            await producer.send_and_wait(prefix + REPLY_POSTED.name, b"{not an event", key=b"x")
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def known(app: FastAPI, kafka_bootstrap: str, kafka_topic_prefix: str) -> KnownEvents:
    events = KnownEvents()
    await topics_with_leaders(kafka_bootstrap, kafka_topic_prefix)
    # Delivered twice (a producer's retry): applied once.
    repeated = [event for event in events.events if event.event_type == "ReplyNotUnderstood"]
    await _publish(kafka_bootstrap, kafka_topic_prefix, events.events + repeated, garbage=1)
    return events


async def _caught_up(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """The dashboard once every known event is applied (the figures of the week of 10 March
    come last) and the projection says it is behind by nothing."""

    async def check() -> dict[str, Any] | None:
        answer = await client.get("/agent/dashboard", params=PERIOD, headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        weeks = {week["week"]: week["figures"] for week in body["weeks"]}
        applied = weeks == EXPECTED_WEEKS and body["total"] == EXPECTED_TOTAL
        return body if applied and body["lag"]["behind_by_events"] == 0 else None

    return await eventually(check, timeout=90, interval=0.5, message="projection not caught up")


async def _first_week_backlog(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    answer = await client.get("/agent/dashboard", params=FIRST_WEEK, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["backlog"]


def _figures(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "weeks": {week["week"]: week["figures"] for week in body["weeks"]},
        "themes": {
            (week["week"], row["theme"]["code"]): row["figures"]
            for week in body["weeks"]
            for row in week["themes"]
        },
        "total": body["total"],
        "backlog": body["backlog"],
    }


async def test_the_live_projection_gives_the_known_figures_and_a_rebuild_the_same(
    known: KnownEvents,
    client: httpx.AsyncClient,
    people: People,
    messages_database: str,
    kafka_bootstrap: str,
    kafka_topic_prefix: str,
    jwks_url: str,
) -> None:
    supervisor = people.agent(fund=known.fund, role="supervisor")
    body = await _caught_up(client, supervisor.headers)
    assert body["fund"] == {"code": "NPC", "label": "MSA Nord-Pas de Calais"}
    assert (body["start"], body["end"]) == ("2025-03-03", "2025-03-16")
    figures = _figures(body)
    assert figures["weeks"] == EXPECTED_WEEKS
    assert figures["total"] == EXPECTED_TOTAL
    # Threads closed by an agent without an answer leave the backlog; reopened, they are back.
    assert [bucket["count"] for bucket in body["backlog"]["buckets"]] == EXPECTED_BACKLOG
    assert body["backlog"]["as_of"] == "2025-03-16"
    first_week = await _first_week_backlog(client, supervisor.headers)
    assert first_week["as_of"] == "2025-03-09"
    assert [bucket["count"] for bucket in first_week["buckets"]] == EXPECTED_BACKLOG_FIRST_WEEK
    assert figures["themes"][("2025-S10", "famille")]["received"] == 4
    assert figures["themes"][("2025-S11", "sante")]["relances"] == 1
    assert body["lag"]["last_event_at"] is not None
    assert body["lag"]["rebuilt_at"] is None

    settings = service_settings(messages_database, kafka_bootstrap, kafka_topic_prefix, jwks_url)
    assert await rebuild_from_topics(settings, argparse.Namespace(batch_size=3)) == 0

    rebuilt = (
        await client.get("/agent/dashboard", params=PERIOD, headers=supervisor.headers)
    ).json()
    assert rebuilt["lag"]["rebuilt_at"] is not None
    assert _figures(rebuilt) == figures
    assert await _first_week_backlog(client, supervisor.headers) == first_week
    # The live consumers go on writing into the rebuilt tables (a thread of the next week).
    later = KnownEvents()
    later.sent("A", FAMILLE, paris(20, 10), due=date(2025, 3, 27))
    await _publish(kafka_bootstrap, kafka_topic_prefix, later.events[-1:])
    next_week = {"from": "2025-03-17", "to": "2025-03-23"}

    async def applied_after_rebuild() -> bool:
        answer = await client.get("/agent/dashboard", params=next_week, headers=supervisor.headers)
        return bool(answer.json()["total"]["received"] == 1)

    await eventually(applied_after_rebuild, timeout=60, interval=0.5, message="not applied")


async def test_the_csv_export_opens_in_a_french_spreadsheet(
    known: KnownEvents, client: httpx.AsyncClient, people: People
) -> None:
    supervisor = people.agent(fund=known.fund, role="supervisor")
    await _caught_up(client, supervisor.headers)
    answer = await client.get("/agent/dashboard.csv", params=PERIOD, headers=supervisor.headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "tableau-de-bord-NPC-2025-S10-2025-S11.csv" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == [
        "Caisse",
        "Semaine",
        "Début de semaine",
        "Prestation",
        "Messages reçus",
        "Réponses",
    ]
    assert rows[0][12:] == [
        "En attente au",
        "En attente depuis 0 à 2 jours ouvrés",
        "En attente depuis 3 à 5 jours ouvrés",
        "En attente depuis 6 à 10 jours ouvrés",
        "En attente depuis Plus de 10 jours ouvrés",
        "En attente (total)",
    ]
    assert {len(row) for row in rows} == {18}
    by_key = {(row[1], row[3]): row for row in rows[1:]}
    s11 = by_key[("2025-S11", "Toutes les prestations")]
    assert s11[0] == "MSA Nord-Pas de Calais"
    assert s11[2] == "10/03/2025"
    assert s11[4:12] == ["0", "2", "3", "5", "50,0", "1", "2", "50,0"]
    assert s11[12:] == [""] * 6, "the backlog is counted once, for the period"
    assert by_key[("2025-S10", FAMILLE.label)][4:6] == ["4", "1"]
    # The period: each theme (with its backlog by age), then every theme, as the page shows.
    period = "2025-S10 à 2025-S11"
    famille = by_key[(period, FAMILLE.label)]
    assert famille[4:6] == ["4", "2"]
    assert famille[12:] == ["16/03/2025", "0", "0", "1", "2", "3"]
    sante = by_key[(period, SANTE.label)]
    assert sante[4:6] == ["1", "1"]
    assert sante[12:] == ["16/03/2025", "0", "0", "0", "1", "1"]
    total = rows[-1]
    assert total[1] == period
    assert total[3] == "Toutes les prestations"
    assert total[4:9] == ["5", "3", "2", "5", "66,7"]
    assert total[12:] == ["16/03/2025", *map(str, EXPECTED_BACKLOG), str(sum(EXPECTED_BACKLOG))]
    assert len(rows) == 1 + 2 * 3 + 2 + 1

    # Filtered on one theme, its rows are not written twice.
    one = await client.get(
        "/agent/dashboard.csv", params=PERIOD | {"theme": "sante"}, headers=supervisor.headers
    )
    rows = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[3] for row in rows[1:]] == [SANTE.label] * 3
    assert rows[-1][12:] == ["16/03/2025", "0", "0", "0", "1", "1"]


async def test_only_supervisors_and_admins_see_it_each_their_funds(
    known: KnownEvents, client: httpx.AsyncClient, people: People
) -> None:
    supervisor = people.agent(fund=known.fund, role="supervisor")
    await _caught_up(client, supervisor.headers)

    member = await client.get("/agent/dashboard", params=PERIOD, headers=people.member().headers)
    assert member.status_code == 403
    agent = await client.get("/agent/dashboard.csv", headers=people.agent(role="agent").headers)
    assert agent.status_code == 403
    assert agent.headers["content-type"] == "application/problem+json"
    nobody = await client.get("/agent/dashboard")
    assert nobody.status_code == 401

    other = await client.get(
        "/agent/dashboard", params=PERIOD | {"fund": "ADN"}, headers=supervisor.headers
    )
    assert other.status_code == 403
    assert other.json()["type"].endswith("other-fund")
    assert "votre caisse" in other.json()["detail"]

    adn = people.agent(fund=known.other_fund, role="supervisor")
    own = (await client.get("/agent/dashboard", params=PERIOD, headers=adn.headers)).json()
    assert (own["total"]["received"], own["total"]["answered"]) == (1, 1)
    assert [fund["code"] for fund in own["funds"]] == ["ADN"]

    admin = people.agent(fund=known.fund, role="admin")
    national = (await client.get("/agent/dashboard", params=PERIOD, headers=admin.headers)).json()
    assert national["fund"] is None
    assert national["scope_label"] == "Toutes les caisses (national)"
    assert (national["total"]["received"], national["total"]["answered"]) == (6, 4)
    assert len(national["funds"]) == 35
    chosen = await client.get(
        "/agent/dashboard", params=PERIOD | {"fund": "ADN"}, headers=admin.headers
    )
    assert chosen.json()["total"]["received"] == 1

    famille = await client.get(
        "/agent/dashboard", params=PERIOD | {"theme": "famille"}, headers=supervisor.headers
    )
    assert famille.json()["total"]["received"] == 4
    assert famille.json()["theme"]["code"] == "famille"
    # The other themes stay offered, to choose another.
    assert [theme["code"] for theme in famille.json()["themes"]] == ["famille", "sante"]


async def test_a_bad_period_is_refused_in_french(
    known: KnownEvents, client: httpx.AsyncClient, people: People
) -> None:
    supervisor = people.agent(fund=known.fund, role="supervisor")
    reversed_ = await client.get(
        "/agent/dashboard",
        params={"from": "2025-03-16", "to": "2025-03-03"},
        headers=supervisor.headers,
    )
    assert reversed_.status_code == 422
    assert reversed_.json()["detail"] == "La date de début doit précéder la date de fin."
    too_long = await client.get(
        "/agent/dashboard",
        params={"from": "2023-01-02", "to": "2025-03-03"},
        headers=supervisor.headers,
    )
    assert too_long.status_code == 422
    not_a_date = await client.get(
        "/agent/dashboard", params={"from": "demain"}, headers=supervisor.headers
    )
    assert not_a_date.status_code == 422
    assert not_a_date.headers["content-type"] == "application/problem+json"
