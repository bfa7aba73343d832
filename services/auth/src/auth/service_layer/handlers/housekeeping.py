"""Housekeeping: the public signing keys, forgetting what has expired, the demo accounts of
the local environment."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain import nir
from auth.domain.commands import GetJwks, PruneExpired, SeedDemoAccounts
from auth.domain.model import Agent, Member, MemberStatus
from auth.seed import demo_accounts
from auth.service_layer.handlers.common import UnitOfWorkFactory, contact_changed
from auth.service_layer.tokens import KeyRing
from contracts.topics import SESSION_REVOCATIONS
from servicekit.clock import Clock


async def get_jwks(cmd: GetJwks, *, keyring: KeyRing) -> dict[str, Any]:
    return await keyring.jwks()


async def prune_expired(
    cmd: PruneExpired, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
) -> None:
    """Forget old throttling rows and stale FranceConnect requests; release the revocations
    whose tokens have all expired (their tombstones keep the revocations topic small); delete
    the security trail's entries older than its retention."""
    now = clock.now()
    async with uow() as work:
        await work.throttles.prune(forgotten_before=now - timedelta(hours=1), now=now)
        await work.franceconnect.prune(now)
        released = await work.sessions.revocations_to_release(
            now - work.tokens_live_for, limit=1000
        )
        for session_id in released:
            work.publish_tombstone(SESSION_REVOCATIONS, session_id)
        await work.sessions.mark_revocations_released(released, now)
        # The trail keeps its entries for AUTH_SECURITY_TRAIL_DAYS (docs/operations.md).
        await work.trail.prune(
            older_than=now - timedelta(days=settings.security_trail_days), limit=10_000
        )
        await work.commit()


async def seed_demo_accounts(
    cmd: SeedDemoAccounts, *, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher
) -> list[str]:
    """Create the demo members (active) and agents that are missing, and give back their
    demo password to those whose password was changed. Returns the ``DEMO`` lines to print."""
    accounts = demo_accounts()
    lines: list[str] = []
    now = clock.now()
    async with uow() as work:
        for row in accounts["members"]:
            member_nir = nir.parse_with_key(row["nir"])
            existing = await work.members.get_by_nir(member_nir, for_update=True)
            if existing is None:
                member = Member(
                    id=uuid.uuid4(),
                    nir=member_nir,
                    birth_date=row["birth_date"]
                    if isinstance(row["birth_date"], date)
                    else date.fromisoformat(row["birth_date"]),
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    email=row["email"],
                    fund=row["fund"],
                    password_hash=await hasher.hash(row["password"]),
                    status=MemberStatus.ACTIVE,
                    created_at=now,
                    activated_at=now,
                )
                await work.members.save(member)
                work.publish(contact_changed(member))
            elif not existing.active or not await hasher.verify(
                existing.password_hash, row["password"]
            ):
                member = replace(
                    existing,
                    status=MemberStatus.ACTIVE,
                    activated_at=existing.activated_at or now,
                    password_hash=await hasher.hash(row["password"]),
                )
                await work.members.save(member)
                work.publish(contact_changed(member))
            lines.append(
                f"DEMO member {row['given_name']} {row['family_name']}  fund {row['fund']}  "
                f"NIR {member_nir.value} (key {member_nir.key})  password {row['password']}"
            )
        for row in accounts["agents"]:
            agent = await work.agents.get_by_email(row["email"])
            if agent is None:
                agent = Agent(
                    id=uuid.uuid4(),
                    email=row["email"],
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    role=row["role"],
                    fund=row["fund"],
                    skills=tuple(row["skills"]),
                    password_hash=await hasher.hash(row["password"]),
                    active=True,
                    created_at=now,
                )
                await work.agents.add(agent, now=now)
            elif not agent.active or not await hasher.verify(agent.password_hash, row["password"]):
                reset = replace(
                    agent, active=True, password_hash=await hasher.hash(row["password"])
                )
                await work.agents.save_changes(agent, reset, now=now)
                agent = reset
            # Every run, so that a fresh directory of agents (auth.agents.v1) lists them.
            work.publish_agent(agent)
            lines.append(
                f"DEMO {row['role']} {row['given_name']} {row['family_name']}  fund {row['fund']}  "
                f"email {row['email']}  password {row['password']}"
            )
        await work.commit()
    return lines
