"""Demo accounts of the local environment (``demo_accounts.yaml``), created idempotently."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from importlib import resources
from typing import Any

import yaml

from auth.adapters.passwords import PasswordHasher
from auth.domain import nir
from auth.domain.model import Agent, Member, MemberStatus
from auth.service_layer.clock import Clock
from auth.service_layer.handlers import UnitOfWorkFactory, contact_changed


def demo_accounts() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("auth.seed").joinpath("demo_accounts.yaml").read_text("utf-8")
    accounts: dict[str, list[dict[str, Any]]] = yaml.safe_load(text)
    return accounts


async def seed_demo_accounts(
    *, unit_of_work: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher
) -> list[str]:
    """Create the demo members (active) and agents that are missing, and give back their
    demo password to those whose password was changed. Returns the ``DEMO`` lines to print."""
    accounts = demo_accounts()
    lines: list[str] = []
    now = clock.now()
    async with unit_of_work() as uow:
        for row in accounts["members"]:
            member_nir = nir.parse_with_key(row["nir"])
            existing = await uow.members.get_by_nir(member_nir, for_update=True)
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
                await uow.members.save(member)
                uow.publish(contact_changed(member))
            elif not existing.active or not await hasher.verify(
                existing.password_hash, row["password"]
            ):
                member = replace(
                    existing,
                    status=MemberStatus.ACTIVE,
                    activated_at=existing.activated_at or now,
                    password_hash=await hasher.hash(row["password"]),
                )
                await uow.members.save(member)
                uow.publish(contact_changed(member))
            lines.append(
                f"DEMO member {row['given_name']} {row['family_name']}  fund {row['fund']}  "
                f"NIR {member_nir.value} (key {member_nir.key})  password {row['password']}"
            )
        for row in accounts["agents"]:
            agent = await uow.agents.get_by_email(row["email"])
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
                await uow.agents.add(agent, now=now)
            elif not agent.active or not await hasher.verify(agent.password_hash, row["password"]):
                reset = replace(
                    agent, active=True, password_hash=await hasher.hash(row["password"])
                )
                await uow.agents.save_changes(agent, reset, now=now)
            lines.append(
                f"DEMO {row['role']} {row['given_name']} {row['family_name']}  fund {row['fund']}  "
                f"email {row['email']}  password {row['password']}"
            )
        await uow.commit()
    return lines
