"""The notifier service's application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
from functools import partial

from fastapi import FastAPI

from notifier.adapters.rendering import EmailRenderer
from notifier.adapters.smtp import SmtpMailer
from notifier.config import Settings
from notifier.domain.commands import PurgeExpired
from notifier.domain.preferences import UnsubscribeTokens
from notifier.entrypoints.http import routes
from notifier.entrypoints.http.errors import install_notifier_errors
from notifier.entrypoints.stream.letters import register_letter_consumer
from notifier.entrypoints.stream.subscribers import register_consumers
from notifier.service_layer.delivery import AcceptedHook, DeliveryMetrics, DeliveryWorker
from notifier.service_layer.handlers import HANDLERS
from notifier.service_layer.unit_of_work import NotifierUnitOfWork
from servicekit.bus import MessageBus, bootstrap
from servicekit.clock import Clock, SystemClock
from servicekit.db import asyncpg_dsn
from servicekit.http import create_service_app
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime
from servicekit.security import KeySet

logger = get_logger(__name__)

DESCRIPTION = """\
Sends the emails of "Mes messages et mes réponses" from Kafka events, exactly once:
the confirmation that a member's message was received, the notice that a reply is
available, and account emails (activation code, password reset link, lock warning,
email-change code).

The HTTP API is the **delivery log** for agents (their fund only): what was sent, when,
how many attempts, the last error; and the **dead letters**, which a supervisor can replay
once the cause is fixed.

Members choose whether they receive the thread emails (**preferences**), from their account
or from the unsubscribe links of the emails themselves (one-click, RFC 8058). Account-security
emails are always sent.
"""


def create_mailer(settings: Settings) -> SmtpMailer:
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        tls=settings.smtp_tls,
        validate_certs=settings.smtp_validate_certs,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout,
        pool_size=settings.smtp_pool_size,
    )


def create_unsubscribe_tokens(settings: Settings) -> UnsubscribeTokens:
    return UnsubscribeTokens(settings.unsubscribe_secret.get_secret_value())


def create_renderer(settings: Settings) -> EmailRenderer:
    return EmailRenderer(
        public_base_url=settings.public_base_url,
        sender=settings.sender,
        unsubscribe_tokens=create_unsubscribe_tokens(settings),
    )


async def sweep_expired(settings: Settings, bus: MessageBus) -> None:
    """Delete what is past its retention now, then every ``retention_sweep_interval_seconds``.
    A failed sweep (the database away) is tried again at the next one."""
    while True:
        try:
            report = await bus.handle(PurgeExpired())
            if report.deliveries or report.processed_events or report.forgotten_members:
                logger.info(
                    "expired rows deleted",
                    deliveries=report.deliveries,
                    processed_events=report.processed_events,
                    forgotten_members=report.forgotten_members,
                )
        except Exception as error:
            logger.warning("retention sweep failed, will try again", error=repr(error))
        await asyncio.sleep(settings.retention_sweep_interval_seconds)


def create_app(
    settings: Settings | None = None,
    *,
    keys: KeySet | None = None,
    after_accepted: AcceptedHook | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime(settings, keys=keys)
    # Tokens of sessions ended before their time are refused (auth.revocations.v1).
    runtime.refuse_revoked_sessions()

    def unit_of_work() -> NotifierUnitOfWork:
        return NotifierUnitOfWork(runtime.sessions, producer=settings.service_name)

    bus = bootstrap(
        HANDLERS,
        uow=unit_of_work,
        clock=clock,
        settings=settings,
        unsubscribe_tokens=create_unsubscribe_tokens(settings),
    )
    register_consumers(runtime, settings, unit_of_work)
    register_letter_consumer(runtime, settings, unit_of_work, clock)
    mailer = create_mailer(settings)
    worker = DeliveryWorker(
        unit_of_work=unit_of_work,
        renderer=create_renderer(settings),
        mailer=mailer,
        settings=settings,
        metrics=DeliveryMetrics(runtime.registry),
        listen_dsn=asyncpg_dsn(settings.database_url.get_secret_value()),
        after_accepted=after_accepted,
        clock=clock,
    )

    async def deliver() -> None:
        try:
            await worker.run()
        finally:
            await mailer.close()

    runtime.add_background("delivery-worker", deliver)
    runtime.add_background("retention-sweep", partial(sweep_expired, settings, bus))
    app = create_service_app(
        runtime,
        title="Notifier",
        description=DESCRIPTION,
        routers=[routes.router],
        openapi_tags=[
            {"name": "deliveries", "description": "The delivery log (agents, their fund only)."},
            {"name": "dead letters", "description": "Emails given up on; supervisors replay them."},
            {
                "name": "preferences",
                "description": "What members receive: their account, and one-click unsubscribe.",
            },
        ],
        extra_state={"bus": bus, "worker": worker},
    )
    install_notifier_errors(app)
    return app
