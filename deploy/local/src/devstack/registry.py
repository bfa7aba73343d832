"""The local registry of covered people: a generated population plus the demo members,
published on ``registry.insured-person.v1`` as the funds' registry would.

``python -m devstack registry-load`` (run by the auth part of the local stack after its
set-up, so by ``make run`` and by the tests' stack) publishes everyone; ``--write FILE`` writes
them as JSON Lines instead, to look at; ``--read-by DATABASE_URL`` then waits until the auth
service's database holds everyone (``--wait-only``: without publishing them again; ``make
run-images`` says the product runs only then). The
population is described by ``deploy/local/registry/population.yaml`` and made by
``generate_population``: the same people every time (a seeded generator), so a test can pick
one. Each record's event id is derived from its content, so loading again publishes records
the auth service recognises as already applied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from contracts.events.registry import InsuredPersonRegistered, PostalAddress
from devstack.config import repo_root

SPEC = repo_root() / "deploy" / "local" / "registry" / "population.yaml"
DEMO_ACCOUNTS = repo_root() / "services" / "auth" / "src" / "auth" / "seed" / "demo_accounts.yaml"
#: When the registry's records say they were written: fixed, so their ids are too.
RECORDED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PRODUCER = "registry"

FAMILY_NAMES: tuple[str, ...] = (
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFÈVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEBVRE",
    "FAURE",
    "ANDRÉ",
    "MERCIER",
    "BLANC",
    "GUÉRIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANÇOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "PERRIN",
    "ROBIN",
    "CLÉMENT",
    "MORIN",
    "NICOLAS",
    "HENRY",
    "ROUSSEL",
    "MATHIEU",
    "GAUTIER",
    "MASSON",
    "MARCHAND",
    "DUVAL",
    "DENIS",
    "DUMONT",
    "MARIE",
    "LEMAIRE",
    "NOËL",
    "MEYER",
    "DUFOUR",
    "MEUNIER",
    "BRUN",
    "BLANCHARD",
    "GIRAUD",
    "JOLY",
    "RIVIÈRE",
    "LUCAS",
    "BRUNET",
    "GAILLARD",
    "BARBIER",
    "ARNAUD",
    "MARTINEZ",
    "GÉRARD",
    "ROCHE",
    "D'ALMEIDA",
    "LE GALL",
    "SANTONI",
)
GIVEN_NAMES = {
    "1": [
        "Jean",
        "Pierre",
        "Michel",
        "André",
        "Philippe",
        "René",
        "Louis",
        "Alain",
        "Jacques",
        "Bernard",
        "Marcel",
        "Daniel",
        "Roger",
        "Claude",
        "Paul",
        "Christian",
        "Henri",
        "Georges",
        "Nicolas",
        "François",
        "Éric",
        "Julien",
        "Antoine",
        "Hugo",
        "Théo",
        "Léo",
        "Gaëtan",
        "Jérôme",
        "Noël",
        "Loïc",
    ],
    "2": [
        "Marie",
        "Jeanne",
        "Françoise",
        "Monique",
        "Catherine",
        "Nathalie",
        "Isabelle",
        "Sylvie",
        "Anne",
        "Martine",
        "Christine",
        "Sophie",
        "Camille",
        "Léa",
        "Chloé",
        "Manon",
        "Inès",
        "Zoé",
        "Hélène",
        "Élise",
        "Maëlle",
        "Océane",
        "Noémie",
        "Anaïs",
        "Béatrice",
        "Cécile",
        "Agnès",
        "Solène",
    ],
}
STREETS = (
    "rue de la République",
    "rue Victor-Hugo",
    "place de l'Église",
    "chemin des Vignes",
    "rue du Moulin",
    "avenue Jean-Jaurès",
    "route de la Ferme",
    "impasse des Tilleuls",
    "rue Pasteur",
    "allée des Peupliers",
)


def nir_key(thirteen: str) -> int:
    """The NIR's key: 97 - N mod 97, Corsica's 2A read as 19 and 2B as 18."""
    numeric = int(thirteen.replace("2A", "19").replace("2B", "18"))
    return 97 - numeric % 97


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return spec


def generate_population(spec: dict[str, Any]) -> list[InsuredPersonRegistered]:
    """The generated people of ``spec`` (``generated``), the same for the same spec."""
    generated = spec["generated"]
    chance = random.Random(generated["seed"])  # noqa: S311 - fictitious people, not secrets
    people: list[InsuredPersonRegistered] = []
    seen: set[str] = set()
    for fund, where in generated["funds"].items():
        for index in range(generated["per_fund"]):
            birthplace, postal_code, city = chance.choice(where["towns"])
            sex = chance.choice("12")
            born = date(chance.randint(1935, 2005), chance.randint(1, 12), chance.randint(1, 28))
            while True:
                order = f"{chance.randint(1, 999):03d}"
                thirteen = f"{sex}{born.year % 100:02d}{born.month:02d}{birthplace}{order}"
                if thirteen not in seen:
                    seen.add(thirteen)
                    break
            family = chance.choice(FAMILY_NAMES)
            usage = chance.choice(FAMILY_NAMES) if sex == "2" and chance.random() < 0.3 else None
            given = [chance.choice(GIVEN_NAMES[sex])]
            if chance.random() < 0.4:
                given.append(chance.choice(GIVEN_NAMES[sex]))
            street = f"{chance.randint(1, 120)} {chance.choice(STREETS)}"
            email = None
            if index % generated["fund_email_every"] == 0:
                email = f"{given[0].lower()}.{thirteen[-6:]}@assure.msa.example"
                email = email.encode("ascii", "ignore").decode()
            people.append(
                record(
                    nir=thirteen,
                    fund=fund,
                    birth_date=born,
                    family_name=family,
                    usage_name=usage,
                    given_names=given,
                    birthplace=birthplace,
                    address=PostalAddress(lines=[street], postal_code=postal_code, city=city),
                    email=email,
                )
            )
    return people


def demo_members(
    spec: dict[str, Any], accounts: Path = DEMO_ACCOUNTS
) -> list[InsuredPersonRegistered]:
    """The demo members of the local environment, as the registry knows them."""
    described = spec["demo_members"]
    members = yaml.safe_load(accounts.read_text("utf-8"))["members"]
    people = []
    for member in members:
        fifteen = str(member["nir"])
        extra = described[fifteen]
        people.append(
            record(
                nir=fifteen[:13],
                fund=member["fund"],
                birth_date=member["birth_date"],
                family_name=extra.get("family_name", member["family_name"]),
                usage_name=extra.get("usage_name"),
                given_names=extra["given_names"],
                birthplace=extra["birthplace"],
                address=PostalAddress(**extra["address"]),
                email=None,
            )
        )
    return people


def record(**fields: Any) -> InsuredPersonRegistered:
    """A registry record whose event id is derived from its content."""
    event = InsuredPersonRegistered.new(producer=PRODUCER, **fields)
    body = event.model_dump(mode="json", exclude={"event_id", "occurred_at"})
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, "registry:" + json.dumps(body, sort_keys=True))
    return event.model_copy(update={"event_id": event_id, "occurred_at": RECORDED_AT})


def everyone(spec_path: Path = SPEC) -> list[InsuredPersonRegistered]:
    spec = load_spec(spec_path)
    return [*demo_members(spec), *generate_population(spec)]


async def publish(
    bootstrap: str, people: list[InsuredPersonRegistered], *, prefix: str = ""
) -> None:
    from aiokafka import AIOKafkaProducer

    from contracts.topics import INSURED_PERSON
    from servicekit.kafka import ensure_topics

    await ensure_topics(bootstrap, [INSURED_PERSON], prefix=prefix)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        topic = prefix + INSURED_PERSON.name
        sent = [
            await producer.send(topic, person.to_json(), key=person.nir.encode())
            for person in people
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def applied(database_url: str, people: list[InsuredPersonRegistered]) -> bool:
    """Whether the auth service's database (``database_url``) has applied every one of
    ``people``: their event ids are all among its processed events. Publishing them again
    would then change nothing (the service skips an event it applied), so the local stack
    does not: the service would only read thousands of records to skip them as it starts."""
    import asyncpg

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        held = await connection.fetchval(
            "SELECT count(DISTINCT event_id) FROM processed_events WHERE event_id = ANY($1::uuid[])",
            [person.event_id for person in people],
        )
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await connection.close()
    return bool(held == len({person.event_id for person in people}))


async def wait_read(
    database_url: str, people: list[InsuredPersonRegistered], timeout: float
) -> int:
    """Until the auth service's database (``database_url``) holds every one of ``people``, as
    its registry consumer applies what was published; how many it holds."""
    import asyncpg

    nirs = sorted({person.nir for person in people})
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        connection = await asyncpg.connect(dsn)
        try:
            held = await connection.fetchval(
                "SELECT count(*) FROM registry_people WHERE nir = ANY($1::text[])", nirs
            )
        finally:
            await connection.close()
        if held == len(nirs):
            return int(held)
        if asyncio.get_running_loop().time() > deadline:
            raise SystemExit(
                f"the auth service read {held} of {len(nirs)} people in {timeout:.0f} s"
            )
        await asyncio.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="devstack registry-load", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--write", type=Path, help="write the people as JSON Lines, publish nothing"
    )
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument(
        "--read-by",
        metavar="DATABASE_URL",
        help="then wait until the auth service's database at this URL holds them all",
    )
    parser.add_argument("--timeout", type=float, default=600, help="for --read-by (seconds)")
    parser.add_argument(
        "--wait-only", action="store_true", help="with --read-by: publish nothing, only wait"
    )
    arguments = parser.parse_args(argv)
    people = everyone(arguments.spec)
    if arguments.write:
        with arguments.write.open("w", encoding="utf-8") as out:
            for person in people:
                out.write(person.model_dump_json() + "\n")
        print(f"{len(people)} people written to {arguments.write}")
        return 0
    from devstack.config import StackConfig

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or StackConfig().kafka_bootstrap
    prefix = os.environ.get("KAFKA_TOPIC_PREFIX", "")
    if not (arguments.wait_only and arguments.read_by):
        asyncio.run(publish(bootstrap, people, prefix=prefix))
        print(f"registry: {len(people)} people published on {prefix}registry.insured-person.v1")
    if arguments.read_by:
        held = asyncio.run(wait_read(arguments.read_by, people, arguments.timeout))
        print(f"registry: the auth service holds all {held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
