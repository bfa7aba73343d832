"""The messages service's application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial

from fastapi import FastAPI

from contracts.topics import AGENTS, CATALOG_SNAPSHOT, MESSAGES_DEAD_LETTER
from messages.adapters.dashboard import DashboardUnitOfWork
from messages.adapters.receipt_pdf import ReceiptPrinter
from messages.config import Settings
from messages.domain.commands import ForgetIdempotencyKeys, RunFollowUpTimers
from messages.domain.errors import MessagesError
from messages.entrypoints.http import routes
from messages.entrypoints.http.errors import problem_for
from messages.entrypoints.stream.dashboard import add_dashboard_consumers
from messages.entrypoints.stream.scanning import AttachmentParts
from messages.service_layer.agents_directory import keep_agent
from messages.service_layer.catalog import CatalogHolder, store_catalog_snapshot
from messages.service_layer.handlers import HANDLERS
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.bus import bootstrap
from servicekit.clock import Clock, SystemClock
from servicekit.http import create_service_app
from servicekit.logging import get_logger
from servicekit.problems import install_domain_errors
from servicekit.runtime import ServiceRuntime
from servicekit.security import KeySet
from servicekit.worker import WorkLoop

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
    clock: Clock | None = None,
    keys: KeySet | None = None,
) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime(settings, keys=keys)
    # Tokens of sessions ended before their time are refused (auth.revocations.v1).
    runtime.refuse_revoked_sessions()

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
    runtime.add_consumer(
        "agents",
        AGENTS,
        keep_agent,
        unit_of_work=unit_of_work,
        dead_letter_topic=MESSAGES_DEAD_LETTER,
        description="Keeps the directory of agents: whom supervisors may give threads to.",
    )

    def dashboard_unit_of_work() -> DashboardUnitOfWork:
        return DashboardUnitOfWork(runtime.sessions, producer=settings.service_name)

    # The supervisors' dashboard: a projection fed by the messages topics alone.
    dashboard_lag = add_dashboard_consumers(
        runtime, settings=settings, unit_of_work=dashboard_unit_of_work
    )
    # Attachments: the object storage, and the antivirus consuming AttachmentUploaded.
    attachments = AttachmentParts(runtime, settings, unit_of_work, clock)
    bus = bootstrap(
        HANDLERS,
        uow=unit_of_work,
        clock=clock,
        catalog=catalog,
        receipts=ReceiptPrinter(settings.public_base_url),
        storage=attachments.storage,
        receipt_check_policy=settings.receipt_check_policy(),
        dashboard_uow=dashboard_unit_of_work,
        dashboard_lag=dashboard_lag,
    )

    async def forget_idempotency_keys() -> None:
        forget = ForgetIdempotencyKeys(timedelta(hours=settings.idempotency_retention_hours))
        while True:
            removed = await bus.handle(forget)
            if removed:
                logger.info("idempotency keys forgotten", count=removed)
            await asyncio.sleep(3600)

    runtime.add_background("idempotency-keys-cleanup", forget_idempotency_keys)
    attachments.start_cleanup(bus)

    # « Demande de précisions »: reminders after 10 days, closing after 30, from the database.
    timers = RunFollowUpTimers()

    async def more_timers_due(handled: int) -> bool:
        return handled >= timers.batch_size

    follow_up_timers: WorkLoop[int] = WorkLoop(
        name="follow-up-timers",
        claim=partial(bus.handle, timers),
        process=more_timers_due,
        listen_dsn=None,
        channel="follow_up_timers",
        poll_interval=settings.follow_up_timers_poll_seconds,
        failure_message="follow-up timers failed",
    )
    runtime.add_background("follow-up-timers", follow_up_timers.run)

    app = create_service_app(
        runtime,
        title="Messages",
        description=DESCRIPTION,
        routers=[routes.router],
        openapi_tags=[
            {"name": "member", "description": "The member's private space."},
            {"name": "agent", "description": "The back office: agents and supervisors."},
            {"name": "receipts", "description": "Proofs of deposit: checking one needs no login."},
            {"name": "operations", "description": "Health, readiness."},
        ],
        extra_state={"bus": bus, "catalog": catalog},
    )
    install_domain_errors(app, MessagesError, problem_for)
    return app
