"""The auth service's application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from auth.adapters.franceconnect import FranceConnectClient
from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain.commands import PruneExpired
from auth.domain.common_passwords import common_passwords
from auth.domain.passwords import MIN_LENGTH
from auth.entrypoints.http import errors, routes
from auth.entrypoints.stream.registry import register_registry_consumer
from auth.service_layer.handlers import HANDLERS
from auth.service_layer.tokens import KeyRing, TokenIssuer
from auth.service_layer.unit_of_work import AuthUnitOfWork
from servicekit.bus import bootstrap
from servicekit.clock import Clock, SystemClock
from servicekit.http import create_service_app
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime

logger = get_logger(__name__)

DESCRIPTION = """Identities of members and agents; issues the access tokens every service verifies.

Each API accepts only its own access token (audience `urn:mes-messages:<api>`): a session has
one for each. Browsers get them in cookies of their web app (`<app>` is `portal` for members,
`backoffice` for agents; the names start with `__Host-` outside plain http://localhost):
`mm-<app>-<api>` (an access token), `mm-<app>-csrf` (to copy into the `X-CSRF-Token` header of
every state-changing request) and `mm-<app>-refresh` (`__Secure-`, for `/session/refresh`);
requests say which app they come from in `X-Mes-Messages-App`. Tools may ask for bearer tokens
instead (`"bearer": true`: `access_tokens`, one per API).
Errors are `application/problem+json` with a French `detail` for the person.
"""


@dataclass(frozen=True)
class Adapters:
    """The adapters with a state of their own that the bus's handlers share, kept on
    ``app.state.adapters`` for whoever runs the app (the routes only use the bus)."""

    hasher: PasswordHasher
    keyring: KeyRing
    franceconnect: FranceConnectClient


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    franceconnect_http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The application. Tests may pass a clock they move, and the HTTP client that talks to
    FranceConnect (to stand between the service and the provider)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    # The list of common passwords, read once here rather than during a first registration.
    common_passwords(MIN_LENGTH)

    def unit_of_work() -> AuthUnitOfWork:
        return AuthUnitOfWork(
            runtime.sessions,
            producer=settings.service_name,
            tokens_live_for=settings.access_token_lifetime + timedelta(seconds=60),
        )

    keyring = KeyRing(settings, clock, unit_of_work)
    runtime = ServiceRuntime(settings, keys=keyring)
    # Tokens of sessions ended before their time are refused (auth.revocations.v1).
    runtime.refuse_revoked_sessions()
    http = franceconnect_http or httpx.AsyncClient(timeout=10.0)
    adapters = Adapters(
        hasher=PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            max_concurrent=settings.argon2_max_concurrent,
        ),
        keyring=keyring,
        franceconnect=FranceConnectClient(
            issuer=settings.franceconnect_issuer,
            client_id=settings.franceconnect_client_id,
            client_secret=settings.franceconnect_client_secret.get_secret_value(),
            redirect_uri=settings.franceconnect_redirect_uri,
            scopes=settings.franceconnect_scopes,
            acr_values=settings.franceconnect_acr_values,
            accepted_acr=settings.franceconnect_accepted_acr,
            http=http,
        ),
    )
    bus = bootstrap(
        HANDLERS,
        uow=unit_of_work,
        clock=clock,
        settings=settings,
        hasher=adapters.hasher,
        keyring=keyring,
        issuer=TokenIssuer(settings, keyring, clock),
        franceconnect=adapters.franceconnect,
    )

    async def keep_keys_fresh() -> None:
        await keyring.ensure()
        while True:
            await asyncio.sleep(settings.key_reload_seconds)
            await keyring.reload()

    async def housekeeping() -> None:
        while True:
            await bus.handle(PruneExpired())
            await asyncio.sleep(600)

    register_registry_consumer(runtime, unit_of_work, clock)
    runtime.add_background("signing-keys", keep_keys_fresh)
    runtime.add_background("housekeeping", housekeeping)
    app = create_service_app(
        runtime,
        title="Auth",
        description=DESCRIPTION,
        routers=routes.routers,
        openapi_tags=[
            {"name": "sessions", "description": "Logging in and out, refreshing tokens."},
            {"name": "members", "description": "Member accounts: creation, activation, contact."},
            {"name": "passwords", "description": "Forgotten, reset and changed passwords."},
            {"name": "franceconnect", "description": "Logging in with FranceConnect."},
            {"name": "agents", "description": "Agent accounts, managed by admins and supervisors."},
            {"name": "reference", "description": "Funds and the token-verification keys."},
            {"name": "security", "description": "The security trail, for supervisors and admins."},
        ],
        extra_state={"bus": bus, "adapters": adapters},
    )
    errors.install(app)
    if franceconnect_http is None:
        _close_when_stopped(app, http)
    return app


def _close_when_stopped(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Close ``client`` when the app stops, once servicekit's runtime has stopped. Never
    from a background task: the runtime restarts a task that crashed, and the restarted
    task, like every request, needs the client open."""
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        try:
            async with runtime_lifespan(app) as state:
                yield state
        finally:
            await client.aclose()

    app.router.lifespan_context = lifespan
