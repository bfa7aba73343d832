"""The delivery worker: sends the emails the consumers recorded, and records what happened.

For each due delivery:

1. claim it (``FOR UPDATE SKIP LOCKED``, so several replicas share the work) and mark it
   "sending", committed *before* the SMTP transaction; by the same statement, a thread
   email whose member turned thread emails off is marked "skipped_opted_out" instead, and
   never sent;
2. render it and hand it to the SMTP server;
3. record the outcome: sent; a transient failure of this address (retried after an
   exponential backoff with full jitter); a permanent one (dead, with an
   ``EventDeadLettered`` published on ``notifier.dead-letter.v1`` through the outbox in the
   same transaction); or the server away (refused, dropped or silent connection, 421, our
   login refused): the email is held without counting a failure, sending pauses, the
   server is probed (every 0.5 s, then every second) and every held email goes again,
   at full speed, as soon as it answers.

Each delivery runs on its own: one member's failing or slow email never holds up the others.
The loop around it (listen for NOTIFY or poll, claim, back off while the database is away)
is servicekit's ``WorkLoop``, the outbox relay's too.

An outcome that cannot be recorded because the database is away (the SMTP server said
``250`` and PostgreSQL is stopped, frozen or failing over) is kept in memory and recorded
first thing once the database answers, before anything is claimed or taken back after its
lease: the email is not sent again, however long the database was away. They are at most
``delivery_concurrency`` (nothing more is claimed while any waits). Once the database is
back, no replica takes back a delivery left "sending" for a few seconds
(``RELEASE_GRACE_SECONDS``), so that the others record theirs first.

The remaining at-least-once window: if the process dies after the SMTP server accepted an
email and before its outcome is committed, the delivery stays "sending" (visible in the
delivery log). After ``sending_lease_seconds`` it is sent again, with the same Message-ID,
so the receiving side can drop the copy. Outcomes already recorded are never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from contracts import Event
from contracts.events.dead_letter import EventDeadLettered
from contracts.topics import NOTIFIER_DEAD_LETTER
from notifier.adapters.rendering import EmailRenderer
from notifier.adapters.smtp import SmtpMailer
from notifier.domain.errors import (
    DeliveryFailure,
    ServerUnavailable,
    TemplateFailure,
    TransientFailure,
)
from notifier.domain.model import Delivery, DeliveryStatus, Recipient, retry_delay
from notifier.service_layer.delivery_metrics import DeliveryMetrics
from notifier.service_layer.smtp_outage import ServerWatch
from notifier.service_layer.unit_of_work import DELIVERIES_CHANNEL, NotifierUnitOfWork
from servicekit import backoff
from servicekit.clock import Clock, SystemClock
from servicekit.failures import is_unavailable
from servicekit.logging import get_logger
from servicekit.worker import WorkLoop

if TYPE_CHECKING:
    from notifier.config import Settings

logger = get_logger(__name__)

__all__ = ["DEAD_LETTER_CONSUMER", "AcceptedHook", "DeliveryMetrics", "DeliveryWorker"]

#: Name under which the worker signs its dead letters.
DEAD_LETTER_CONSUMER = "notifier.delivery"

#: Called once the SMTP server accepted an email, before its outcome is recorded (tests
#: use it to stand for a crash at the worst moment).
AcceptedHook = Callable[[Delivery], Awaitable[None]]

#: Pauses of the worker while the database is away: short, so that the backlog goes within
#: seconds of its return.
WORKER_BACKOFF_CAP_SECONDS = 5.0

#: After the database was away, deliveries left "sending" are not taken back for this
#: long: the other replicas record first what they kept meanwhile (each does within its
#: next claim, at most ``WORKER_BACKOFF_CAP_SECONDS`` away).
RELEASE_GRACE_SECONDS = 2 * WORKER_BACKOFF_CAP_SECONDS

#: An outcome to record: the step that records it, and its arguments.
_Outcome = tuple[Callable[..., Awaitable[None]], tuple[object, ...]]


class _Claimed(NamedTuple):
    """Deliveries claimed in one go, each with its member's contact if known."""

    deliveries: list[tuple[Delivery, Recipient | None]]
    #: The free capacity they were claimed for.
    free: int


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
        clock: Clock | None = None,
    ) -> None:
        self._uow = unit_of_work
        self.renderer = renderer
        self.mailer = mailer
        self.settings = settings
        self.metrics = metrics
        self._after_accepted = after_accepted
        self._clock = clock or SystemClock()
        self._sender = settings.mail_sender_address
        self._inflight: set[asyncio.Task[None]] = set()
        self._last_maintenance = datetime.min.replace(tzinfo=UTC)
        self._sent = _GroupCommit(unit_of_work)
        #: Outcomes known (an email the SMTP server took, say) but not recorded yet because
        #: the database was away; recorded before anything else once it answers.
        self._unrecorded: list[_Outcome] = []
        #: Deliveries this process holds "sending": in flight, or their outcome unrecorded.
        self._held: set[uuid.UUID] = set()
        self._claimed_once = False
        #: No delivery left "sending" is taken back before this time (``time.monotonic()``).
        self._release_after = 0.0
        self._server = ServerWatch(mailer, metrics.smtp_available)
        self._loop: WorkLoop[_Claimed] = WorkLoop(
            name="deliveries",
            claim=self._claim_due,
            process=self._start,
            listen_dsn=listen_dsn,
            channel=DELIVERIES_CHANNEL,
            poll_interval=settings.delivery_poll_interval_seconds,
            failure_message="delivery worker cannot reach the database, will retry",
            also_waking=lambda: self._inflight,
            backoff_base=0.4,
            backoff_cap=WORKER_BACKOFF_CAP_SECONDS,
        )

    def wake(self) -> None:
        self._loop.wake()

    @property
    def healthy(self) -> bool:
        return self._loop.healthy

    # --- the loop

    async def run(self) -> None:
        try:
            await self._loop.run()
        finally:
            await self._drain()

    async def _claim_due(self) -> _Claimed:
        """Outcomes left unrecorded, chores, then due deliveries up to the free capacity; with
        that free capacity. Fails (and the loop pauses) while the database is away."""
        if self._claimed_once and not self._loop.healthy:  # the database was away
            self._release_after = time.monotonic() + RELEASE_GRACE_SECONDS
        await self._record_unrecorded()
        await self._maintenance()
        self._claimed_once = True
        capacity = self.settings.delivery_concurrency
        if not await self._server.answers():
            return _Claimed([], capacity - len(self._inflight))
        free = capacity - len(self._inflight)
        # Claim in batches rather than one row per finished email.
        if free >= max(1, capacity // 4) or not self._inflight:
            return _Claimed(await self._claim(free), free)
        return _Claimed([], free)

    async def _start(self, batch: _Claimed) -> bool:
        """Send each claimed delivery on its own; say whether to claim again at once."""
        claimed, free = batch.deliveries, batch.free
        for delivery, contact in claimed:
            self._held.add(delivery.id)
            task = asyncio.create_task(
                self._deliver(delivery, contact), name=f"deliver-{delivery.id}"
            )
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        if claimed and len(claimed) >= free:
            # Full: go on as soon as one finishes.
            await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            return True
        # Something claimed: there may be more due right now. Nothing: wait for a wake-up,
        # a finished email or the poll interval.
        return bool(claimed)

    async def _drain(self) -> None:
        """On shutdown, let the emails in flight finish and be recorded, for a while."""
        if self._inflight:
            pending = set(self._inflight)
            with contextlib.suppress(Exception):
                _, pending = await asyncio.wait(
                    pending, timeout=self.settings.shutdown_grace_seconds
                )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._unrecorded:
            try:
                async with asyncio.timeout(self.settings.shutdown_grace_seconds):
                    await self._record_unrecorded()
            except Exception as error:
                logger.error(
                    "delivery outcomes not recorded at shutdown: sent again after the lease",
                    deliveries=len(self._unrecorded),
                    error=repr(error),
                )

    async def _record_unrecorded(self) -> None:
        """Record the outcomes kept while the database was away, oldest first; raise (and
        keep the rest) if it is still away."""
        while self._unrecorded:
            step, args = self._unrecorded[0]
            await step(*args)
            self._unrecorded.pop(0)
            self._held.discard(_delivery_of(args).id)
            if not self._unrecorded:
                logger.info("delivery outcomes kept while the database was away are recorded")

    async def _claim(self, limit: int) -> list[tuple[Delivery, Recipient | None]]:
        """Due deliveries, now "sending", each with its member's contact if known."""
        if limit <= 0:
            return []
        # One statement, a transaction of its own. Each with its member's contact
        # and choice as they are now, not when the email was requested: a member who has
        # just turned them off gets none of those still waiting to go (they are skipped).
        async with self._uow().one_statement() as uow:
            claimed = await uow.deliveries.claim_due(limit)
        sendable: list[tuple[Delivery, Recipient | None]] = []
        for one in claimed:
            if one.delivery.status is not DeliveryStatus.SKIPPED_OPTED_OUT:
                sendable.append((one.delivery, one.contact))
                continue
            delivery = one.delivery
            self.metrics.skipped.labels(delivery.kind.value).inc()
            logger.info(
                "email skipped: the member turned thread emails off",
                delivery_id=str(delivery.id),
                kind=delivery.kind.value,
                event_id=str(delivery.event_id),
            )
        return sendable

    # --- one email

    async def _deliver(self, delivery: Delivery, contact: Recipient | None) -> None:
        try:
            await self._attempt(delivery, contact)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Recording the outcome failed for another reason than the database being away:
            # the delivery stays "sending" and is taken up again after the lease.
            logger.exception("delivery outcome not recorded", delivery_id=str(delivery.id))
        finally:
            if not any(_delivery_of(args) is delivery for _, args in self._unrecorded):
                self._held.discard(delivery.id)

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
                now=self._clock.now(),
            )
            started = asyncio.get_running_loop().time()
            # An attempt must end well within the lease, or another replica could take the
            # delivery back while this one is still sending it.
            async with asyncio.timeout(self.settings.sending_lease_seconds / 2):
                await self.mailer.send(message, sender=self._sender)
            self.metrics.send_seconds.observe(asyncio.get_running_loop().time() - started)
        except TimeoutError:
            late = ServerUnavailable("Délai dépassé : le serveur SMTP n'a pas répondu à temps")
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
        """Record an outcome. The database away: keep it, to be recorded before anything
        else once it answers (the delivery stays "sending" meanwhile, and this process will
        not take it back and send it again). Any other failure is retried a little, then
        raised: the delivery is left "sending", and goes again after the lease."""
        for attempt in range(1, 6):
            try:
                await step(*args)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if is_unavailable(error):
                    if not self._unrecorded:
                        logger.warning(
                            "database away: delivery outcomes kept until it answers",
                            error=type(error).__name__,
                        )
                    self._unrecorded.append((step, args))
                    return
                if attempt == 5:
                    raise
                logger.warning("recording a delivery outcome failed", error=repr(error))
                await asyncio.sleep(backoff.delay(attempt, base=0.4, cap=3.2))

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
        if isinstance(failure, ServerUnavailable):
            self.metrics.failed.labels(delivery.kind.value, "server").inc()
            async with self._uow() as uow:
                await uow.deliveries.hold(delivery.id, error=failure.reason, recipient=recipient)
                await uow.commit()
            self._server.away(failure)
            return
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
        now = self._clock.now()
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
            released = (
                await uow.deliveries.release_stale(
                    timedelta(seconds=self.settings.sending_lease_seconds),
                    limit=500,
                    held=sorted(self._held),
                )
                if time.monotonic() >= self._release_after
                else []
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
                async with self._uow().one_statement() as uow:
                    await uow.deliveries.mark_sent(
                        [(delivery, recipient) for delivery, recipient, _ in batch]
                    )
            except Exception as error:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)


def _delivery_of(args: tuple[object, ...]) -> Delivery:
    """The delivery an outcome is about: every recording step takes it first."""
    delivery = args[0]
    assert isinstance(delivery, Delivery)
    return delivery


def _duration_fr(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} heure{'s' if hours > 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{seconds:g} secondes"
