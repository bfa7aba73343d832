"""The messages service's application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.topics import CATALOG_SNAPSHOT, MESSAGES_DEAD_LETTER
from messages.config import Settings
from messages.domain.calendar import utc_now
from messages.domain.errors import DomainError
from messages.entrypoints.http import routes
from messages.service_layer import handlers
from messages.service_layer.catalog import CatalogHolder, store_catalog_snapshot
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.http import create_service_app
from servicekit.logging import get_logger
from servicekit.problems import Problem, problem_response
from servicekit.runtime import ServiceRuntime
from servicekit.security import KeySet

logger = get_logger(__name__)

DESCRIPTION = """The members' threads and the agents' queue: « Mes messages et mes réponses ».

Members (access token of kind `member`) prepare, send and follow their threads; agents
(kind `agent`) work the queue of their fund. Errors are `application/problem+json` with a
French `detail` saying what to do. Sending (`POST /threads`, `POST /threads/{id}/messages`,
`POST /agent/threads/{id}/replies`) requires an `Idempotency-Key` header.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    keys: KeySet | None = None,
) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, keys=keys)

    def unit_of_work() -> MessagesUnitOfWork:
        return MessagesUnitOfWork(runtime.sessions, producer=settings.service_name)

    catalog = CatalogHolder(unit_of_work)
    runtime.add_consumer(
        "catalog",
        CATALOG_SNAPSHOT,
        partial(store_catalog_snapshot, holder=catalog),
        unit_of_work=unit_of_work,
        dead_letter_topic=MESSAGES_DEAD_LETTER,
        description="Keeps the latest published catalog, to check members' choices.",
    )
    runtime.add_background(
        "catalog-refresh", partial(catalog.keep_fresh, settings.catalog_refresh_seconds)
    )

    async def forget_idempotency_keys() -> None:
        retention = timedelta(hours=settings.idempotency_retention_hours)
        while True:
            removed = await handlers.forget_old_idempotency_keys(
                uow=unit_of_work(), clock=clock, retention=retention
            )
            if removed:
                logger.info("idempotency keys forgotten", count=removed)
            await asyncio.sleep(3600)

    runtime.add_background("idempotency-keys-cleanup", forget_idempotency_keys)

    app = create_service_app(
        runtime,
        title="Messages",
        description=DESCRIPTION,
        routers=[routes.router],
        openapi_tags=[
            {"name": "member", "description": "The member's private space."},
            {"name": "agent", "description": "The back office: agents and supervisors."},
            {"name": "operations", "description": "Health, readiness."},
        ],
        extra_state={"unit_of_work": unit_of_work, "clock": clock, "catalog": catalog},
    )

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
        headers = {"Retry-After": "5"} if error.status == 503 else None
        return problem_response(
            Problem(error.status, error.code, error.detail, headers=headers, **error.extensions),
            request,
        )

    return app
