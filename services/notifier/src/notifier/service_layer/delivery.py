"""The delivery worker: sends the emails the consumers recorded, and records what happened.

For each due delivery:

1. claim it (``FOR UPDATE SKIP LOCKED``, so several replicas share the work) and mark it
   "sending", committed *before* the SMTP transaction; in the same transaction, a thread
   email whose member turned thread emails off is marked "skipped_opted_out" instead, and
   never sent;
2. render it and hand it to the SMTP server;
3. record the outcome: sent; a transient failure (retried after an exponential backoff
   with full jitter); or a permanent one (dead, with an ``EventDeadLettered`` published on
   ``notifier.dead-letter.v1`` through the outbox in the same transaction).

Each delivery runs on its own: one member's failing or slow email never holds up the others.

The remaining at-least-once window: if the process dies after the SMTP server accepted an
email and before its outcome is committed, the delivery stays "sending" (visible in the
delivery log). After ``sending_lease_seconds`` it is sent again, with the same Message-ID,
so the receiving side can drop the copy. Outcomes already recorded are never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from contracts import Event
from contracts.events.dead_letter import EventDeadLettered
from contracts.topics import NOTIFIER_DEAD_LETTER
from notifier.adapters.rendering import EmailRenderer
from notifier.adapters.smtp import SmtpMailer
from notifier.domain.errors import DeliveryFailure, TemplateFailure, TransientFailure
from notifier.domain.model import Delivery, DeliveryStatus, Recipient, retry_delay
from notifier.service_layer.unit_of_work import DELIVERIES_CHANNEL, NotifierUnitOfWork
from servicekit.db import listen
from servicekit.logging import get_logger

if TYPE_CHECKING:
    from notifier.config import Settings

logger = get_logger(__name__)

#: Name under which the worker signs its dead letters.
DEAD_LETTER_CONSUMER = "notifier.delivery"

#: Called once the SMTP server accepted an email, before its outcome is recorded (tests
#: use it to stand for a crash at the worst moment).
AcceptedHook = Callable[[Delivery], Awaitable[None]]


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter(
            "notifier_emails_sent",
            "Emails accepted by the SMTP server",
            ["kind"],
            registry=registry,
        )
        self.failed = Counter(
            "notifier_email_failures",
            "Emails the SMTP server did not accept, by kind of failure",
            ["kind", "failure"],
            registry=registry,
        )
        self.retried = Counter(
            "notifier_emails_retried",
            "Transient failures scheduled for another attempt",
            ["kind"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "notifier_emails_dead_lettered",
            "Emails given up on and published to the dead-letter topic",
            ["kind", "cause"],
            registry=registry,
        )
        self.skipped = Counter(
            "notifier_emails_skipped",
            "Thread emails not sent because the member turned them off",
            ["kind"],
            registry=registry,
        )
        self.send_seconds = Histogram(
            "notifier_smtp_send_seconds",
            "Time to hand one email to the SMTP server",
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
        )
        self.backlog = Gauge(
            "notifier_deliveries",
            "Deliveries not sent yet, by status",
            ["status"],
            registry=registry,
        )
        self.oldest_age = Gauge(
            "notifier_oldest_unsent_delivery_age_seconds",
            "Age of the oldest delivery not sent yet (waiting, pending or sending)",
            registry=registry,
        )


class DeliveryWorker:
    def __init__(
        self,
        *,
        unit_of_work: Callable[[], NotifierUnitOfWork],
        renderer: EmailRenderer,
        mailer: SmtpMailer,
        settings: Settings,
        metrics: DeliveryMetrics,
        listen_dsn: str | None,
        after_accepted: AcceptedHook | None = None,
    ) -> None:
        self._uow = unit_of_work
        self.renderer = renderer
        self.mailer = mailer
        self.settings = settings
        self.metrics = metrics
        self._listen_dsn = listen_dsn
        self._after_accepted = after_accepted
        self._sender = settings.mail_sender_address
        self._wakeup = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._last_maintenance = datetime.min.replace(tzinfo=UTC)
        self._sent = _GroupCommit(unit_of_work)
        self.healthy = False

    def wake(self) -> None:
        self._wakeup.set()

    # --- the loop

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen(), name="deliveries-listen")
        capacity = self.settings.delivery_concurrency
        failures = 0
        try:
            while True:
                self._wakeup.clear()
                claimed: list[tuple[Delivery, Recipient | None]] = []
                try:
                    await self._maintenance()
                    free = capacity - len(self._inflight)
                    # Claim in batches rather than one row per finished email.
                    if free >= max(1, capacity // 4) or not self._inflight:
                        claimed = await self._claim(free)
                    failures = 0
                    self.healthy = True
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    failures += 1
                    self.healthy = False
                    delay = min(30.0, 0.2 * 2 ** min(failures, 8))
                    logger.warning(
                        "delivery worker cannot reach the database, will retry",
                        error=repr(error),
                        retry_in_seconds=delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                for delivery, contact in claimed:
                    task = asyncio.create_task(
                        self._deliver(delivery, contact), name=f"deliver-{delivery.id}"
                    )
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                if claimed and len(claimed) >= free:
                    # Full: go on as soon as one finishes.
                    await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if claimed:
                    continue  # there may be more due right now
                await self._idle(timeout=self.settings.delivery_poll_interval_seconds)
        finally:
            listener.cancel()
            await self._drain()
            await asyncio.gather(listener, return_exceptions=True)

    async def _idle(self, *, timeout: float) -> None:
        """Wait for a wake-up, a finished email or the poll interval."""
        waiter = asyncio.create_task(self._wakeup.wait())
        try:
            await asyncio.wait(
                {waiter, *self._inflight}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()

    async def _drain(self) -> None:
        """On shutdown, let the emails in flight finish and be recorded, for a while."""
        if not self._inflight:
            return
        pending = set(self._inflight)
        with contextlib.suppress(Exception):
            _, pending = await asyncio.wait(pending, timeout=self.settings.shutdown_grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _claim(self, limit: int) -> list[tuple[Delivery, Recipient | None]]:
        """Due deliveries, now "sending", each with its member's contact if known."""
        if limit <= 0:
            return []
        async with self._uow() as uow:
            claimed = await uow.deliveries.claim_due(limit)
            thread_members = [
                delivery.member_id for delivery in claimed if delivery.kind.about_a_thread
            ]
            # Read now, not when the email was requested: a member who has just turned them
            # off gets none of those still waiting to go.
            opted_out = await uow.preferences.without_thread_emails(thread_members)
            skipped = [
                delivery
                for delivery in claimed
                if delivery.kind.about_a_thread and delivery.member_id in opted_out
            ]
            await uow.deliveries.mark_skipped_opted_out([delivery.id for delivery in skipped])
            contacts = await uow.contacts.get_many(
                [member_id for member_id in thread_members if member_id not in opted_out]
            )
            await uow.commit()
        for delivery in skipped:
            self.metrics.skipped.labels(delivery.kind.value).inc()
            logger.info(
                "email skipped: the member turned thread emails off",
                delivery_id=str(delivery.id),
                kind=delivery.kind.value,
                event_id=str(delivery.event_id),
            )
        skipped_ids = {delivery.id for delivery in skipped}
        return [
            (delivery, contacts.get(delivery.member_id))
            for delivery in claimed
            if delivery.id not in skipped_ids
        ]

    # --- one email

    async def _deliver(self, delivery: Delivery, contact: Recipient | None) -> None:
        try:
            await self._attempt(delivery, contact)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Recording the outcome failed (the database went away): the delivery stays
            # "sending" and is taken up again after the lease.
            logger.exception("delivery outcome not recorded", delivery_id=str(delivery.id))

    async def _attempt(self, delivery: Delivery, contact: Recipient | None) -> None:
        try:
            event = delivery.event
        except Exception as error:  # the event stored no longer reads as its contract says
            failure = TemplateFailure(f"Événement illisible : {type(error).__name__}: {error}")
            await self._record(self._record_failure, delivery, failure, None)
            return
        recipient = self._recipient(delivery, event, contact)
        if recipient is None:
            await self._record(self._wait_for_contact, delivery)
            return
        try:
            message = self.renderer.render(
                kind=delivery.kind,
                event=event,
                recipient=recipient,
                message_id=delivery.message_id,
                now=datetime.now(UTC),
            )
            started = asyncio.get_running_loop().time()
            # An attempt must end well within the lease, or another replica could take the
            # delivery back while this one is still sending it.
            async with asyncio.timeout(self.settings.sending_lease_seconds / 2):
                await self.mailer.send(message, sender=self._sender)
            self.metrics.send_seconds.observe(asyncio.get_running_loop().time() - started)
        except TimeoutError:
            late = TransientFailure("Délai dépassé : le serveur SMTP n'a pas répondu à temps")
            await self._record(self._record_failure, delivery, late, recipient.email)
            return
        except DeliveryFailure as failure:
            await self._record(self._record_failure, delivery, failure, recipient.email)
            return
        except Exception as error:  # a bug in rendering: retrying would not help
            broken = TemplateFailure(f"{type(error).__name__}: {error}")
            await self._record(self._record_failure, delivery, broken, recipient.email)
            return
        if self._after_accepted is not None:
            await self._after_accepted(delivery)
        await self._record(self._record_sent, delivery, recipient.email)

    @staticmethod
    def _recipient(delivery: Delivery, event: Event, contact: Recipient | None) -> Recipient | None:
        """Thread notifications go to the member's contact; account emails to their own."""
        if delivery.kind.about_a_thread:
            return contact
        return Recipient(
            email=delivery.recipient or getattr(event, "email"),  # noqa: B009
            given_name=getattr(event, "given_name"),  # noqa: B009
        )

    async def _record(self, step: Callable[..., Awaitable[None]], *args: object) -> None:
        """Record an outcome, retrying a little if the database hiccups: the longer an
        accepted email stays unrecorded, the larger the window for sending it twice."""
        for attempt in range(1, 6):
            try:
                await step(*args)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if attempt == 5:
                    raise
                logger.warning("recording a delivery outcome failed", error=repr(error))
                await asyncio.sleep(0.2 * 2**attempt)

    async def _record_sent(self, delivery: Delivery, recipient: str) -> None:
        await self._sent.record(delivery, recipient)
        self.metrics.sent.labels(delivery.kind.value).inc()
        logger.info(
            "email sent",
            delivery_id=str(delivery.id),
            kind=delivery.kind.value,
            event_id=str(delivery.event_id),
            message_id=delivery.message_id,
        )

    async def _record_failure(
        self, delivery: Delivery, failure: DeliveryFailure, recipient: str | None
    ) -> None:
        transient = isinstance(failure, TransientFailure)
        self.metrics.failed.labels(
            delivery.kind.value, "transient" if transient else "permanent"
        ).inc()
        failures = delivery.failures + 1
        if transient and failures < self.settings.retry_max_attempts:
            delay = retry_delay(
                failures,
                base=self.settings.retry_base_seconds,
                cap=self.settings.retry_cap_seconds,
            )
            async with self._uow() as uow:
                await uow.deliveries.mark_retry(
                    delivery.id,
                    error=failure.reason,
                    delay=timedelta(seconds=delay),
                    recipient=recipient,
                )
                await uow.commit()
            self.metrics.retried.labels(delivery.kind.value).inc()
            logger.warning(
                "email not accepted, will retry",
                delivery_id=str(delivery.id),
                kind=delivery.kind.value,
                failures=failures,
                error=failure.reason,
                retry_in_seconds=round(delay, 2),
            )
            return
        reason = (
            failure.reason
            if not transient
            else f"Abandon après {failures} échecs temporaires ; dernier : {failure.reason}"
        )
        await self._dead_letter(
            delivery,
            reason,
            cause="template" if isinstance(failure, TemplateFailure) else "smtp",
            attempted=True,
            recipient=recipient,
        )

    async def _wait_for_contact(self, delivery: Delivery) -> None:
        async with self._uow() as uow:
            status = await uow.deliveries.mark_waiting_unless_known(
                delivery, wait=timedelta(seconds=self.settings.contact_wait_seconds)
            )
            await uow.commit()
        if status is DeliveryStatus.PENDING:
            self.wake()

    async def _dead_letter(
        self,
        delivery: Delivery,
        reason: str,
        *,
        cause: str,
        attempted: bool,
        recipient: str | None = None,
        uow: NotifierUnitOfWork | None = None,
    ) -> None:
        """Mark ``delivery`` dead and publish why, in one transaction."""
        if uow is None:
            async with self._uow() as own:
                await self._dead_letter(
                    delivery, reason, cause=cause, attempted=attempted, recipient=recipient, uow=own
                )
                await own.commit()
            return
        dead = await uow.deliveries.mark_dead(
            delivery.id, error=reason, attempted=attempted, recipient=recipient
        )
        if dead is None:
            logger.info(
                "email not recorded dead: the member's account was deleted meanwhile",
                delivery_id=str(delivery.id),
                kind=delivery.kind.value,
            )
            return
        uow.publish(
            EventDeadLettered.new(
                producer=self.settings.service_name,
                source_topic=delivery.kind.source_topic.name,
                source_event_id=delivery.event_id,
                source_event_type=str(delivery.payload.get("event_type") or "") or None,
                consumer=DEAD_LETTER_CONSUMER,
                reason=reason[:2000],
                attempts=max(1, dead.attempts),
                source=delivery.dead_letter_source(),
            ),
            topic=NOTIFIER_DEAD_LETTER,
        )
        self.metrics.dead_lettered.labels(delivery.kind.value, cause).inc()
        logger.error(
            "email dead-lettered",
            delivery_id=str(delivery.id),
            kind=delivery.kind.value,
            event_id=str(delivery.event_id),
            reason=reason,
        )

    # --- periodic chores

    async def _maintenance(self) -> None:
        """Every few seconds: give up on emails whose contact never came, take back the
        deliveries a dead process left "sending", refresh the backlog gauges."""
        now = datetime.now(UTC)
        interval = min(5.0, max(1.0, 5 * self.settings.delivery_poll_interval_seconds))
        if (now - self._last_maintenance).total_seconds() < interval:
            return
        self._last_maintenance = now
        async with self._uow() as uow:
            expired = await uow.deliveries.expired_waiting(limit=500)
            for delivery in expired:
                await self._dead_letter(
                    delivery,
                    "Adresse e-mail de l'adhérent inconnue : l'e-mail a attendu ses coordonnées "
                    f"{_duration_fr(self.settings.contact_wait_seconds)} sans les recevoir",
                    cause="contact",
                    attempted=False,
                    uow=uow,
                )
            released = await uow.deliveries.release_stale(
                timedelta(seconds=self.settings.sending_lease_seconds), limit=500
            )
            await uow.commit()
        for delivery in released:
            logger.warning(
                "delivery left sending by a stopped process, sending again",
                delivery_id=str(delivery.id),
                message_id=delivery.message_id,
            )
        async with self._uow() as uow:
            counts, oldest = await uow.deliveries.backlog()
        for status in (
            DeliveryStatus.WAITING_CONTACT,
            DeliveryStatus.PENDING,
            DeliveryStatus.SENDING,
            DeliveryStatus.DEAD,
        ):
            self.metrics.backlog.labels(status.value).set(counts.get(status.value, 0))
        self.metrics.oldest_age.set(oldest)

    async def _listen(self) -> None:
        """Wake on NOTIFY from a commit that made deliveries due; on trouble, poll and reconnect."""
        if self._listen_dsn is None:
            return
        await listen(
            self._listen_dsn,
            DELIVERIES_CHANNEL,
            self._wakeup,
            retry_interval=self.settings.delivery_poll_interval_seconds,
        )


class _GroupCommit:
    """Records "sent" outcomes, those that arrive while a commit is under way going
    together in the next one: alone when the worker is quiet, in batches when it is busy,
    never waiting for a batch to fill."""

    def __init__(self, unit_of_work: Callable[[], NotifierUnitOfWork]) -> None:
        self._uow = unit_of_work
        self._waiting: list[tuple[Delivery, str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, delivery: Delivery, recipient: str) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, recipient, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="record-sent")
        await asyncio.shield(done)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self._uow() as uow:
                    await uow.deliveries.mark_sent(
                        [(delivery, recipient) for delivery, recipient, _ in batch]
                    )
                    await uow.commit()
            except Exception as error:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)


def _duration_fr(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} heure{'s' if hours > 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{seconds:g} secondes"
