"""The security trail's rules and the confirmation sensitive changes need, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from auth.domain.model import Agent, Member, MemberStatus, Session
from auth.domain.nir import Nir
from auth.domain.trail import (
    Party,
    SecurityEvent,
    hash_address,
    mask_typed,
    readable_fund,
    recently_authenticated,
)

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def member() -> Member:
    return Member(
        id=uuid.uuid4(),
        nir=Nir("2951099126111"),
        birth_date=date(1995, 10, 12),
        given_name="Camille",
        family_name="MARTIN",
        email="camille.martin@example.fr",
        fund="NPC",
        password_hash="",
        status=MemberStatus.ACTIVE,
        created_at=NOW,
    )


def supervisor() -> Agent:
    return Agent(
        id=uuid.uuid4(),
        email="superviseur.npc@msa.example",
        given_name="Paul",
        family_name="DURAND",
        role="supervisor",
        fund="NPC",
        skills=(),
        password_hash="",
        active=True,
        created_at=NOW,
    )


def session(method: str = "franceconnect", created: datetime = NOW) -> Session:
    return Session(
        id=uuid.uuid4(),
        kind="member",
        subject_id=uuid.uuid4(),
        csrf_hash="",
        created_at=created,
        expires_at=created + timedelta(hours=12),
        method=method,  # type: ignore[arg-type]
    )


def test_an_address_is_kept_as_a_keyed_hash_that_compares_but_does_not_tell() -> None:
    first = hash_address("clé-a", "203.0.113.7")
    assert first == hash_address("clé-a", "203.0.113.7"), "the same address, the same hash"
    assert first != hash_address("clé-a", "203.0.113.8")
    assert first != hash_address("clé-b", "203.0.113.7"), "without the key, no guessing"
    assert "203" not in first
    assert len(first) == 32


def test_a_member_is_named_by_their_masked_number_never_the_number() -> None:
    named = Party.of(member())
    assert named.label == "2*********111"
    assert "2951099126111" not in named.label
    assert mask_typed("1800175123456") == "1*********456"
    assert mask_typed("abc") == "***"


def test_an_entry_is_done_by_its_subject_unless_a_manager_or_the_service_did_it() -> None:
    camille, paul = member(), supervisor()
    own = SecurityEvent.about("password_changed", Party.of(camille), now=NOW)
    assert (own.actor_kind, own.actor_id, own.fund) == ("member", camille.id, "NPC")
    managed = SecurityEvent.about(
        "agent_created", Party.of(paul), now=NOW, actor=Party.of(supervisor())
    )
    assert managed.actor_kind == "agent"
    assert managed.actor_id != paul.id
    locked = SecurityEvent.about("login_locked", Party.of(camille), now=NOW, system=True)
    assert (locked.actor_kind, locked.actor_id) == ("system", None)
    unknown = SecurityEvent.about(
        "login_failed", Party("member", None, mask_typed("1800175123456"), None), now=NOW
    )
    assert unknown.fund is None, "no fund: only admins read it"


def test_a_supervisor_reads_their_fund_whatever_they_ask_an_admin_any() -> None:
    assert readable_fund("supervisor", "NPC", "CNO") == "NPC"
    assert readable_fund("supervisor", "NPC", None) == "NPC"
    assert readable_fund("admin", "NPC", "CNO") == "CNO"
    assert readable_fund("admin", "NPC", None) is None


def test_only_a_franceconnect_login_of_the_last_minutes_stands_for_the_password() -> None:
    window = timedelta(minutes=5)
    assert recently_authenticated(session(), NOW + timedelta(minutes=4), window)
    assert not recently_authenticated(session(), NOW + timedelta(minutes=6), window)
    assert not recently_authenticated(session("password"), NOW, window)
    assert not recently_authenticated(None, NOW, window)
    ended = session()
    ended = Session(**{**ended.__dict__, "revoked_at": NOW})
    assert not recently_authenticated(ended, NOW + timedelta(minutes=1), window)
