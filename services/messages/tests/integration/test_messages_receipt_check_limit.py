"""The public check of a proof of deposit is limited per client address (the gateway's
``X-Forwarded-For``): the free checks, then a wait that grows, in French problem+json with
``Retry-After``; another address is not held back; the wait ends with time."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from servicekit.testing import MovableClock

pytestmark = pytest.mark.integration

FREE = 20  # Settings.receipt_check_free


async def check(client: httpx.AsyncClient, address: str) -> httpx.Response:
    return await client.post(
        "/receipts/verify",
        json={"reference": "NPC-2026-000001", "sha256": "0" * 64},
        headers={"X-Forwarded-For": address},
    )


async def test_one_address_checking_in_bulk_is_made_to_wait(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    for _ in range(FREE):
        answer = await check(client, address)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"matches": False}

    refused = await check(client, address)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    assert "trop de vérifications" in refused.json()["detail"]
    assert refused.json()["type"].endswith("too-many-checks")

    # Someone else, elsewhere, checks as usual.
    other = await check(client, "198.51.100.7")
    assert other.status_code == 200

    # Once the wait is over the address may check again, and waits longer after that.
    clock.offset += timedelta(seconds=2)
    assert (await check(client, address)).status_code == 200
    again = await check(client, address)
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) == 2
