"""A revoked session's tokens are refused until they expire; a tombstone or the end of their
lifetime forgets the session; everything else goes on verifying."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.events.security import SessionRevoked
from servicekit.revocations import RevocationList
from servicekit.security import InvalidToken, StaticKeySet, TokenVerifier, audience_of
from servicekit.settings import ServiceSettings
from servicekit.testing import MovableClock, TokenMinter

pytestmark = pytest.mark.unit

ISSUER = "http://localhost:8080/api/auth"


def revoked(session_id: str, clock: MovableClock, *, lives: timedelta) -> bytes:
    now = clock.now()
    return (
        SessionRevoked.new(
            producer="auth",
            session_id=uuid.UUID(session_id),
            subject_id=uuid.uuid4(),
            kind="member",
            reason="logout",
            revoked_at=now,
            tokens_expire_by=now + lives,
        )
        .model_dump_json()
        .encode()
    )


async def test_a_revoked_sessions_token_is_refused_until_its_tokens_expire() -> None:
    minter = TokenMinter(issuer=ISSUER, api="messages")
    clock = MovableClock()
    revocations = RevocationList(ServiceSettings(), clock=clock)
    verifier = TokenVerifier(
        StaticKeySet(minter.jwks()),
        issuer=ISSUER,
        audience=audience_of("messages"),
        revocations=revocations,
    )
    sid = str(uuid.uuid4())
    token, other = minter.mint(sid=sid), minter.mint()
    revocations.apply(sid.encode(), revoked(sid, clock, lives=timedelta(minutes=11)))
    with pytest.raises(InvalidToken):
        await verifier.verify(token)
    await verifier.verify(other)

    clock.advance(timedelta(minutes=12))
    assert not revocations.is_revoked(sid), "its tokens have all expired by now"
    revocations.forget_expired()
    assert len(revocations) == 0


async def test_the_verifier_refuses_a_token_of_a_revoked_session() -> None:
    minter = TokenMinter(issuer=ISSUER, api="notifier")
    clock = MovableClock()
    session_id = str(uuid.uuid4())
    revocations = RevocationList(ServiceSettings(), clock=clock)
    verifier = TokenVerifier(
        StaticKeySet(minter.jwks()),
        issuer=ISSUER,
        audience=audience_of("notifier"),
        revocations=revocations,
    )
    token = minter.mint(sid=session_id)
    await verifier.verify(token)
    revocations.apply(session_id.encode(), revoked(session_id, clock, lives=timedelta(minutes=11)))
    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(token)
    # The tombstone (the tokens have expired): nothing is kept about the session any more.
    revocations.apply(session_id.encode(), None)
    assert len(revocations) == 0
    await verifier.verify(token)


def test_a_revocation_already_past_its_tokens_lifetime_is_not_kept() -> None:
    clock = MovableClock()
    revocations = RevocationList(ServiceSettings(), clock=clock)
    session_id = str(uuid.uuid4())
    revocations.apply(session_id.encode(), revoked(session_id, clock, lives=timedelta(0)))
    assert len(revocations) == 0
    revocations.apply(b"x", b"not an event")
    assert len(revocations) == 0
