"""The JWKS cache: new keys are picked up at once, a missing auth service slows nobody."""

from __future__ import annotations

import pytest

from servicekit.security import InvalidToken, JwksClient
from servicekit.testing import TokenMinter, serve_jwks

pytestmark = pytest.mark.unit


async def test_a_key_rotated_in_is_fetched_at_first_sight() -> None:
    old, new = TokenMinter(), TokenMinter()
    with serve_jwks({"keys": old.jwks()["keys"] + new.jwks()["keys"]}) as url:
        client = JwksClient(url, min_refresh=0)
        assert (await client.key_for(old.kid)).key_id == old.kid
        assert (await client.key_for(new.kid)).key_id == new.kid
        with pytest.raises(InvalidToken):
            await client.key_for("never-published")


async def test_known_keys_keep_verifying_when_the_auth_service_is_gone() -> None:
    minter = TokenMinter()
    with serve_jwks(minter.jwks()) as url:
        client = JwksClient(url, ttl=0, timeout=0.5)
        await client.key_for(minter.kid)
    # The server is gone and the cache is stale: the key still answers, and the refresh
    # happens in the background, where its failure is only logged.
    assert (await client.key_for(minter.kid)).key_id == minter.kid
    assert client._background is not None
    await client._background
    assert (await client.key_for(minter.kid)).key_id == minter.kid
