"""Repositories: domain objects in and out of the tables, on the unit of work's session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import (
    AGENTS,
    FRANCECONNECT_LINKS,
    FRANCECONNECT_PENDING,
    FRANCECONNECT_REQUESTS,
    LOGIN_THROTTLES,
    MEMBERS,
    ONE_TIME_CODES,
    PASSWORD_RESETS,
    REFRESH_TOKENS,
    SESSIONS,
    SIGNING_KEYS,
)
from auth.domain.model import (
    Agent,
    CodePurpose,
    KeyStatus,
    Member,
    MemberStatus,
    OneTimeCode,
    RefreshToken,
    Session,
    SigningKey,
)
from auth.domain.nir import Nir
from auth.domain.throttling import ThrottleState


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in after.items() if before.get(name) != value}


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
        changes = _changes(self._values(before), self._values(after))
        if changes:
            await self._session.execute(
                update(MEMBERS).where(MEMBERS.c.id == before.id).values(changes)
            )

    async def delete(self, member_id: uuid.UUID) -> None:
        await self._session.execute(delete(MEMBERS).where(MEMBERS.c.id == member_id))


class AgentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _from_row(row: Row[Any]) -> Agent:
        return Agent(
            id=row.id,
            email=row.email,
            given_name=row.given_name,
            family_name=row.family_name,
            role=row.role,
            fund=row.fund,
            skills=tuple(row.skills),
            password_hash=row.password_hash,
            active=row.active,
            created_at=row.created_at,
        )

    @staticmethod
    def _values(agent: Agent) -> dict[str, Any]:
        return {
            "id": agent.id,
            "email": agent.email.lower(),
            "given_name": agent.given_name,
            "family_name": agent.family_name,
            "role": agent.role,
            "fund": agent.fund,
            "skills": list(agent.skills),
            "password_hash": agent.password_hash,
            "active": agent.active,
            "created_at": agent.created_at,
        }

    async def get(self, agent_id: uuid.UUID, *, for_update: bool = False) -> Agent | None:
        query = select(AGENTS).where(AGENTS.c.id == agent_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return self._from_row(row) if row else None

    async def get_by_email(self, email: str) -> Agent | None:
        row = (
            await self._session.execute(select(AGENTS).where(AGENTS.c.email == email.lower()))
        ).first()
        return self._from_row(row) if row else None

    async def list(self, *, fund: str | None = None) -> list[Agent]:
        query = select(AGENTS).order_by(AGENTS.c.fund, AGENTS.c.family_name, AGENTS.c.given_name)
        if fund is not None:
            query = query.where(AGENTS.c.fund == fund)
        return [self._from_row(row) for row in await self._session.execute(query)]

    async def add(self, agent: Agent, *, now: datetime) -> bool:
        """Create the agent; False when an agent already has the address (a double
        submission: the unique address decides, not a read before the insert)."""
        created = await self._session.scalar(
            insert(AGENTS)
            .values(self._values(agent) | {"updated_at": now})
            .on_conflict_do_nothing(index_elements=[AGENTS.c.email])
            .returning(AGENTS.c.id)
        )
        return created is not None

    async def save_changes(self, before: Agent, after: Agent, *, now: datetime) -> None:
        """Write what differs between ``before`` (as read, the row locked) and ``after``,
        and nothing else: a column another request changed is never written back."""
        changes = _changes(self._values(before), self._values(after))
        if changes:
            await self._session.execute(
                update(AGENTS).where(AGENTS.c.id == before.id).values(changes | {"updated_at": now})
            )


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
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, token_hash: str, member_id: uuid.UUID, now: datetime, expires_at: datetime
    ) -> None:
        await self._session.execute(
            PASSWORD_RESETS.insert().values(
                token_hash=token_hash, member_id=member_id, created_at=now, expires_at=expires_at
            )
        )

    async def find(self, token_hash: str, now: datetime) -> uuid.UUID | None:
        """The member of an unused link still in time (the row stays locked), else None."""
        member_id: uuid.UUID | None = await self._session.scalar(
            select(PASSWORD_RESETS.c.member_id)
            .where(
                PASSWORD_RESETS.c.token_hash == token_hash,
                PASSWORD_RESETS.c.used_at.is_(None),
                PASSWORD_RESETS.c.expires_at > now,
            )
            .with_for_update()
        )
        return member_id

    async def take(self, token_hash: str, now: datetime) -> uuid.UUID | None:
        """Use the link once: its member if it is unused and in time, else None."""
        member_id = await self._session.scalar(
            update(PASSWORD_RESETS)
            .where(
                PASSWORD_RESETS.c.token_hash == token_hash,
                PASSWORD_RESETS.c.used_at.is_(None),
                PASSWORD_RESETS.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(PASSWORD_RESETS.c.member_id)
        )
        return member_id if isinstance(member_id, uuid.UUID) else None

    async def invalidate_for(self, member_id: uuid.UUID, now: datetime) -> None:
        await self._session.execute(
            update(PASSWORD_RESETS)
            .where(PASSWORD_RESETS.c.member_id == member_id, PASSWORD_RESETS.c.used_at.is_(None))
            .values(used_at=now)
        )


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, session: Session) -> None:
        await self._session.execute(
            SESSIONS.insert().values(
                id=session.id,
                kind=session.kind,
                subject_id=session.subject_id,
                csrf_hash=session.csrf_hash,
                method=session.method,
                franceconnect_id_token=session.franceconnect_id_token,
                created_at=session.created_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )

    async def get(self, session_id: uuid.UUID, *, for_update: bool = False) -> Session | None:
        query = select(SESSIONS).where(SESSIONS.c.id == session_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        return Session(
            id=row.id,
            kind=row.kind,
            subject_id=row.subject_id,
            csrf_hash=row.csrf_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            method=row.method,
            franceconnect_id_token=row.franceconnect_id_token,
            revoked_at=row.revoked_at,
        )

    async def revoke(self, session_id: uuid.UUID, now: datetime) -> None:
        await self._session.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id == session_id, SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all(
        self, subject_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
    ) -> None:
        query = update(SESSIONS).where(
            SESSIONS.c.subject_id == subject_id, SESSIONS.c.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(SESSIONS.c.id != keep)
        await self._session.execute(query.values(revoked_at=now))

    async def add_refresh_token(self, token: RefreshToken, now: datetime) -> None:
        await self._session.execute(
            REFRESH_TOKENS.insert().values(
                id=token.id,
                session_id=token.session_id,
                token_hash=token.token_hash,
                created_at=now,
                expires_at=token.expires_at,
            )
        )

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self._session.execute(
                select(REFRESH_TOKENS)
                .where(REFRESH_TOKENS.c.token_hash == token_hash)
                .with_for_update()
            )
        ).first()
        if row is None:
            return None
        return RefreshToken(
            id=row.id,
            session_id=row.session_id,
            token_hash=row.token_hash,
            expires_at=row.expires_at,
            used_at=row.used_at,
        )

    async def used_after(self, session_id: uuid.UUID, moment: datetime) -> bool:
        """Whether a refresh token of the session was used after ``moment`` (tokens replace
        one another: after a token's use, only its successor can be)."""
        found = await self._session.scalar(
            select(REFRESH_TOKENS.c.id)
            .where(REFRESH_TOKENS.c.session_id == session_id, REFRESH_TOKENS.c.used_at > moment)
            .limit(1)
        )
        return found is not None

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> None:
        await self._session.execute(
            update(REFRESH_TOKENS).where(REFRESH_TOKENS.c.id == token_id).values(used_at=now)
        )


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        """The states of ``keys``, locked until the transaction ends (tries of one account
        are checked one after the other, never in parallel)."""
        ordered = sorted(set(keys))
        states: dict[str, ThrottleState] = {}
        while len(states) < len(ordered):
            # A row we waited for may be gone when our turn comes (a success cleared the
            # account's failures, the prune dropped it): it is created again.
            await self._session.execute(
                insert(LOGIN_THROTTLES)
                .values([{"key": key} for key in ordered])
                .on_conflict_do_nothing()
            )
            rows = await self._session.execute(
                select(LOGIN_THROTTLES)
                .where(LOGIN_THROTTLES.c.key.in_(ordered))
                .order_by(LOGIN_THROTTLES.c.key)
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
            update(LOGIN_THROTTLES)
            .where(LOGIN_THROTTLES.c.key == state.key)
            .values(
                failures=state.failures,
                last_failure_at=state.last_failure_at,
                locked_until=state.locked_until,
            )
        )

    async def clear(self, key: str) -> None:
        await self._session.execute(delete(LOGIN_THROTTLES).where(LOGIN_THROTTLES.c.key == key))

    async def prune(self, *, forgotten_before: datetime, now: datetime) -> int:
        """Drop keys with nothing to remember: no lock running, last failure long ago."""
        result = await self._session.execute(
            delete(LOGIN_THROTTLES).where(
                (LOGIN_THROTTLES.c.locked_until.is_(None)) | (LOGIN_THROTTLES.c.locked_until < now),
                (LOGIN_THROTTLES.c.last_failure_at.is_(None))
                | (LOGIN_THROTTLES.c.last_failure_at < forgotten_before),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


class KeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self, *, for_update: bool = False) -> list[SigningKey]:
        query = select(SIGNING_KEYS).order_by(SIGNING_KEYS.c.created_at)
        if for_update:
            query = query.with_for_update()
        return [
            SigningKey(
                kid=row.kid,
                status=KeyStatus(row.status),
                private_pem=row.private_pem,
                public_jwk=row.public_jwk,
                created_at=row.created_at,
                activated_at=row.activated_at,
                retired_at=row.retired_at,
            )
            for row in await self._session.execute(query)
        ]

    async def add(self, key: SigningKey) -> None:
        await self._session.execute(
            SIGNING_KEYS.insert().values(
                kid=key.kid,
                status=key.status.value,
                private_pem=key.private_pem,
                public_jwk=key.public_jwk,
                created_at=key.created_at,
                activated_at=key.activated_at,
                retired_at=key.retired_at,
            )
        )

    async def set_status(self, kid: str, status: KeyStatus, now: datetime) -> None:
        values: dict[str, Any] = {"status": status.value}
        if status is KeyStatus.ACTIVE:
            values["activated_at"] = now
        if status is KeyStatus.RETIRED:
            values["retired_at"] = now
        await self._session.execute(
            update(SIGNING_KEYS).where(SIGNING_KEYS.c.kid == kid).values(values)
        )

    async def delete(self, kid: str) -> None:
        await self._session.execute(delete(SIGNING_KEYS).where(SIGNING_KEYS.c.kid == kid))

    async def lock_table(self) -> None:
        """One rotation at a time, across replicas and the command line."""
        await self._session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext("auth.signing_keys")))
        )


class FranceConnectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_request(
        self, *, state: str, nonce: str, binding_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._session.execute(
            FRANCECONNECT_REQUESTS.insert().values(
                state=state,
                nonce=nonce,
                binding_hash=binding_hash,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def take_request(self, state: str, now: datetime) -> tuple[str, str] | None:
        """Use a login request once: its ``(nonce, binding_hash)`` if unused and in time."""
        row = (
            await self._session.execute(
                update(FRANCECONNECT_REQUESTS)
                .where(
                    FRANCECONNECT_REQUESTS.c.state == state,
                    FRANCECONNECT_REQUESTS.c.used_at.is_(None),
                    FRANCECONNECT_REQUESTS.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(FRANCECONNECT_REQUESTS.c.nonce, FRANCECONNECT_REQUESTS.c.binding_hash)
            )
        ).first()
        return (row.nonce, row.binding_hash) if row else None

    async def prune(self, now: datetime) -> None:
        await self._session.execute(
            delete(FRANCECONNECT_REQUESTS).where(FRANCECONNECT_REQUESTS.c.expires_at < now)
        )
        await self._session.execute(
            delete(FRANCECONNECT_PENDING).where(FRANCECONNECT_PENDING.c.expires_at < now)
        )

    async def member_of(self, subject: str) -> uuid.UUID | None:
        return await self._session.scalar(
            select(FRANCECONNECT_LINKS.c.member_id).where(FRANCECONNECT_LINKS.c.subject == subject)
        )

    async def is_linked(self, member_id: uuid.UUID) -> bool:
        found = await self._session.scalar(
            select(FRANCECONNECT_LINKS.c.subject).where(
                FRANCECONNECT_LINKS.c.member_id == member_id
            )
        )
        return found is not None

    async def link(self, *, subject: str, member_id: uuid.UUID, now: datetime, how: str) -> bool:
        """Link ``subject`` to the member; False when the subject or the member has a link
        already (another request linked them a moment ago: read ``member_of`` again)."""
        linked = await self._session.scalar(
            insert(FRANCECONNECT_LINKS)
            .values(subject=subject, member_id=member_id, linked_at=now, how=how)
            .on_conflict_do_nothing()
            .returning(FRANCECONNECT_LINKS.c.subject)
        )
        return linked is not None

    async def add_pending(
        self,
        *,
        token_hash: str,
        subject: str,
        id_token: str,
        identity: dict[str, Any],
        expires_at: datetime,
    ) -> None:
        await self._session.execute(
            FRANCECONNECT_PENDING.insert().values(
                token_hash=token_hash,
                subject=subject,
                id_token=id_token,
                identity=identity,
                expires_at=expires_at,
            )
        )

    async def pending(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """``(subject, id_token)`` of a FranceConnect login waiting to be linked."""
        row = (
            await self._session.execute(
                select(FRANCECONNECT_PENDING.c.subject, FRANCECONNECT_PENDING.c.id_token).where(
                    FRANCECONNECT_PENDING.c.token_hash == token_hash,
                    FRANCECONNECT_PENDING.c.expires_at > now,
                )
            )
        ).first()
        return (row.subject, row.id_token) if row else None
