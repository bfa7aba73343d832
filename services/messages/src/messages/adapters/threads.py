"""Threads and what they hold (messages and replies, notes, the access audit): reading and
writing their tables. No commit here: the unit of work commits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, func, literal_column, or_, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from messages.adapters import reference_numbers
from messages.adapters.orm import ACCESS_AUDIT, MESSAGES, NOTES, THREAD_COUNTS, THREADS
from messages.adapters.queue import (
    OPEN,
    THREAD_COLUMNS,
    queue_conditions,
    queue_statement,
    skill_condition,
)
from messages.domain.commands import QueueFilter
from messages.domain.medical import fold
from messages.domain.model import OPEN_STATUSES, Access, Message, Node, Note, Status, Thread
from servicekit.db import Prepared, Writes, named

#: A row read from a table, by column name.
Record = Mapping[Any, Any]

#: The text search configuration; texts are folded (lower case, no accents) before it.
SEARCH_CONFIGURATION = "french"


def _thread(row: Record) -> Thread:
    return Thread(
        id=row["id"],
        reference=row["reference"],
        fund=row["fund"],
        member_id=row["member_id"],
        member_given_name=row["member_given_name"],
        member_family_name=row["member_family_name"],
        theme=Node(row["theme_code"], row["theme_label"]),
        subject=Node(row["subject_code"], row["subject_label"]),
        motif=Node(row["motif_code"], row["motif_label"]),
        skill=row["skill"],
        response_time_days=row["response_time_days"],
        status=Status(row["status"]),
        created_at=row["created_at"],
        last_activity_at=row["last_activity_at"],
        due_date=row["due_date"],
        assignee_id=row["assignee_id"],
        assignee_name=row["assignee_name"],
        assigned_at=row["assigned_at"],
        closed_at=row["closed_at"],
        unread_replies=row["unread_replies"],
        last_consulted_by_fund_at=row["last_consulted_by_fund_at"],
        relance=row["relance"],
        awaiting_member_since=row["awaiting_member_since"],
        suspended_working_days=row["suspended_working_days"],
        details_reminded_at=row["details_reminded_at"],
    )


#: Read by the other repositories that select threads.
thread_from_row = _thread


#: The columns of a thread that change after it is made (``_mutable_values``).
_MUTABLE_COLUMNS = (
    "status",
    "last_activity_at",
    "due_date",
    "assignee_id",
    "assignee_name",
    "assigned_at",
    "closed_at",
    "unread_replies",
    "last_consulted_by_fund_at",
    "relance",
    "awaiting_member_since",
    "suspended_working_days",
    "details_reminded_at",
)


def _mutable_values(thread: Thread) -> dict[str, Any]:
    return {
        "status": thread.status.value,
        "last_activity_at": thread.last_activity_at,
        "due_date": thread.due_date,
        "assignee_id": thread.assignee_id,
        "assignee_name": thread.assignee_name,
        "assigned_at": thread.assigned_at,
        "closed_at": thread.closed_at,
        "unread_replies": thread.unread_replies,
        "last_consulted_by_fund_at": thread.last_consulted_by_fund_at,
        "relance": thread.relance,
        "awaiting_member_since": thread.awaiting_member_since,
        "suspended_working_days": thread.suspended_working_days,
        "details_reminded_at": thread.details_reminded_at,
    }


def _message(row: Record) -> Message:
    return Message(**{name: row[name] for name in Message.__dataclass_fields__})


def search_document(*parts: str) -> Any:
    """The tsvector of some text, folded the same way as the queries."""
    return func.to_tsvector(
        literal_column(f"'{SEARCH_CONFIGURATION}'::regconfig"), fold(" ".join(parts))
    )


#: A new thread and a new message, as prepared writes: the same statements at every send.
_NEW_THREAD = Prepared.insert(
    THREADS,
    "thread_",
    columns=(
        "id",
        "reference",
        "fund",
        "member_id",
        "member_given_name",
        "member_family_name",
        "theme_code",
        "theme_label",
        "subject_code",
        "subject_label",
        "motif_code",
        "motif_label",
        "skill",
        "response_time_days",
        "created_at",
        *_MUTABLE_COLUMNS,
    ),
    expressions={
        "search_vector": func.to_tsvector(
            literal_column(f"'{SEARCH_CONFIGURATION}'::regconfig"),
            named("thread_", "search_text", Text),
        )
    },
)
_NEW_MESSAGE = Prepared.insert(MESSAGES, "message_", columns=tuple(Message.__dataclass_fields__))


class ThreadRepository:
    def __init__(self, session: AsyncSession, writes: Writes | None = None) -> None:
        self.session = session
        self.writes = writes or Writes(session, deferred=False)

    async def next_reference_number(self, fund: str, year: int) -> int:
        """The next number of the fund's references of that year, from a sequence of its own
        (``reference_numbers``): no lock is held until the transaction ends, so submissions of
        one fund do not wait on each other. A number taken by a transaction that rolls back
        is not given again (the references of a year may skip one)."""
        return await reference_numbers.next_number(self.session, fund, year)

    async def reference_sequence(self, fund: str, year: int) -> str:
        """The sequence those numbers come from, for a statement that takes one along with
        what it does (one round trip less when a statement is sent anyway)."""
        return await reference_numbers.sequence_of(self.session, fund, year)

    async def add_thread(self, thread: Thread, *, search_text: str) -> None:
        await self.writes.add(
            _NEW_THREAD.bind(
                {
                    "id": thread.id,
                    "reference": thread.reference,
                    "fund": thread.fund,
                    "member_id": thread.member_id,
                    "member_given_name": thread.member_given_name,
                    "member_family_name": thread.member_family_name,
                    "theme_code": thread.theme.code,
                    "theme_label": thread.theme.label,
                    "subject_code": thread.subject.code,
                    "subject_label": thread.subject.label,
                    "motif_code": thread.motif.code,
                    "motif_label": thread.motif.label,
                    "skill": thread.skill,
                    "response_time_days": thread.response_time_days,
                    "created_at": thread.created_at,
                    "search_text": fold(
                        " ".join(
                            (
                                thread.reference,
                                thread.theme.label,
                                thread.subject.label,
                                thread.motif.label,
                                search_text,
                            )
                        )
                    ),
                    **_mutable_values(thread),
                }
            )
        )

    async def save_thread(self, thread: Thread, *, search_text: str | None = None) -> None:
        values = _mutable_values(thread)
        if search_text:
            values["search_vector"] = THREADS.c.search_vector.op("||")(search_document(search_text))
        await self.session.execute(update(THREADS).where(THREADS.c.id == thread.id).values(values))

    async def get_thread(
        self,
        thread_id: uuid.UUID,
        *,
        member_id: uuid.UUID | None = None,
        fund: str | None = None,
        for_update: bool = False,
    ) -> Thread | None:
        """The thread, if it belongs to this member or this fund (whichever is given)."""
        statement = select(*THREAD_COLUMNS).where(THREADS.c.id == thread_id)
        if member_id is not None:
            statement = statement.where(THREADS.c.member_id == member_id)
        if fund is not None:
            statement = statement.where(THREADS.c.fund == fund)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).first()
        return _thread(row._mapping) if row is not None else None

    async def list_member_threads(
        self,
        member_id: uuid.UUID,
        *,
        status: Status | None,
        search: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Thread]:
        statement = select(*THREAD_COLUMNS).where(THREADS.c.member_id == member_id)
        if status is not None:
            statement = statement.where(THREADS.c.status == status.value)
        if search:
            statement = statement.where(_search_condition(search))
        if after is not None:
            statement = statement.where(
                tuple_(THREADS.c.last_activity_at, THREADS.c.id) < tuple_(*after)
            )
        statement = statement.order_by(
            THREADS.c.last_activity_at.desc(), THREADS.c.id.desc()
        ).limit(limit)
        return [_thread(row._mapping) for row in await self.session.execute(statement)]

    async def list_queue(
        self, queue: QueueFilter, *, after: tuple[date, uuid.UUID] | None, limit: int
    ) -> list[Thread]:
        statement = queue_statement(queue, after=after, limit=limit)
        if statement is None:
            return []
        return [_thread(row._mapping) for row in await self.session.execute(statement)]

    async def queue_counts(
        self,
        queue: QueueFilter,
        *,
        agent_id: uuid.UUID,
        agent_skills: tuple[str, ...],
        today: date,
    ) -> dict[str, int]:
        """Per status, then among open threads: mine, unassigned, overdue (all within the
        queue's skill filter), my_skills (routed to the caller: their skills or assigned to
        them), without_skill (whatever the skill filter) and relances (« Je n'ai pas compris
        la réponse », within the skill filter).

        Open threads, the work in hand, are counted from the threads; the other statuses, a
        history that only grows, from ``thread_counts`` (a few rows per motif and agent, kept
        exact by a trigger in the transaction that changes a thread): the counts take the
        same time with a thousand messages as with millions."""
        catalog_filters = QueueFilter(
            fund=queue.fund,
            statuses=(),
            theme=queue.theme,
            subject=queue.subject,
            motif=queue.motif,
        )
        skill_filter = skill_condition(queue)
        in_filter = skill_filter if skill_filter is not None else true()
        routed_to_caller = skill_condition(
            QueueFilter(fund=queue.fund, statuses=(), skills=agent_skills, or_assigned_to=agent_id)
        )
        assert routed_to_caller is not None
        open_counts = (
            await self.session.execute(
                select(
                    *(
                        func.count().filter(in_filter, THREADS.c.status == status.value)
                        for status in OPEN_STATUSES
                    ),
                    func.count().filter(in_filter, THREADS.c.assignee_id == agent_id),
                    func.count().filter(in_filter, THREADS.c.assignee_id.is_(None)),
                    func.count().filter(in_filter, THREADS.c.due_date < today),
                    func.count().filter(routed_to_caller),
                    func.count().filter(THREADS.c.skill.is_(None)),
                    func.count().filter(in_filter, THREADS.c.relance),
                ).where(*queue_conditions(catalog_filters), OPEN)
            )
        ).one()
        *by_open_status, mine, unassigned, overdue, my_skills, without_skill, relances = (
            int(count) for count in open_counts
        )
        history_skill_filter = skill_condition(queue, THREAD_COUNTS)
        by_status = {
            status.value: count for status, count in zip(OPEN_STATUSES, by_open_status, strict=True)
        } | {
            row.status: int(row.total)
            for row in await self.session.execute(
                select(THREAD_COUNTS.c.status, func.sum(THREAD_COUNTS.c.total).label("total"))
                .where(
                    THREAD_COUNTS.c.fund == queue.fund,
                    *(
                        column == code
                        for column, code in (
                            (THREAD_COUNTS.c.theme_code, queue.theme),
                            (THREAD_COUNTS.c.subject_code, queue.subject),
                            (THREAD_COUNTS.c.motif_code, queue.motif),
                        )
                        if code
                    ),
                    history_skill_filter if history_skill_filter is not None else true(),
                )
                .group_by(THREAD_COUNTS.c.status)
            )
        }
        counts = {status.value: by_status.get(status.value, 0) for status in Status}
        counts["open"] = sum(counts[status.value] for status in OPEN_STATUSES)
        counts["all"] = sum(counts[status.value] for status in Status)
        counts |= {
            "mine": mine,
            "unassigned": unassigned,
            "overdue": overdue,
            "my_skills": my_skills,
            "without_skill": without_skill,
            "relances": relances,
        }
        return counts

    # Messages, notes, audit ---------------------------------------------------------------

    async def add_message(self, message: Message) -> None:
        await self.writes.add(
            _NEW_MESSAGE.bind(
                {name: getattr(message, name) for name in Message.__dataclass_fields__}
            )
        )

    async def messages_of(self, thread_id: uuid.UUID) -> list[Message]:
        rows = await self.session.execute(
            select(MESSAGES)
            .where(MESSAGES.c.thread_id == thread_id)
            .order_by(MESSAGES.c.created_at, MESSAGES.c.id)
        )
        return [_message(row._mapping) for row in rows]

    async def get_message(self, thread_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
        row = (
            await self.session.execute(
                select(MESSAGES).where(
                    MESSAGES.c.id == message_id, MESSAGES.c.thread_id == thread_id
                )
            )
        ).first()
        return _message(row._mapping) if row is not None else None

    async def store_deposit_digest(self, message_id: uuid.UUID, digest: str) -> None:
        await self.session.execute(
            update(MESSAGES).where(MESSAGES.c.id == message_id).values(deposit_sha256=digest)
        )

    async def deposit_digests(self, reference: str) -> list[str]:
        """The fingerprints of the member's messages in the thread of ``reference`` (read from
        the unique index on the reference, then the thread's messages)."""
        rows = await self.session.execute(
            select(MESSAGES.c.deposit_sha256)
            .join(THREADS, THREADS.c.id == MESSAGES.c.thread_id)
            .where(
                THREADS.c.reference == reference,
                MESSAGES.c.author_kind == "member",
                MESSAGES.c.deposit_sha256.is_not(None),
            )
        )
        return [digest for (digest,) in rows]

    async def mark_replies_read(self, thread_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(MESSAGES)
            .where(
                MESSAGES.c.thread_id == thread_id,
                MESSAGES.c.author_kind == "agent",
                MESSAGES.c.read_at.is_(None),
            )
            .values(read_at=now)
        )

    async def add_note(self, note: Note) -> None:
        await self.session.execute(
            NOTES.insert().values({name: getattr(note, name) for name in Note.__dataclass_fields__})
        )

    async def notes_of(self, thread_id: uuid.UUID) -> list[Note]:
        rows = await self.session.execute(
            select(NOTES).where(NOTES.c.thread_id == thread_id).order_by(NOTES.c.created_at)
        )
        return [Note(**row._mapping) for row in rows]

    async def add_access(
        self, *, thread: Thread, agent_id: uuid.UUID, agent_name: str, now: datetime
    ) -> None:
        await self.session.execute(
            ACCESS_AUDIT.insert().values(
                thread_id=thread.id,
                fund=thread.fund,
                agent_id=agent_id,
                agent_name=agent_name,
                accessed_at=now,
            )
        )

    async def list_access(
        self,
        *,
        fund: str,
        thread_id: uuid.UUID | None = None,
        agent_id: uuid.UUID | None = None,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> list[Access]:
        statement = (
            select(
                ACCESS_AUDIT.c.id,
                ACCESS_AUDIT.c.thread_id,
                THREADS.c.reference,
                ACCESS_AUDIT.c.agent_id,
                ACCESS_AUDIT.c.agent_name,
                ACCESS_AUDIT.c.accessed_at,
            )
            .join(THREADS, THREADS.c.id == ACCESS_AUDIT.c.thread_id)
            .where(ACCESS_AUDIT.c.fund == fund)
        )
        if thread_id is not None:
            statement = statement.where(ACCESS_AUDIT.c.thread_id == thread_id)
        if agent_id is not None:
            statement = statement.where(ACCESS_AUDIT.c.agent_id == agent_id)
        if after is not None:
            statement = statement.where(
                tuple_(ACCESS_AUDIT.c.accessed_at, ACCESS_AUDIT.c.id) < tuple_(*after)
            )
        statement = statement.order_by(
            ACCESS_AUDIT.c.accessed_at.desc(), ACCESS_AUDIT.c.id.desc()
        ).limit(limit)
        return [Access(**row._mapping) for row in await self.session.execute(statement)]


def search_query(search: str) -> str | None:
    """A tsquery matching every word typed, each as a prefix; None if nothing to search."""
    words = re.findall(r"[a-z0-9]+", fold(search))[:10]
    if not words:
        return None
    return " & ".join(f"{word}:*" for word in words)


def _search_condition(search: str) -> ColumnElement[bool]:
    reference = THREADS.c.reference.ilike(search.strip().replace("%", "").replace("_", "") + "%")
    query = search_query(search)
    if query is None:
        return reference
    return or_(
        reference,
        THREADS.c.search_vector.op("@@")(
            func.to_tsquery(literal_column(f"'{SEARCH_CONFIGURATION}'::regconfig"), query)
        ),
    )
