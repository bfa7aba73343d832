"""The login throttle by client address cannot be reset by a header: through the real
gateway (deploy/gateway/Caddyfile run by Caddy), a client that names itself with a new
X-Forwarded-For at every attempt is still counted under the address it connects from."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from deploy.tests.test_deploy_gateway import running_gateway
from services.auth.tests.support import random_nir
from tests.security.conftest import Product

pytestmark = pytest.mark.integration


async def test_wrong_passwords_under_made_up_addresses_are_throttled_through_the_gateway(
    product: Product, tmp_path: Path
) -> None:
    upstreams = {
        name: running.url.removeprefix("http://") for name, running in product.services.items()
    }
    free = product.services["auth"].app.state.settings.address_free_failures
    with running_gateway(tmp_path, upstreams) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            statuses = []
            for attempt in range(free + 2):
                thirteen, _ = random_nir()
                response = await http.post(
                    "/api/auth/session",
                    json={"nir": thirteen, "password": f"Mauvais-{secrets.token_hex(4)}"},
                    headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
                )
                statuses.append(response.status_code)
    assert statuses[:free] == [401] * free, statuses
    assert statuses[free:] == [429, 429], f"a new X-Forwarded-For reset the throttle: {statuses}"
