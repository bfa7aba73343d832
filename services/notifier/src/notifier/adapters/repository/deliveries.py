"""The delivery log: every email the notifier was asked for and what became of it, written
by the consumers, the delivery worker and the replays, read by the delivery log API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Integer,
    Interval,
    and_,
    bindparam,
    case,
    delete,
    func,
    null,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.orm import CONTACTS, DELIVERIES, PREFERENCES
from notifier.adapters.repository.members import lock_member
from notifier.domain.delivery_log import Position
from notifier.domain.model import (
    SECRET_FIELDS,
    THREAD_KINDS,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Recipient,
)
from notifier.domain.personal_data import (
    ACCOUNT_DELETED_EXPLANATION,
    erase_addresses,
    forgotten_payload,
)
from notifier.domain.preferences import SKIPPED_OPTED_OUT_EXPLANATION
from servicekit.db import Prepared, Writes, named

#: Not sent yet, and sendable.
UNSENT_STATUSES = frozenset(
    {DeliveryStatus.WAITING_CONTACT, DeliveryStatus.PENDING, DeliveryStatus.SENDING}
)

#: A delivery whose member was not forgotten: the worker records outcomes of those only, so
#: that an email in flight when the account is deleted cannot bring its address back.
_NOT_FORGOTTEN = DELIVERIES.c.forgotten_at.is_(None)


@dataclass(frozen=True)
class Page:
    """Deliveries, newest first, and where the next page starts (None on the last one)."""

    deliveries: list[Delivery]
    next_position: Position | None


@dataclass(frozen=True)
class NewDelivery:
    """An email an event asks for, as the consumers record it."""

    event_id: uuid.UUID
    kind: DeliveryKind
    status: DeliveryStatus
    fund: str
    member_id: uuid.UUID
    thread_id: uuid.UUID | None
    reference: str | None
    payload: dict[str, Any]
    #: Account emails carry their own address; thread emails go to the member's contact.
    recipient: str | None
    message_id: str
    #: How long a thread email waits for its member's contact (None: it does not wait).
    wait: timedelta | None


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery claimed for sending, with what its sending needs to know of its member."""

    delivery: Delivery
    #: Where the member's thread emails go, if known.
    contact: Recipient | None


#: The kinds of the emails about a thread, as the table holds them.
_THREAD_KIND_VALUES = sorted(kind.value for kind in THREAD_KINDS)

#: Read with each claimed delivery: its member's contact, as it is now.
_CONTACT_NOW = tuple(
    select(column)
    .where(CONTACTS.c.member_id == DELIVERIES.c.member_id)
    .scalar_subquery()
    .label(f"contact_{column.name}")
    for column in (CONTACTS.c.email, CONTACTS.c.given_name, CONTACTS.c.family_name)
)

#: Due deliveries, oldest first, locked for this claim; each saying whether it is a thread
#: email its member no longer wants (their choice as it is now, not when it was asked for).
_DUE = (
    select(
        DELIVERIES.c.id,
        and_(
            DELIVERIES.c.kind.in_(_THREAD_KIND_VALUES),
            PREFERENCES.c.thread_emails.is_(False),
        ).label("opted_out"),
    )
    .select_from(
        DELIVERIES.outerjoin(PREFERENCES, PREFERENCES.c.member_id == DELIVERIES.c.member_id)
    )
    .where(
        DELIVERIES.c.status == DeliveryStatus.PENDING.value,
        DELIVERIES.c.next_attempt_at <= func.now(),
    )
    .order_by(DELIVERIES.c.next_attempt_at)
    .limit(bindparam("claim_limit", type_=Integer))
    .with_for_update(skip_locked=True, of=DELIVERIES)
    .cte("due")
)


def _unless_opted_out(then: Any, opted_out: Any) -> ColumnElement[Any]:
    return case((_DUE.c.opted_out, opted_out), else_=then)


#: The claim, built once: the due deliveries become "sending", or "skipped_opted_out".
_CLAIM = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == _DUE.c.id)
    .values(
        status=_unless_opted_out(
            DeliveryStatus.SENDING.value, DeliveryStatus.SKIPPED_OPTED_OUT.value
        ),
        claimed_at=_unless_opted_out(func.now(), DELIVERIES.c.claimed_at),
        last_error=_unless_opted_out(DELIVERIES.c.last_error, SKIPPED_OPTED_OUT_EXPLANATION),
        next_attempt_at=_unless_opted_out(DELIVERIES.c.next_attempt_at, null()),
        wait_until=_unless_opted_out(DELIVERIES.c.wait_until, null()),
    )
    .returning(*DELIVERIES.c, *_CONTACT_NOW)
)

#: "Sent", for deliveries given as arrays of ids and addresses; an account email's secret
#: fields removed from its payload.
_MARK_SENT = text(
    "UPDATE deliveries SET status = :sent, recipient = sent.sent_to, sent_at = now(),"
    " attempts = deliveries.attempts + 1, failures = 0, last_error = NULL,"
    " next_attempt_at = NULL,"
    " payload = CASE WHEN deliveries.kind = ANY(CAST(:thread_kinds AS text[]))"
    " THEN deliveries.payload ELSE deliveries.payload - CAST(:secrets AS text[]) END"
    " FROM unnest(CAST(:sent_ids AS uuid[]), CAST(:sent_to AS text[])) AS sent(id, sent_to)"
    " WHERE deliveries.id = sent.id AND deliveries.forgotten_at IS NULL"
).bindparams(
    sent=DeliveryStatus.SENT.value,
    thread_kinds=_THREAD_KIND_VALUES,
    secrets=sorted(SECRET_FIELDS),
)


class DeliveryRepository:
    def __init__(self, session: AsyncSession, writes: Writes | None = None) -> None:
        self.session = session
        self.writes = writes or Writes(session, deferred=False)
        self._added: list[NewDelivery] = []

    # --- recorded by the consumers

    async def add(self, delivery: NewDelivery) -> bool:
        """Record an email to send now; False if this event's email was already recorded."""
        result = await self.session.execute(*_ADD_RETURNING.bind(_values(delivery)))
        return result.first() is not None

    async def add_with_commit(self, delivery: NewDelivery) -> None:
        """Record an email to send, written when the unit of work commits (nothing if this
        event's email was already recorded): not to be read back before the commit."""
        self._added.append(delivery)

    async def write_added(self) -> None:
        """Write the emails ``add_with_commit`` recorded: one, the usual case, with the
        commit's own statement; several (a poll's events) by one statement taking them all
        as arrays, the same statement whatever their number."""
        added, self._added = self._added, []
        if len(added) == 1:
            await self.writes.add(_ADD.bind(_values(added[0])))
        elif added:
            rows = [_values(delivery) for delivery in added]
            await self.session.execute(
                _ADD_MANY,
                {
                    name: [
                        json.dumps(row[name]) if name == "payload" else row[name] for row in rows
                    ]
                    for name in _ADD_MANY_COLUMNS
                },
            )

    async def wake_waiting(self, member_id: uuid.UUID) -> int:
        """The member's contact arrived: their waiting emails are due now."""
        result = await self.session.execute(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.member_id == member_id,
                DELIVERIES.c.status == DeliveryStatus.WAITING_CONTACT.value,
            )
            .values(status=DeliveryStatus.PENDING.value, next_attempt_at=func.now())
            .returning(DELIVERIES.c.id)
        )
        return len(result.all())

    async def forget_member(self, member_id: uuid.UUID) -> int:
        """The member's account was deleted: erase the personal data of their deliveries
        (recipient, names, addresses, one-time codes and reset tokens; identifiers and dates
        stay) and give up on those not sent yet, without publishing anything. Returns how
        many deliveries were forgotten."""
        rows = (
            await self.session.execute(
                select(
                    DELIVERIES.c.id,
                    DELIVERIES.c.status,
                    DELIVERIES.c.payload,
                    DELIVERIES.c.last_error,
                )
                .where(DELIVERIES.c.member_id == member_id, _NOT_FORGOTTEN)
                .with_for_update()
            )
        ).all()
        if not rows:
            return 0
        unsent = {status.value for status in UNSENT_STATUSES}
        given_up = bindparam("given_up", type_=Boolean)
        await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == bindparam("delivery_id"))
            .values(
                status=case((given_up, DeliveryStatus.DEAD.value), else_=DELIVERIES.c.status),
                dead_at=case((given_up, func.now()), else_=DELIVERIES.c.dead_at),
                payload=bindparam("kept", type_=JSONB),
                recipient=None,
                last_error=bindparam("error"),
                next_attempt_at=None,
                wait_until=None,
                forgotten_at=func.now(),
            )
            .execution_options(synchronize_session=False),
            [
                {
                    "delivery_id": row.id,
                    "given_up": row.status in unsent,
                    "kept": forgotten_payload(row.payload),
                    "error": (
                        ACCOUNT_DELETED_EXPLANATION
                        if row.status in unsent
                        else erase_addresses(row.last_error)
                    ),
                }
                for row in rows
            ],
        )
        return len(rows)

    async def delete_finished(self, *, older_than: timedelta, limit: int) -> int:
        """Delete up to ``limit`` deliveries created longer than ``older_than`` ago and
        finished (sent, dead or skipped): one not sent yet stays, whatever its age."""
        expired = (
            select(DELIVERIES.c.id)
            .where(
                DELIVERIES.c.created_at < func.now() - older_than,
                DELIVERIES.c.status.not_in([status.value for status in UNSENT_STATUSES]),
            )
            .order_by(DELIVERIES.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            delete(DELIVERIES).where(DELIVERIES.c.id.in_(expired)).returning(DELIVERIES.c.id)
        )
        return len(result.all())

    # --- the delivery worker

    async def claim_due(self, limit: int) -> list[ClaimedDelivery]:
        """Take up to ``limit`` due deliveries for this process: they become "sending"; each
        with its member's contact, read by the same statement. A thread email whose member
        turned thread emails off becomes "skipped_opted_out" instead, by the same statement
        too (one statement: a claim needs no transaction of its own, see
        ``UnitOfWork.one_statement``).

        ``SKIP LOCKED`` lets several replicas claim at once without taking the same row."""
        rows = await self.session.execute(_CLAIM, {"claim_limit": limit})
        claimed = [
            ClaimedDelivery(
                _delivery(row),
                contact=Recipient(
                    row["contact_email"], row["contact_given_name"], row["contact_family_name"]
                )
                if row["contact_email"] is not None
                else None,
            )
            for row in rows.mappings()
        ]
        return sorted(
            claimed,
            key=lambda one: one.delivery.next_attempt_at or one.delivery.created_at,
        )

    async def mark_sent(self, sent: Sequence[tuple[Delivery, str]]) -> None:
        """Record that these deliveries were accepted, each by the address it went to; the
        codes and links of account emails have served: they need not stay at rest in the
        log. One statement whatever their number.

        Like every outcome the worker records, not for a delivery whose member was forgotten
        while it was being sent: it stays as the tombstone left it."""
        if not sent:
            return
        await self.session.execute(
            _MARK_SENT,
            {
                "sent_ids": [delivery.id for delivery, _ in sent],
                "sent_to": [recipient for _, recipient in sent],
            },
        )

    async def mark_retry(
        self, delivery_id: uuid.UUID, *, error: str, delay: timedelta, recipient: str | None
    ) -> None:
        await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery_id, _NOT_FORGOTTEN)
            .values(
                status=DeliveryStatus.PENDING.value,
                recipient=recipient if recipient is not None else DELIVERIES.c.recipient,
                attempts=DELIVERIES.c.attempts + 1,
                failures=DELIVERIES.c.failures + 1,
                last_error=error,
                next_attempt_at=func.now() + delay,
            )
        )

    async def hold(self, delivery_id: uuid.UUID, *, error: str, recipient: str | None) -> None:
        """Back to pending, due at once, without counting a failure: the server was away,
        not this email's fault (the worker sends nothing until the server answers again)."""
        await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery_id, _NOT_FORGOTTEN)
            .values(
                status=DeliveryStatus.PENDING.value,
                recipient=recipient if recipient is not None else DELIVERIES.c.recipient,
                attempts=DELIVERIES.c.attempts + 1,
                last_error=error,
                next_attempt_at=func.now(),
            )
        )

    async def mark_dead(
        self,
        delivery_id: uuid.UUID,
        *,
        error: str,
        attempted: bool,
        recipient: str | None = None,
    ) -> Delivery | None:
        """The delivery now dead; None if its member was forgotten meanwhile (it is already
        dead, for that reason)."""
        result = await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery_id, _NOT_FORGOTTEN)
            .values(
                status=DeliveryStatus.DEAD.value,
                recipient=recipient if recipient is not None else DELIVERIES.c.recipient,
                attempts=DELIVERIES.c.attempts + (1 if attempted else 0),
                failures=DELIVERIES.c.failures + (1 if attempted else 0),
                last_error=error,
                next_attempt_at=None,
                dead_at=func.now(),
            )
            .returning(*DELIVERIES.c)
        )
        row = result.mappings().first()
        return _delivery(row) if row else None

    async def mark_waiting_unless_known(
        self, delivery: Delivery, *, wait: timedelta
    ) -> DeliveryStatus:
        """No contact for this member when sending: wait for it, unless it has just arrived."""
        await lock_member(self.session, delivery.member_id)
        known = await self.session.scalar(
            select(func.count())
            .select_from(CONTACTS)
            .where(CONTACTS.c.member_id == delivery.member_id)
        )
        status = DeliveryStatus.PENDING if known else DeliveryStatus.WAITING_CONTACT
        result = await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery.id, _NOT_FORGOTTEN)
            .values(
                status=status.value,
                next_attempt_at=func.now() if known else None,
                wait_until=func.coalesce(DELIVERIES.c.wait_until, func.now() + wait),
                last_error=None if known else "Adresse e-mail de l'adhérent pas encore connue",
            )
            .returning(DELIVERIES.c.id)
        )
        return status if result.first() is not None else DeliveryStatus.DEAD

    async def expired_waiting(self, limit: int) -> list[Delivery]:
        """Waiting deliveries whose contact did not arrive in time, locked for this process."""
        rows = await self.session.execute(
            select(*DELIVERIES.c)
            .where(
                DELIVERIES.c.status == DeliveryStatus.WAITING_CONTACT.value,
                DELIVERIES.c.wait_until < func.now(),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_delivery(row) for row in rows.mappings()]

    async def release_stale(
        self, lease: timedelta, limit: int, *, held: Sequence[uuid.UUID] = ()
    ) -> list[Delivery]:
        """Deliveries left "sending" longer than ``lease``: the process that held them died
        during the SMTP transaction. Their outcome is unknown; they are sent again. Not those
        ``held`` by the process asking (in its hands, or their outcome waiting to be recorded)."""
        stale = (
            select(DELIVERIES.c.id)
            .where(
                DELIVERIES.c.status == DeliveryStatus.SENDING.value,
                DELIVERIES.c.claimed_at < func.now() - lease,
                DELIVERIES.c.id.not_in(list(held)) if held else true(),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("stale")
        )
        rows = await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == stale.c.id)
            .values(
                status=DeliveryStatus.PENDING.value,
                next_attempt_at=func.now(),
                attempts=DELIVERIES.c.attempts + 1,
                last_error="Envoi interrompu avant d'en connaître l'issue : nouvel essai",
            )
            .returning(*DELIVERIES.c)
        )
        return [_delivery(row) for row in rows.mappings()]

    async def next_due_at(self) -> datetime | None:
        due: datetime | None = await self.session.scalar(
            select(func.min(DELIVERIES.c.next_attempt_at)).where(
                DELIVERIES.c.status == DeliveryStatus.PENDING.value
            )
        )
        return due

    async def backlog(self) -> tuple[dict[str, int], float]:
        """Deliveries by status (not sent yet), and the age in seconds of the oldest pending one."""
        rows = await self.session.execute(
            select(DELIVERIES.c.status, func.count())
            .where(DELIVERIES.c.status.in_(["waiting_contact", "pending", "sending", "dead"]))
            .group_by(DELIVERIES.c.status)
        )
        counts = {status: int(count) for status, count in rows.all()}
        oldest = await self.session.scalar(
            select(func.extract("epoch", func.now() - func.min(DELIVERIES.c.created_at))).where(
                DELIVERIES.c.status.in_(["pending", "sending", "waiting_contact"])
            )
        )
        return counts, float(oldest or 0.0)

    # --- the delivery log API

    async def get(
        self, delivery_id: uuid.UUID, *, fund: str, lock: bool = False
    ) -> Delivery | None:
        query = select(*DELIVERIES.c).where(
            DELIVERIES.c.id == delivery_id, DELIVERIES.c.fund == fund
        )
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _delivery(row) if row else None

    async def replay(self, delivery_id: uuid.UUID, *, replayed_by: uuid.UUID) -> Delivery:
        result = await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery_id)
            .values(
                status=DeliveryStatus.PENDING.value,
                next_attempt_at=func.now(),
                failures=0,
                wait_until=None,
                replayed_at=func.now(),
                replayed_by=replayed_by,
            )
            .returning(*DELIVERIES.c)
        )
        return _delivery(result.mappings().one())

    async def page(
        self,
        *,
        fund: str,
        thread_id: uuid.UUID | None = None,
        member_id: uuid.UUID | None = None,
        dead_only: bool = False,
        after: Position | None = None,
        limit: int,
    ) -> Page:
        """Newest first."""
        conditions: list[ColumnElement[bool]] = [DELIVERIES.c.fund == fund]
        if thread_id is not None:
            conditions.append(DELIVERIES.c.thread_id == thread_id)
        if member_id is not None:
            conditions.append(DELIVERIES.c.member_id == member_id)
        if dead_only:
            conditions.append(DELIVERIES.c.status == DeliveryStatus.DEAD.value)
        if after is not None:
            created_at, last_id = after
            conditions.append(
                or_(
                    DELIVERIES.c.created_at < created_at,
                    and_(DELIVERIES.c.created_at == created_at, DELIVERIES.c.id < last_id),
                )
            )
        rows = await self.session.execute(
            select(*DELIVERIES.c)
            .where(*conditions)
            .order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id.desc())
            .limit(limit + 1)
        )
        deliveries = [_delivery(row) for row in rows.mappings()]
        if len(deliveries) <= limit:
            return Page(deliveries, None)
        last = deliveries[limit - 1]
        return Page(deliveries[:limit], (last.created_at, last.id))


def _delivery(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        event_id=row["event_id"],
        kind=DeliveryKind(row["kind"]),
        status=DeliveryStatus(row["status"]),
        fund=row["fund"],
        member_id=row["member_id"],
        thread_id=row["thread_id"],
        reference=row["reference"],
        payload=row["payload"],
        recipient=row["recipient"],
        message_id=row["message_id"],
        attempts=row["attempts"],
        failures=row["failures"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        wait_until=row["wait_until"],
        claimed_at=row["claimed_at"],
        sent_at=row["sent_at"],
        dead_at=row["dead_at"],
        replayed_at=row["replayed_at"],
        forgotten_at=row["forgotten_at"],
    )


def _values(delivery: NewDelivery) -> dict[str, Any]:
    """``_ADD``'s values for ``delivery``."""
    return {
        "id": uuid.uuid4(),
        "event_id": delivery.event_id,
        "kind": delivery.kind.value,
        "status": delivery.status.value,
        "fund": delivery.fund,
        "member_id": delivery.member_id,
        "thread_id": delivery.thread_id,
        "reference": delivery.reference,
        "payload": delivery.payload,
        "recipient": delivery.recipient,
        "message_id": delivery.message_id,
        "due": delivery.status is DeliveryStatus.PENDING,
        "wait": delivery.wait,
    }


def _column(name: str) -> BindParameter[Any]:
    return named("delivery_", name, DELIVERIES.c[name].type)


#: The insert of an email to send, doing nothing if the event's email is recorded: built
#: once (``servicekit.db.Prepared``), the same statement for every email asked for.
_ADD = Prepared(
    insert(DELIVERIES)
    .values(
        {
            **{
                name: _column(name)
                for name in (
                    "id",
                    "event_id",
                    "kind",
                    "status",
                    "fund",
                    "member_id",
                    "thread_id",
                    "reference",
                    "payload",
                    "recipient",
                    "message_id",
                )
            },
            # Due at once when pending; a thread email without contact waits a while.
            "next_attempt_at": case((named("delivery_", "due", Boolean), func.now()), else_=null()),
            "wait_until": func.now() + named("delivery_", "wait", Interval),
        }
    )
    .on_conflict_do_nothing(constraint="deliveries_event_kind_key"),
    "delivery_",
)
#: ``_values``' names, in the order of ``_ADD_MANY``'s arrays, with their PostgreSQL types.
_ADD_MANY_COLUMNS = {
    "id": "uuid",
    "event_id": "uuid",
    "kind": "text",
    "status": "text",
    "fund": "text",
    "member_id": "uuid",
    "thread_id": "uuid",
    "reference": "text",
    "payload": "text",
    "recipient": "text",
    "message_id": "text",
    "due": "boolean",
    "wait": "interval",
}
#: ``_ADD`` for several emails at once: each column an array, unnested into rows.
_ADD_MANY = text(
    "INSERT INTO deliveries (id, event_id, kind, status, fund, member_id, thread_id,"  # noqa: S608 - constants of this module
    " reference, payload, recipient, message_id, next_attempt_at, wait_until)"
    " SELECT id, event_id, kind, status, fund, member_id, thread_id, reference,"
    " payload::jsonb, recipient, message_id, CASE WHEN due THEN now() END, now() + wait"
    " FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _ADD_MANY_COLUMNS.items())
    + ") AS added("
    + ", ".join(_ADD_MANY_COLUMNS)
    + ") ON CONFLICT ON CONSTRAINT deliveries_event_kind_key DO NOTHING"
)
_ADD_RETURNING = Prepared(_ADD.statement.returning(DELIVERIES.c.id), "delivery_")
