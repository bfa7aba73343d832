"""A « Demande de précisions » the member never answers, from the messages service's clock to
the member's mailbox: ten days later the service's own timer publishes the reminder, thirty
days later the closing, each on ``messages.thread-activity.v1``; the notifier turns each into
an email that a real SMTP server (aiosmtpd) receives, the last one saying how to write again.

Both services run in-process on the session's Kafka and PostgreSQL, on topics of their own.
The messages service runs on a clock the test moves forward; the notifier on real time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from messages.domain import follow_ups
from messages.domain.commands import RunFollowUpTimers
from messages.main import create_app
from notifier.domain.model import DeliveryKind
from servicekit.clock import date_fr, paris_date
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, TokenMinter, eventually, fresh_database
from services.messages.tests.support import MIGRATIONS as MESSAGES_MIGRATIONS
from services.messages.tests.support import (
    People,
    catalog_snapshot,
    publish_catalog,
    send,
    service_settings,
    topics_with_leaders,
)
from services.notifier.tests.support import MIGRATIONS as NOTIFIER_MIGRATIONS
from services.notifier.tests.support import (
    Notifier,
    SmtpSink,
    contact_changed,
    notifier_settings,
    unique_email,
)

pytestmark = pytest.mark.integration

MESSAGE = "Bonjour, je viens de déménager et je souhaite déclarer ma nouvelle adresse."
REQUEST = "Merci de nous envoyer votre nouveau bail, nous mettrons à jour votre dossier."


class Journey:
    """The two services, the clock of the messages service and the SMTP server."""

    def __init__(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clock: MovableClock,
        notifier: Notifier,
        sink: SmtpSink,
    ) -> None:
        self.app = app
        self.client = client
        self.clock = clock
        self.notifier = notifier
        self.sink = sink

    async def email(self, kind: DeliveryKind, to: str) -> EmailMessage:
        """The one email of ``kind`` sent to ``to``, once the SMTP server has it."""

        def found() -> list[EmailMessage]:
            return [
                message
                for message in self.sink.messages
                if to in str(message["To"])
                and str(message["Message-ID"]).strip().endswith(f".{kind.value}@{self.domain}>")
            ]

        async def arrived() -> EmailMessage | None:
            return found()[0] if found() else None

        message = await eventually(arrived, timeout=60, interval=0.2, message=f"{kind} email")
        assert message is not None
        assert len(found()) == 1, f"one {kind} email"
        return message

    @property
    def domain(self) -> str:
        return self.notifier.settings.message_id_domain


@pytest.fixture
async def journey(
    postgres_admin_url: str,
    kafka_bootstrap: str,
    new_topic_prefix: Callable[[str], str],
    jwks_url: str,
    minter: TokenMinter,
) -> AsyncIterator[Journey]:
    prefix = new_topic_prefix("journey")
    await topics_with_leaders(kafka_bootstrap, prefix)
    snapshot = catalog_snapshot(version=1)
    await publish_catalog(kafka_bootstrap, prefix, snapshot)
    clock = MovableClock()
    async with AsyncExitStack() as stack:
        messages_url = await stack.enter_async_context(
            fresh_database(postgres_admin_url, "journey_messages")
        )
        await upgrade_async(messages_url, MESSAGES_MIGRATIONS)
        notifier_url = await stack.enter_async_context(
            fresh_database(postgres_admin_url, "journey_notifier")
        )
        await upgrade_async(notifier_url, NOTIFIER_MIGRATIONS)

        sink = await SmtpSink().start()
        stack.push_async_callback(sink.stop)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
        await producer.start()
        stack.push_async_callback(producer.stop)
        engine = create_async_engine(notifier_url, pool_size=2)
        stack.push_async_callback(engine.dispose)
        notifier = Notifier(
            notifier_settings(
                notifier_url,
                kafka_bootstrap,
                prefix,
                jwks_url,
                minter.issuer,
                smtp_host="127.0.0.1",
                smtp_port=sink.port,
            ),
            minter=minter,
            producer=producer,
            engine=engine,
        )
        await notifier.start()
        stack.push_async_callback(notifier.stop)

        # The timers run as in production, by the service's own loop: only quicker.
        app = create_app(
            service_settings(
                messages_url,
                kafka_bootstrap,
                prefix,
                jwks_url,
                follow_up_timers_poll_seconds=0.5,
            ),
            clock=clock,
        )
        await stack.enter_async_context(
            LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
        )

        async def catalog_loaded() -> bool:
            return bool(app.state.catalog.version == snapshot.version)

        await eventually(catalog_loaded, timeout=60, message="catalog snapshot not loaded")
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://messages")
        )
        yield Journey(app, client, clock, notifier, sink)


def _text(message: EmailMessage, kind: str = "plain") -> str:
    body = message.get_body(preferencelist=(kind,))
    assert body is not None
    content: str = body.get_content()
    return content


async def test_the_reminder_after_ten_days_and_the_closing_after_thirty_reach_the_member(
    journey: Journey, minter: TokenMinter
) -> None:
    people = People(minter)
    camille = people.member()
    agent = people.agent()
    address = unique_email("camille")
    await journey.notifier.publish(contact_changed(camille.id, address))

    sent = await send(journey.client, camille, text=MESSAGE)
    assert sent.status_code == 201, sent.text
    thread = sent.json()
    reference = thread["reference"]
    reply = await journey.client.post(
        f"/agent/threads/{thread['thread_id']}/replies",
        json={"text": REQUEST, "asks_for_details": True},
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201, reply.text
    asked_at = datetime.fromisoformat(reply.json()["reply"]["created_at"])
    await journey.email(DeliveryKind.REPLY_AVAILABLE, address)

    # Nine days on, nothing is due yet; ten days on, the service's timer sends the reminder.
    journey.clock.offset = timedelta(days=9, hours=23)
    assert await journey.app.state.bus.handle(RunFollowUpTimers()) == 0
    journey.clock.offset = timedelta(days=10, minutes=1)
    reminder = await journey.email(DeliveryKind.DETAILS_REMINDER, address)
    assert str(reminder["Subject"]).startswith("Votre MSA attend votre réponse")
    text = _text(reminder)
    assert reference in text
    assert "demande de précisions" in text
    closes_on = paris_date(follow_ups.closing_at(asked_at))
    assert f"votre demande sera close le {date_fr(closes_on)}" in text
    status = await journey.client.get(
        f"/agent/threads/{thread['thread_id']}", headers=agent.headers
    )
    assert status.json()["status"] == "awaiting_member"

    # Thirty days on, the thread closes and the last email says how to write again.
    journey.clock.offset = timedelta(days=30, minutes=1)
    closing = await journey.email(DeliveryKind.THREAD_CLOSED_UNANSWERED, address)
    assert str(closing["Subject"]) == f"Votre demande {reference} est close"
    text = _text(closing)
    assert "Faute de réponse de votre part dans un délai de 30 jours" in text
    assert "choisissez « Écrire un nouveau message »" in text
    base = journey.notifier.settings.public_base_url
    assert f"Écrire un nouveau message : {base}/messages/nouveau" in text
    closed = await journey.client.get(
        f"/agent/threads/{thread['thread_id']}", headers=agent.headers
    )
    assert closed.json()["status"] == "closed"

    # One reminder only, and neither the member's words nor the agent's in any email.
    mine = [message for message in journey.sink.messages if address in str(message["To"])]
    kinds = [str(message["Message-ID"]).split(".")[1].split("@")[0] for message in mine]
    assert kinds.count(DeliveryKind.DETAILS_REMINDER.value) == 1
    assert DeliveryKind.MESSAGE_RECEIVED.value in kinds
    for message in mine:
        for content in (_text(message), _text(message, "html")):
            assert "déménager" not in content
            assert "bail" not in content
