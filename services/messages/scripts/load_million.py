"""Load realistic threads and messages into the messages database, fast (COPY).

    uv run python services/messages/scripts/load_million.py [--messages 1000000] [--database-url URL]

Spreads threads over the 35 funds (bigger funds get more), members (most with a few
threads, some with hundreds), motifs, statuses (most threads closed, a tenth waiting for the
fund) and three years of dates; each thread has its first message and usually a reply,
sometimes follow-ups. References continue each fund's counter, so the loaded threads live
beside real ones. Default database: the service's (``MESSAGES_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

import asyncpg

from contracts import all_funds
from messages.adapters import reference_numbers
from messages.config import Settings
from messages.domain.calendar import add_working_days
from messages.domain.model import STATUS_LABELS, Status, format_reference
from servicekit.clock import paris_date
from servicekit.db import asyncpg_dsn

MOTIFS = [
    # theme, theme label, subject, subject label, motif, motif label, skill, days, weight
    (
        "famille",
        "Famille, Allocations familiales, aides au logement",
        "famille-allocations",
        "Allocations familiales",
        "af-changement-situation",
        "Mon changement de situation",
        "famille",
        5,
        12,
    ),
    (
        "famille",
        "Famille, Allocations familiales, aides au logement",
        "famille-allocations",
        "Allocations familiales",
        "af-autre",
        "Autre",
        "famille",
        10,
        6,
    ),
    (
        "famille",
        "Famille, Allocations familiales, aides au logement",
        "famille-paiements",
        'Mes paiements, mes décomptes "famille"',
        "fp-paiement",
        "Mes paiements, mes décomptes",
        "famille",
        5,
        10,
    ),
    (
        "famille",
        "Famille, Allocations familiales, aides au logement",
        "famille-logement",
        "Aides au logement",
        "al-demande",
        "Ma demande d'aide au logement",
        "famille",
        10,
        6,
    ),
    (
        "sante",
        "Santé, Carte Vitale, remboursements, CMU, invalidité...",
        "sante-remboursements",
        "Mes remboursements",
        "sante-remboursement-soins",
        "Remboursement de soins",
        "sante",
        3,
        18,
    ),
    (
        "sante",
        "Santé, Carte Vitale, remboursements, CMU, invalidité...",
        "sante-carte-vitale",
        "Ma carte Vitale",
        "cv-perte",
        "Perte ou vol de ma carte Vitale",
        "sante",
        3,
        6,
    ),
    (
        "solidarite",
        "RSA, Prime d'activité, Aides aux personnes handicapées",
        "prime-activite",
        "Prime d'activité",
        "pa-declaration",
        "Ma déclaration trimestrielle",
        "solidarite",
        5,
        10,
    ),
    (
        "retraite",
        "Retraite, carrière, réversion",
        "retraite-carriere",
        "Ma carrière",
        "rc-releve",
        "Mon relevé de carrière",
        "retraite",
        15,
        8,
    ),
    (
        "retraite",
        "Retraite, carrière, réversion",
        "retraite-reversion",
        "Réversion",
        "rr-demande",
        "Ma demande de réversion",
        "retraite",
        15,
        4,
    ),
    (
        "cotisations",
        "Cotisations Exploitants, parcellaire, affiliation, facture",
        "cotisations-facture",
        "Ma facture",
        "cf-echeancier",
        "Un échéancier de paiement",
        "cotisations",
        10,
        8,
    ),
]

TEXTS = [
    "Bonjour, je viens de déménager et je souhaite déclarer ma nouvelle adresse. Cordialement.",
    "Bonjour, je n'ai pas reçu le paiement de mes allocations ce mois-ci, pouvez-vous vérifier ?",
    "Pouvez-vous m'envoyer mon attestation de paiement pour l'année dernière ? Merci.",
    "Bonjour, ma situation familiale a changé depuis la naissance de notre deuxième enfant.",
    "Je souhaite connaître l'état d'avancement de mon dossier, déposé il y a trois semaines.",
    "Mon relevé de carrière ne mentionne pas mes années de travail saisonnier, que faire ?",
    "Bonjour, je voudrais obtenir un échéancier pour régler ma facture de cotisations.",
    "J'ai perdu ma carte Vitale, comment en obtenir une nouvelle rapidement ?",
    "Ma déclaration trimestrielle de ressources a-t-elle bien été prise en compte ?",
    "Bonjour, mon numéro de compte bancaire a changé, je vous joins mon nouveau RIB.",
    "Je voudrais connaître mon quotient familial pour l'inscription de mes enfants à la cantine.",
    "Bonjour, suite au décès de mon époux je souhaite faire une demande de pension de réversion.",
]
REPLIES = [
    "Bonjour, nous avons bien pris en compte votre demande. Cordialement, votre MSA.",
    "Bonjour, votre dossier est complet et sera traité dans les prochains jours.",
    "Bonjour, pour traiter votre demande nous avons besoin d'un justificatif complémentaire.",
    "Bonjour, le paiement a été effectué le 5 du mois, vous le recevrez sous 48 heures.",
]
FOLLOW_UPS = [
    "Merci pour votre réponse. J'ai encore une question sur le même sujet.",
    "Bonjour, je vous relance car je n'ai toujours rien reçu.",
]
BIG_FUNDS = {"NPC": 4, "ARM": 3, "LAV": 3, "GIR": 3, "IDF": 2, "MPN": 2, "BOU": 2}
STATUS_WEIGHTS = [
    (Status.CLOSED, 70),
    (Status.ANSWERED, 15),
    (Status.IN_PROGRESS, 7),
    (Status.SUBMITTED, 8),
]
THREAD_COLUMNS = [
    "id",
    "reference",
    "fund",
    "member_id",
    "member_given_name",
    "member_family_name",
    "theme_code",
    "theme_label",
    "subject_code",
    "subject_label",
    "motif_code",
    "motif_label",
    "skill",
    "response_time_days",
    "status",
    "created_at",
    "last_activity_at",
    "due_date",
    "assignee_id",
    "assignee_name",
    "assigned_at",
    "closed_at",
    "unread_replies",
    "last_consulted_by_fund_at",
]
MESSAGE_COLUMNS = [
    "id",
    "thread_id",
    "author_kind",
    "author_id",
    "author_name",
    "body",
    "created_at",
    "follow_up",
    "canned_reply_id",
    "read_at",
]
GIVEN_NAMES = ["Camille", "Jeanne", "Paul", "Marie", "Louis", "Emma", "Jules", "Léa", "Hugo"]
FAMILY_NAMES = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT"]


@dataclass
class Fund:
    code: str
    members: list[tuple[uuid.UUID, str, str]]
    agents: list[tuple[uuid.UUID, str]]


@cache
def due(day: date, days: int) -> date:
    return add_working_days(day, days)


def funds(rng: random.Random, threads: int) -> tuple[list[Fund], list[int]]:
    codes = list(all_funds())
    weights = [BIG_FUNDS.get(code, 1) for code in codes]
    total = sum(weights)
    result = []
    for code, weight in zip(codes, weights, strict=True):
        member_count = max(3, threads * weight // total // 3)
        members = [
            (uuid.uuid4(), rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES))
            for _ in range(member_count)
        ]
        agents = [
            (uuid.uuid4(), f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}")
            for _ in range(8)
        ]
        result.append(Fund(code, members, agents))
    return result, weights


def generate(
    messages: int, *, seed: int, counters: dict[tuple[str, int], int], now: datetime
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """Rows of threads with their messages, until ``messages`` messages are made."""
    rng = random.Random(seed)  # noqa: S311 - test data
    estimated_threads = max(1, messages * 10 // 25)
    all_funds_, weights = funds(rng, estimated_threads)
    motif_weights = [motif[-1] for motif in MOTIFS]
    statuses = [status for status, _ in STATUS_WEIGHTS]
    status_weights = [weight for _, weight in STATUS_WEIGHTS]
    made = 0
    span = timedelta(days=3 * 365).total_seconds()
    while made < messages:
        fund = rng.choices(all_funds_, weights)[0]
        # A few members write a lot: the first member of each fund has a tenth of its threads.
        member = fund.members[0] if rng.random() < 0.1 else rng.choice(fund.members)
        theme, theme_label, subject, subject_label, motif, motif_label, skill, days, _ = (
            rng.choices(MOTIFS, motif_weights)[0]
        )
        status = rng.choices(statuses, status_weights)[0]
        # Threads still open are recent; closed ones spread over three years.
        age = rng.random() * (span if status is Status.CLOSED else span / 36)
        created = now - timedelta(seconds=age)
        year = paris_date(created).year
        counters[(fund.code, year)] = number = counters.get((fund.code, year), 0) + 1
        thread_id = uuid.uuid4()
        agent_id, agent_name = rng.choice(fund.agents)
        rows: list[tuple[object, ...]] = [
            (
                uuid.uuid4(),
                thread_id,
                "member",
                member[0],
                f"{member[1]} {member[2]}",
                rng.choice(TEXTS),
                created,
                False,
                None,
                None,
            )
        ]
        last = created
        assigned = status is not Status.SUBMITTED
        unread = 0
        if status in (Status.ANSWERED, Status.CLOSED):
            for turn in range(1 if rng.random() < 0.8 else 2):
                last = last + timedelta(hours=rng.randint(2, 96))
                read = (
                    last + timedelta(hours=rng.randint(1, 48))
                    if status is Status.CLOSED or rng.random() < 0.6
                    else None
                )
                if read is None:
                    unread += 1
                rows.append(
                    (
                        uuid.uuid4(),
                        thread_id,
                        "agent",
                        agent_id,
                        agent_name,
                        rng.choice(REPLIES),
                        last,
                        False,
                        None,
                        read,
                    )
                )
                if turn == 0 and len(rows) == 2 and rng.random() < 0.2:
                    last = last + timedelta(hours=rng.randint(2, 96))
                    rows.append(
                        (
                            uuid.uuid4(),
                            thread_id,
                            "member",
                            member[0],
                            f"{member[1]} {member[2]}",
                            rng.choice(FOLLOW_UPS),
                            last,
                            True,
                            None,
                            None,
                        )
                    )
        last = min(last, now)
        thread = (
            thread_id,
            format_reference(fund.code, year, number),
            fund.code,
            member[0],
            member[1],
            member[2],
            theme,
            theme_label,
            subject,
            subject_label,
            motif,
            motif_label,
            skill,
            days,
            status.value,
            created,
            last,
            due(paris_date(created), days),
            agent_id if assigned else None,
            agent_name if assigned else None,
            created + timedelta(hours=1) if assigned else None,
            last + timedelta(days=rng.randint(1, 30)) if status is Status.CLOSED else None,
            unread,
            last if assigned else None,
        )
        made += len(rows)
        yield thread, rows


async def load(dsn: str, messages: int, *, seed: int = 7, batch: int = 50_000) -> tuple[int, int]:
    """Load about ``messages`` messages; returns (threads, messages) actually loaded."""
    connection = await asyncpg.connect(dsn)
    try:
        counters = {
            (row["fund"], row["year"]): row["last_number"]
            for row in await connection.fetch(
                "SELECT fund, year, last_number FROM reference_counters"
            )
        }
        # The numbers the service took from its sequences (one per fund and year).
        sequences = {
            row["sequencename"]: row["last_value"] or 0
            for row in await connection.fetch(
                "SELECT sequencename, last_value FROM pg_sequences WHERE sequencename LIKE $1",
                reference_numbers.PREFIX + "%",
            )
        }
        for name, last_value in sequences.items():
            fund, year = name.removeprefix(reference_numbers.PREFIX).rsplit("_", 1)
            key = (fund.upper(), int(year))
            counters[key] = max(counters.get(key, 0), last_value)
        threads_loaded = messages_loaded = 0
        thread_rows: list[tuple[object, ...]] = []
        message_rows: list[tuple[object, ...]] = []

        async def flush() -> None:
            nonlocal threads_loaded, messages_loaded
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "threads", records=thread_rows, columns=THREAD_COLUMNS
                )
                await connection.copy_records_to_table(
                    "messages", records=message_rows, columns=MESSAGE_COLUMNS
                )
                # The search document, as the service builds it (folded, french configuration).
                await connection.execute(
                    """
                    UPDATE threads t SET search_vector = to_tsvector('french'::regconfig,
                        lower(translate(t.reference || ' ' || t.theme_label || ' ' ||
                        t.subject_label || ' ' || t.motif_label || ' ' || m.bodies,
                        'àâäéèêëîïôöùûüçÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ', 'aaaeeeeiioouuucAAAEEEEIIOOUUUC')))
                    FROM (SELECT thread_id, string_agg(body, ' ') AS bodies FROM messages
                          WHERE thread_id = ANY($1::uuid[]) GROUP BY thread_id) m
                    WHERE t.id = m.thread_id
                    """,
                    [row[0] for row in thread_rows],
                )
            threads_loaded += len(thread_rows)
            messages_loaded += len(message_rows)
            thread_rows.clear()
            message_rows.clear()

        for thread, rows in generate(messages, seed=seed, counters=counters, now=datetime.now(UTC)):
            thread_rows.append(thread)
            message_rows.extend(rows)
            if len(message_rows) >= batch:
                await flush()
        if thread_rows:
            await flush()
        await connection.executemany(
            """
            INSERT INTO reference_counters (fund, year, last_number) VALUES ($1, $2, $3)
            ON CONFLICT (fund, year) DO UPDATE
            SET last_number = GREATEST(reference_counters.last_number, EXCLUDED.last_number)
            """,
            [(fund, year, number) for (fund, year), number in counters.items()],
        )
        # A sequence that exists goes on after the numbers loaded; the others start there.
        for (fund, year), number in counters.items():
            name = reference_numbers.sequence_name(fund, year)
            if name in sequences:
                await connection.execute(
                    # The name is built from a checked fund code and year, not from input.
                    f"SELECT setval('{name}', GREATEST(last_value, $1)) FROM {name}",  # noqa: S608
                    number,
                )
        # The steady state autovacuum keeps: statistics and a visibility map (index-only scans).
        await connection.execute("VACUUM (ANALYZE) threads")
        await connection.execute("VACUUM (ANALYZE) messages")
        return threads_loaded, messages_loaded
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: MESSAGES_DATABASE_URL")
    args = parser.parse_args()
    url = args.database_url or Settings().database_url.get_secret_value()
    started = time.perf_counter()
    threads, messages = asyncio.run(load(asyncpg_dsn(url), args.messages, seed=args.seed))
    print(
        f"loaded {threads} threads and {messages} messages in "
        f"{time.perf_counter() - started:.0f} s ({', '.join(STATUS_LABELS.values())})"
    )


if __name__ == "__main__":
    main()
