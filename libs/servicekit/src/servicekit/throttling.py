"""Throttles: growing delays, then a temporary lock, per key (an account typed, a client
address), kept in one locked row per key of the service's own table.

Each key keeps a count of recent failures. After ``free_failures`` failures each new try must
wait a delay that doubles with every failure; at ``lock_after`` failures the key is locked for
``lock_duration``. A refused try (too early) is not checked and does not count. A success may
clear the key's count; failures are forgotten ``window`` after the last one, and the count
starts again when a lock ends.

A rate limit is the same rules with every request counted as a failure: with ``free_failures``
requests free, then delays, then a lock (the auth service limits code and link requests so,
the messages service the public check of a proof of deposit, per client address).

Each service keeps its counters in its own table (``throttle_table``), read and written by
``ThrottleRepository`` in the unit of work's transaction; ``client_address`` is the key of a
per-address throttle.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    base_delay: timedelta
    max_delay: timedelta
    lock_after: int
    lock_duration: timedelta
    window: timedelta = timedelta(minutes=15)

    def delay_after(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        return min(self.max_delay, self.base_delay * (1 << (failures - self.free_failures)))


@dataclass(frozen=True)
class ThrottleState:
    key: str
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None

    def current(self, policy: ThrottlePolicy, now: datetime) -> ThrottleState:
        """This state as of ``now``: a finished lock or an old run of failures is forgotten."""
        if self.locked_until is not None:
            if now >= self.locked_until:
                return ThrottleState(self.key)
            return self
        if self.last_failure_at is not None and now - self.last_failure_at > policy.window:
            return ThrottleState(self.key)
        return self

    def retry_at(self, policy: ThrottlePolicy, now: datetime) -> datetime | None:
        """When the next try will be heard; None when it may happen now."""
        state = self.current(policy, now)
        if state.locked_until is not None:
            return state.locked_until
        delay = policy.delay_after(state.failures)
        if state.last_failure_at is None or not delay:
            # Free tries never wait, even when the last one is stamped a moment after ``now``
            # (a request sent at the same time that committed first, another replica's clock).
            return None
        allowed = state.last_failure_at + delay
        return allowed if allowed > now else None

    def after_failure(self, policy: ThrottlePolicy, now: datetime) -> ThrottleState:
        state = self.current(policy, now)
        failures = state.failures + 1
        locked_until = now + policy.lock_duration if failures >= policy.lock_after else None
        return replace(state, failures=failures, last_failure_at=now, locked_until=locked_until)

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


@dataclass(frozen=True)
class Refusal:
    """A try refused before being checked: come back at ``retry_at``."""

    retry_at: datetime
    locked: bool

    def seconds_left(self, now: datetime) -> int:
        return max(1, int((self.retry_at - now).total_seconds() + 0.999))


def refusal(states: list[tuple[ThrottleState, ThrottlePolicy]], now: datetime) -> Refusal | None:
    """The latest moment any of ``states`` allows a new try, if one is in the future."""
    waits = [
        (retry, state.current(policy, now).locked)
        for state, policy in states
        if (retry := state.retry_at(policy, now)) is not None
    ]
    if not waits:
        return None
    retry_at, locked = max(waits)
    return Refusal(retry_at=retry_at, locked=locked)


# --------------------------------------------------------------------------- storage


def throttle_table(name: str, metadata: MetaData, *, key_comment: str) -> Table:
    """A service's table of throttle counters: one row per key."""
    return Table(
        name,
        metadata,
        Column("key", Text, primary_key=True, comment=key_comment),
        Column("failures", Integer, nullable=False, server_default="0"),
        Column("last_failure_at", DateTime(timezone=True)),
        Column("locked_until", DateTime(timezone=True)),
    )


class ThrottleRepository:
    """The counters of one ``throttle_table``. No commit here: the unit of work commits."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table

    async def lock(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        """The states of ``keys``, locked until the transaction ends (tries of one account
        are checked one after the other, never in parallel)."""
        ordered = sorted(set(keys))
        states: dict[str, ThrottleState] = {}
        while len(states) < len(ordered):
            # A row we waited for may be gone when our turn comes (a success cleared the
            # account's failures, the prune dropped it): it is created again.
            await self._session.execute(
                insert(self._table)
                .values([{"key": key} for key in ordered])
                .on_conflict_do_nothing()
            )
            rows = await self._session.execute(
                select(self._table)
                .where(self._table.c.key.in_(ordered))
                .order_by(self._table.c.key)
                .with_for_update()
            )
            states = {
                row.key: ThrottleState(
                    key=row.key,
                    failures=row.failures,
                    last_failure_at=row.last_failure_at,
                    locked_until=row.locked_until,
                )
                for row in rows
            }
        return states

    async def save(self, state: ThrottleState) -> None:
        await self._session.execute(
            update(self._table)
            .where(self._table.c.key == state.key)
            .values(
                failures=state.failures,
                last_failure_at=state.last_failure_at,
                locked_until=state.locked_until,
            )
        )

    async def clear(self, key: str) -> None:
        await self._session.execute(delete(self._table).where(self._table.c.key == key))

    async def prune(self, *, forgotten_before: datetime, now: datetime) -> int:
        """Drop keys with nothing to remember: no lock running, last failure long ago."""
        result = await self._session.execute(
            delete(self._table).where(
                (self._table.c.locked_until.is_(None)) | (self._table.c.locked_until < now),
                (self._table.c.last_failure_at.is_(None))
                | (self._table.c.last_failure_at < forgotten_before),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- the caller


def client_address(request: Request, trusted_proxies: Sequence[str]) -> str:
    """The browser's address: the socket peer, or what a trusted proxy (``trusted_proxies``,
    CIDR networks: the gateway) says it forwarded."""
    peer = request.client.host if request.client else "unknown"
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not trusted(peer):
        return peer
    forwarded = [
        part.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for part in header.split(",")
        if part.strip()
    ]
    for address in reversed(forwarded):
        if not trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return peer
    return forwarded[0] if forwarded else peer
