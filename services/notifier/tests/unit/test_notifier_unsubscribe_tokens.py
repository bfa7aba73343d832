"""The tokens of the unsubscribe links: signed, tied to one member and one purpose, URL-safe."""

from __future__ import annotations

import base64
import uuid

import pytest
from pydantic import SecretStr, ValidationError

from notifier.config import Settings
from notifier.domain.preferences import UnsubscribeTokens

pytestmark = pytest.mark.unit

TOKENS = UnsubscribeTokens("a-secret-for-the-token-tests-only-0123")


def test_a_token_names_its_member_and_is_url_safe() -> None:
    member_id = uuid.uuid4()
    token = TOKENS.issue(member_id)
    assert TOKENS.verify(token) == member_id
    assert token == TOKENS.issue(member_id), "no expiry, no randomness: old links keep working"
    assert len(token) == 66
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_forged_altered_or_foreign_tokens_are_refused() -> None:
    member_id, other = uuid.uuid4(), uuid.uuid4()
    token = TOKENS.issue(member_id)
    identity, mac = token.split(".")
    other_identity = TOKENS.issue(other).split(".")[0]
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for forged in (
        f"{other_identity}.{mac}",  # someone else's id with this member's MAC
        f"{identity}.{flipped}",
        UnsubscribeTokens("another-secret-of-another-deployment").issue(member_id),
        token + "=",
        token[:-1],
        f" {token}",
        token.replace(".", ":"),
        "",
        "not-a-token",
        "é" * 66,
    ):
        assert TOKENS.verify(forged) is None, forged


def test_a_non_canonical_encoding_of_the_right_mac_is_refused() -> None:
    member_id = uuid.UUID("00000000-0000-4000-8000-000000000000")
    identity, mac = TOKENS.issue(member_id).split(".")
    # The last base64 character of 32 bytes carries 2 unused bits: set them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(mac[-1])
    variant = mac[:-1] + alphabet[last | 0b11 if last & 0b11 != 0b11 else last & ~0b11]
    assert base64.urlsafe_b64decode(variant + "=") == base64.urlsafe_b64decode(mac + "=")
    assert TOKENS.verify(f"{identity}.{variant}") is None


def test_the_secret_is_refused_at_its_local_default_outside_local_and_when_short() -> None:
    assert Settings(environment="test").unsubscribe_secret.get_secret_value()
    database = SecretStr("postgresql+asyncpg://notifier:s3cret@db:5432/notifier")
    with pytest.raises(ValidationError, match="unsubscribe_secret keep"):
        Settings(environment="production", database_url=database)
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(environment="test", unsubscribe_secret=SecretStr("short"))
    secret = SecretStr("x" * 48)
    production = Settings(
        environment="production", database_url=database, unsubscribe_secret=secret
    )
    assert production.unsubscribe_secret == secret
