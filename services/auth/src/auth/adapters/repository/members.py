"""Members, their one-time codes and password-reset links: in and out of their tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import MEMBERS, ONE_TIME_CODES, PASSWORD_RESETS
from auth.adapters.repository.rows import changed_values
from auth.domain.model import CodePurpose, Member, MemberStatus, OneTimeCode
from auth.domain.nir import Nir


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _from_row(row: Row[Any]) -> Member:
        return Member(
            id=row.id,
            nir=Nir(row.nir),
            birth_date=row.birth_date,
            given_name=row.given_name,
            family_name=row.family_name,
            email=row.email,
            fund=row.fund,
            password_hash=row.password_hash,
            status=MemberStatus(row.status),
            created_at=row.created_at,
            activated_at=row.activated_at,
            identity_proof=row.identity_proof,
        )

    @staticmethod
    def _values(member: Member) -> dict[str, Any]:
        return {
            "id": member.id,
            "nir": member.nir.value,
            "birth_date": member.birth_date,
            "given_name": member.given_name,
            "family_name": member.family_name,
            "email": member.email,
            "fund": member.fund,
            "password_hash": member.password_hash,
            "status": member.status.value,
            "created_at": member.created_at,
            "activated_at": member.activated_at,
            "identity_proof": member.identity_proof,
        }

    async def get(self, member_id: uuid.UUID, *, for_update: bool = False) -> Member | None:
        query = select(MEMBERS).where(MEMBERS.c.id == member_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return self._from_row(row) if row else None

    async def get_by_nir(self, nir: Nir, *, for_update: bool = False) -> Member | None:
        query = select(MEMBERS).where(MEMBERS.c.nir == nir.value)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return self._from_row(row) if row else None

    async def born_on(self, birth_date: date) -> list[Member]:
        rows = await self._session.execute(
            select(MEMBERS).where(
                MEMBERS.c.birth_date == birth_date, MEMBERS.c.status == MemberStatus.ACTIVE.value
            )
        )
        return [self._from_row(row) for row in rows]

    async def register(self, member: Member) -> uuid.UUID | None:
        """Create the pending account ``member`` describes, or replace the pending account
        its number has (keeping that account's id): the id of the account, or None when the
        number has an active account (left untouched). One statement, so that a double
        submission replaces the first one's account instead of meeting the unique number."""
        values = self._values(member)
        statement = insert(MEMBERS).values(values)
        account_id: uuid.UUID | None = await self._session.scalar(
            statement.on_conflict_do_update(
                index_elements=[MEMBERS.c.nir],
                set_={
                    name: statement.excluded[name] for name in values if name not in ("id", "nir")
                },
                where=MEMBERS.c.status == MemberStatus.PENDING.value,
            ).returning(MEMBERS.c.id)
        )
        return account_id

    async def save(self, member: Member) -> None:
        values = self._values(member)
        statement = insert(MEMBERS).values(values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[MEMBERS.c.id],
                set_={name: statement.excluded[name] for name in values if name != "id"},
            )
        )

    async def save_changes(self, before: Member, after: Member) -> None:
        """Write what differs between ``before`` (as read, the row locked) and ``after``."""
        changes = changed_values(self._values(before), self._values(after))
        if changes:
            await self._session.execute(
                update(MEMBERS).where(MEMBERS.c.id == before.id).values(changes)
            )

    async def delete(self, member_id: uuid.UUID) -> None:
        await self._session.execute(delete(MEMBERS).where(MEMBERS.c.id == member_id))


class CodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, member_id: uuid.UUID, purpose: CodePurpose) -> OneTimeCode | None:
        row = (
            await self._session.execute(
                select(ONE_TIME_CODES)
                .where(
                    ONE_TIME_CODES.c.member_id == member_id,
                    ONE_TIME_CODES.c.purpose == purpose.value,
                )
                .with_for_update()
            )
        ).first()
        if row is None:
            return None
        return OneTimeCode(
            member_id=row.member_id,
            purpose=CodePurpose(row.purpose),
            code_hash=row.code_hash,
            expires_at=row.expires_at,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            new_email=row.new_email,
        )

    async def save(self, code: OneTimeCode) -> None:
        values = {
            "member_id": code.member_id,
            "purpose": code.purpose.value,
            "code_hash": code.code_hash,
            "expires_at": code.expires_at,
            "attempts": code.attempts,
            "max_attempts": code.max_attempts,
            "new_email": code.new_email,
        }
        statement = insert(ONE_TIME_CODES).values(values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[ONE_TIME_CODES.c.member_id, ONE_TIME_CODES.c.purpose],
                set_={
                    name: statement.excluded[name]
                    for name in values
                    if name not in ("member_id", "purpose")
                },
            )
        )

    async def delete(self, member_id: uuid.UUID, purpose: CodePurpose) -> None:
        await self._session.execute(
            delete(ONE_TIME_CODES).where(
                ONE_TIME_CODES.c.member_id == member_id,
                ONE_TIME_CODES.c.purpose == purpose.value,
            )
        )


class PasswordResetRepository:
    """One-time password-reset links of members (``password_resets``) or, on the agents'
    table (``agent_password_resets``), of agents: stored as their SHA-256, single use."""

    def __init__(self, session: AsyncSession, table: Table = PASSWORD_RESETS) -> None:
        self._session = session
        self._table = table
        self._owner = table.c.member_id if "member_id" in table.c else table.c.agent_id

    async def add(
        self,
        *,
        token_hash: str,
        member_id: uuid.UUID,
        now: datetime,
        expires_at: datetime,
        **extra: Any,
    ) -> None:
        """Store a link for the account ``member_id`` (a member, or an agent on the agents'
        table); ``extra`` columns as the table has them (who requested it)."""
        await self._session.execute(
            self._table.insert().values(
                {self._owner.name: member_id}
                | {"token_hash": token_hash, "created_at": now, "expires_at": expires_at}
                | extra
            )
        )

    def _usable(self, token_hash: str, now: datetime) -> list[Any]:
        return [
            self._table.c.token_hash == token_hash,
            self._table.c.used_at.is_(None),
            self._table.c.expires_at > now,
        ]

    async def find(self, token_hash: str, now: datetime) -> uuid.UUID | None:
        """The account of an unused link still in time (the row stays locked), else None."""
        owner: uuid.UUID | None = await self._session.scalar(
            select(self._owner).where(*self._usable(token_hash, now)).with_for_update()
        )
        return owner

    async def take(self, token_hash: str, now: datetime) -> uuid.UUID | None:
        """Use the link once: its account if it is unused and in time, else None."""
        owner = await self._session.scalar(
            update(self._table)
            .where(*self._usable(token_hash, now))
            .values(used_at=now)
            .returning(self._owner)
        )
        return owner if isinstance(owner, uuid.UUID) else None

    async def invalidate_for(self, member_id: uuid.UUID, now: datetime) -> None:
        await self._session.execute(
            update(self._table)
            .where(self._owner == member_id, self._table.c.used_at.is_(None))
            .values(used_at=now)
        )
