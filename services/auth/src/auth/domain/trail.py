"""The security trail and the rules of sensitive changes: plain data and rules, no I/O.

Every authentication and every change to an account is one ``SecurityEvent``: what happened,
whether it succeeded, the account concerned, who did it, from which address. The address is
kept as a keyed hash only (the same address always gives the same hash, so a supervisor can
see that several failures came from one place, without the address itself); a member is
named by their masked number, never the number.

A sensitive change (email, password, deletion, FranceConnect unlinking) needs the current
password, or a FranceConnect login made moments ago: whoever finds an open session on a
shared computer cannot take the account over.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from auth.domain.model import Agent, AgentRole, Member, Session
from contracts.events.security import SecurityEventKind

Outcome = Literal["success", "failure"]
ActorKind = Literal["member", "agent", "system"]
Method = Literal["password", "franceconnect", "link"]

SECURITY_EVENT_KINDS: tuple[SecurityEventKind, ...] = SecurityEventKind.__args__  # type: ignore[attr-defined]


def hash_address(secret: str, address: str) -> str:
    """The client address as the trail keeps it: HMAC-SHA-256 under the service's key,
    32 hexadecimal characters."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def mask_typed(typed: str) -> str:
    """What a login form received for an account nobody has, as the trail may show it: a
    number's first character and last three, the rest hidden (never a whole NIR)."""
    typed = typed.strip()
    if len(typed) <= 4:
        return "*" * len(typed)
    return typed[0] + "*" * (len(typed) - 4) + typed[-3:]


@dataclass(frozen=True)
class Party:
    """An account as the trail names it: a member by their masked number, an agent by email."""

    kind: Literal["member", "agent"]
    id: uuid.UUID | None
    label: str
    fund: str | None

    @classmethod
    def of(cls, account: Member | Agent) -> Party:
        if isinstance(account, Agent):
            return cls("agent", account.id, account.email, account.fund)
        return cls("member", account.id, account.nir.masked, account.fund)


@dataclass(frozen=True)
class SecurityEvent:
    id: uuid.UUID
    occurred_at: datetime
    kind: SecurityEventKind
    outcome: Outcome
    actor_kind: ActorKind
    fund: str | None = None
    subject_kind: Literal["member", "agent"] | None = None
    subject_id: uuid.UUID | None = None
    subject_label: str | None = None
    actor_id: uuid.UUID | None = None
    actor_label: str | None = None
    address_hash: str | None = None
    method: Method | None = None
    details: dict[str, str] = field(default_factory=dict)

    @classmethod
    def about(
        cls,
        kind: SecurityEventKind,
        subject: Party | None,
        *,
        now: datetime,
        outcome: Outcome = "success",
        actor: Party | None = None,
        system: bool = False,
        address_hash: str | None = None,
        method: Method | None = None,
        details: dict[str, str] | None = None,
    ) -> SecurityEvent:
        """An entry about ``subject``, done by ``actor`` (the subject itself when not named,
        the service when ``system``)."""
        doer = None if system else (actor or subject)
        return cls(
            id=uuid.uuid4(),
            occurred_at=now,
            kind=kind,
            outcome=outcome,
            fund=subject.fund if subject else (actor.fund if actor else None),
            subject_kind=subject.kind if subject else None,
            subject_id=subject.id if subject else None,
            subject_label=subject.label if subject else None,
            actor_kind="system" if doer is None else doer.kind,
            actor_id=doer.id if doer else None,
            actor_label=doer.label if doer else None,
            address_hash=address_hash,
            method=method,
            details=dict(details or {}),
        )


@dataclass(frozen=True)
class TrailQuery:
    """What a reader asks of the trail; ``fund`` None reads every fund (admins only)."""

    fund: str | None
    kinds: tuple[SecurityEventKind, ...] = ()
    outcome: Outcome | None = None
    #: An account's id (as actor or subject), or an agent's email / a masked number.
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: tuple[datetime, uuid.UUID] | None = None


def readable_fund(reader_role: AgentRole | None, reader_fund: str, asked: str | None) -> str | None:
    """The fund whose entries a reader may list: an admin every fund (or the one asked), a
    supervisor their own, whatever they ask."""
    if reader_role == "admin":
        return asked
    return reader_fund


def recently_authenticated(session: Session | None, now: datetime, window: timedelta) -> bool:
    """Whether the session is a FranceConnect login made within ``window``: it then stands
    for the current password (FranceConnect asked the person to prove who they are)."""
    return (
        session is not None
        and session.method == "franceconnect"
        and session.live(now)
        and now - session.created_at <= window
    )
