"""Fixtures every service's tests share: access tokens as the auth service would sign them,
verified by the service under test through a JWKS served over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from servicekit.testing import TokenMinter, serve_jwks

# Settings have no default environment (a deployment must say which it is); tests run in
# "test" unless they say otherwise.
os.environ.setdefault("ENVIRONMENT", "test")


@pytest.fixture(scope="session")
def minter() -> TokenMinter:
    """Signs access tokens with a key of the test session's own."""
    return TokenMinter()


@pytest.fixture(scope="session")
def jwks_url(minter: TokenMinter) -> Iterator[str]:
    """Where the service under test finds ``minter``'s public key (its ``auth_jwks_url``)."""
    with serve_jwks(minter.jwks()) as url:
        yield url
