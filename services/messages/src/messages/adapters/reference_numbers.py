"""The numbers of thread references (``NPC-2026-000123``): one PostgreSQL sequence per fund
and year.

A sequence gives a number without a lock held until the transaction ends: the counter row
(``reference_counters``) it replaces was locked from the moment a submission took its number
until it committed, so that every submission of a fund waited on the one before. The
sequence of a fund and year is created the first time it is needed (outside the
submission's transaction, so that it exists whether that transaction commits or not),
starting after every number already given that year: those of the counter table, which the
service used before, and those of the stored references. A number taken by a transaction
that rolls back is not given again: the references of a year may skip one, they never
repeat (``threads.reference`` is unique besides).
"""

from __future__ import annotations

import re
import weakref

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from servicekit.failures import sqlstate

#: Fund codes are short capitals and digits (``NPC``, ``2A``...): safe in a sequence's name.
_FUND = re.compile(r"^[A-Z0-9]{1,8}$")

#: The reference sequences are named ``reference_number_<fund>_<year>``.
PREFIX = "reference_number_"

#: SQLSTATEs of a sequence created at the same moment by another process.
_ALREADY_CREATED = frozenset({"23505", "42P07"})

#: The sequences known to exist, by engine (they are never dropped).
_known: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def sequence_name(fund: str, year: int) -> str:
    if not _FUND.match(fund) or not 1900 <= year <= 9999:
        raise ValueError(f"no reference sequence for fund {fund!r} and year {year!r}")
    return f"{PREFIX}{fund.lower()}_{year:04d}"


async def next_number(session: AsyncSession, fund: str, year: int) -> int:
    """The next number of ``fund``'s references of ``year``."""
    number: int = (
        await session.execute(select(func.nextval(await sequence_of(session, fund, year))))
    ).scalar_one()
    return number


async def sequence_of(session: AsyncSession, fund: str, year: int) -> str:
    """The name of the sequence of ``fund`` and ``year`` (created if it is new), for a
    statement that takes its next number along with what it does."""
    name = sequence_name(fund, year)
    bind = session.bind
    assert isinstance(bind, AsyncEngine), "sessions are bound to the service's engine"
    known = _known.setdefault(bind.sync_engine, set())
    if name not in known:
        await ensure_sequence(bind, fund, year)
        known.add(name)
    return name


async def ensure_sequence(engine: AsyncEngine, fund: str, year: int) -> None:
    """Create the sequence of ``fund`` and ``year`` unless it exists, starting after the
    numbers already given; committed at once, on a connection of its own."""
    name = sequence_name(fund, year)
    prefix = f"{fund}-{year:04d}-"
    # Constants checked above (fund and year), so the block can be written out: DO takes no
    # parameters. The start is computed only when the sequence is created.
    block = f"""
        DO $$
        BEGIN
            IF to_regclass('{name}') IS NULL THEN
                EXECUTE format(
                    'CREATE SEQUENCE IF NOT EXISTS {name} AS bigint MINVALUE 1 START WITH %s',
                    1 + GREATEST(
                        (SELECT max(last_number) FROM reference_counters
                         WHERE fund = '{fund}' AND year = {year}),
                        (SELECT max(split_part(reference, '-', 3)::bigint) FROM threads
                         WHERE reference LIKE '{prefix}%'),
                        0
                    )
                );
            END IF;
        END
        $$
    """  # noqa: S608 - fund and year are checked by sequence_name
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            await autocommit.execute(text(block))
        except DBAPIError as error:
            if sqlstate(error) not in _ALREADY_CREATED:
                raise
