"""Reading and writing the service's tables. No commit here: the unit of work commits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Select,
    delete,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from messages.adapters.orm import (
    ACCESS_AUDIT,
    CANNED_REPLIES,
    CATALOG_SNAPSHOT,
    IDEMPOTENCY_KEYS,
    MESSAGES,
    NOTES,
    OPEN_STATUSES_SQL,
    REFERENCE_COUNTERS,
    THREADS,
)
from messages.domain.commands import QueueFilter
from messages.domain.medical import fold
from messages.domain.model import OPEN_STATUSES, Message, Node, Status, Thread

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
    }


def _message(row: Record) -> Message:
    return Message(**{name: row[name] for name in Message.__dataclass_fields__})


_THREAD_COLUMNS = [column for column in THREADS.c if column.name != "search_vector"]


def search_document(*parts: str) -> Any:
    """The tsvector of some text, folded the same way as the queries."""
    return func.to_tsvector(
        literal_column(f"'{SEARCH_CONFIGURATION}'::regconfig"), fold(" ".join(parts))
    )


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status_code: int | None
    response: dict[str, Any] | None


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Catalog snapshot -------------------------------------------------------------------

    async def catalog_snapshot(self) -> Record | None:
        row = (
            await self.session.execute(
                select(CATALOG_SNAPSHOT.c.version, CATALOG_SNAPSHOT.c.payload).where(
                    CATALOG_SNAPSHOT.c.id == 1
                )
            )
        ).first()
        return row._mapping if row is not None else None

    async def catalog_version(self) -> int | None:
        version: int | None = await self.session.scalar(
            select(CATALOG_SNAPSHOT.c.version).where(CATALOG_SNAPSHOT.c.id == 1)
        )
        return version

    async def save_catalog_snapshot(
        self, *, version: int, published_at: datetime, payload: dict[str, Any]
    ) -> bool:
        """Keep this snapshot unless a newer one is held; True if it was kept."""
        inserted = insert(CATALOG_SNAPSHOT).values(
            id=1, version=version, published_at=published_at, payload=payload
        )
        statement = inserted.on_conflict_do_update(
            index_elements=[CATALOG_SNAPSHOT.c.id],
            set_={
                "version": inserted.excluded.version,
                "published_at": inserted.excluded.published_at,
                "payload": inserted.excluded.payload,
                "received_at": func.now(),
            },
            where=CATALOG_SNAPSHOT.c.version < inserted.excluded.version,
        ).returning(CATALOG_SNAPSHOT.c.version)
        return (await self.session.execute(statement)).first() is not None

    # Idempotency ----------------------------------------------------------------------

    async def claim_idempotency_key(
        self, principal_id: uuid.UUID, key: str, fingerprint: str
    ) -> StoredResponse | None:
        """Hold ``key`` for this request, or return what an earlier request with it stored.

        The insert waits for a concurrent transaction holding the same key; once that one
        has committed, its stored response is returned here."""
        inserted = (
            await self.session.execute(
                insert(IDEMPOTENCY_KEYS)
                .values(principal_id=principal_id, key=key, fingerprint=fingerprint)
                .on_conflict_do_nothing()
                .returning(IDEMPOTENCY_KEYS.c.key)
            )
        ).first()
        if inserted is not None:
            return None
        row = (
            await self.session.execute(
                select(
                    IDEMPOTENCY_KEYS.c.fingerprint,
                    IDEMPOTENCY_KEYS.c.status_code,
                    IDEMPOTENCY_KEYS.c.response,
                ).where(
                    IDEMPOTENCY_KEYS.c.principal_id == principal_id, IDEMPOTENCY_KEYS.c.key == key
                )
            )
        ).one()
        return StoredResponse(row.fingerprint, row.status_code, row.response)

    async def store_idempotent_response(
        self, principal_id: uuid.UUID, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        await self.session.execute(
            update(IDEMPOTENCY_KEYS)
            .where(IDEMPOTENCY_KEYS.c.principal_id == principal_id, IDEMPOTENCY_KEYS.c.key == key)
            .values(status_code=status_code, response=response)
        )

    async def forget_idempotency_keys(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # Threads ----------------------------------------------------------------------------

    async def next_reference_number(self, fund: str, year: int) -> int:
        inserted = insert(REFERENCE_COUNTERS).values(fund=fund, year=year, last_number=1)
        statement = inserted.on_conflict_do_update(
            index_elements=[REFERENCE_COUNTERS.c.fund, REFERENCE_COUNTERS.c.year],
            set_={"last_number": REFERENCE_COUNTERS.c.last_number + 1},
        ).returning(REFERENCE_COUNTERS.c.last_number)
        number: int = (await self.session.execute(statement)).scalar_one()
        return number

    async def add_thread(self, thread: Thread, *, search_text: str) -> None:
        await self.session.execute(
            THREADS.insert().values(
                id=thread.id,
                reference=thread.reference,
                fund=thread.fund,
                member_id=thread.member_id,
                member_given_name=thread.member_given_name,
                member_family_name=thread.member_family_name,
                theme_code=thread.theme.code,
                theme_label=thread.theme.label,
                subject_code=thread.subject.code,
                subject_label=thread.subject.label,
                motif_code=thread.motif.code,
                motif_label=thread.motif.label,
                skill=thread.skill,
                response_time_days=thread.response_time_days,
                created_at=thread.created_at,
                search_vector=search_document(
                    thread.reference,
                    thread.theme.label,
                    thread.subject.label,
                    thread.motif.label,
                    search_text,
                ),
                **_mutable_values(thread),
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
        statement = select(*_THREAD_COLUMNS).where(THREADS.c.id == thread_id)
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
        statement = select(*_THREAD_COLUMNS).where(THREADS.c.member_id == member_id)
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
        them) and without_skill (whatever the skill filter)."""
        catalog_filters = QueueFilter(
            fund=queue.fund,
            statuses=(),
            theme=queue.theme,
            subject=queue.subject,
            motif=queue.motif,
        )
        skill_filter = _skill_condition(queue)
        in_filter = skill_filter if skill_filter is not None else true()
        by_status = {
            row.status: int(row.total)
            for row in await self.session.execute(
                select(THREADS.c.status, func.count().label("total"))
                .where(*_queue_conditions(catalog_filters), in_filter)
                .group_by(THREADS.c.status)
            )
        }
        routed_to_caller = _skill_condition(
            QueueFilter(fund=queue.fund, statuses=(), skills=agent_skills, or_assigned_to=agent_id)
        )
        assert routed_to_caller is not None
        mine, unassigned, overdue, my_skills, without_skill = (
            await self.session.execute(
                select(
                    func.count().filter(in_filter, THREADS.c.assignee_id == agent_id),
                    func.count().filter(in_filter, THREADS.c.assignee_id.is_(None)),
                    func.count().filter(in_filter, THREADS.c.due_date < today),
                    func.count().filter(routed_to_caller),
                    func.count().filter(THREADS.c.skill.is_(None)),
                ).where(*_queue_conditions(catalog_filters), _OPEN)
            )
        ).one()
        counts = {status.value: by_status.get(status.value, 0) for status in Status}
        counts["open"] = sum(counts[status.value] for status in OPEN_STATUSES)
        counts["all"] = sum(by_status.values())
        counts |= {
            "mine": int(mine),
            "unassigned": int(unassigned),
            "overdue": int(overdue),
            "my_skills": int(my_skills),
            "without_skill": int(without_skill),
        }
        return counts

    # Messages, notes, audit -----------------------------------------------------------------

    async def add_message(self, message: Message) -> None:
        await self.session.execute(
            MESSAGES.insert().values(
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

    async def add_note(self, values: Record) -> None:
        await self.session.execute(NOTES.insert().values(dict(values)))

    async def notes_of(self, thread_id: uuid.UUID) -> list[Record]:
        rows = await self.session.execute(
            select(NOTES).where(NOTES.c.thread_id == thread_id).order_by(NOTES.c.created_at)
        )
        return [row._mapping for row in rows]

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
    ) -> list[Record]:
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
        return [row._mapping for row in await self.session.execute(statement)]

    # Canned replies -----------------------------------------------------------------------

    async def canned_replies(self, fund: str) -> list[Record]:
        rows = await self.session.execute(
            select(CANNED_REPLIES)
            .where(CANNED_REPLIES.c.fund == fund)
            .order_by(CANNED_REPLIES.c.title, CANNED_REPLIES.c.id)
        )
        return [row._mapping for row in rows]

    async def canned_reply(self, canned_reply_id: uuid.UUID, fund: str) -> Record | None:
        row = (
            await self.session.execute(
                select(CANNED_REPLIES).where(
                    CANNED_REPLIES.c.id == canned_reply_id, CANNED_REPLIES.c.fund == fund
                )
            )
        ).first()
        return row._mapping if row is not None else None

    async def add_canned_reply(self, values: Record) -> None:
        await self.session.execute(CANNED_REPLIES.insert().values(dict(values)))

    async def update_canned_reply(
        self, canned_reply_id: uuid.UUID, fund: str, values: Record
    ) -> bool:
        result = await self.session.execute(
            update(CANNED_REPLIES)
            .where(CANNED_REPLIES.c.id == canned_reply_id, CANNED_REPLIES.c.fund == fund)
            .values(dict(values))
            .returning(CANNED_REPLIES.c.id)
        )
        return result.first() is not None

    async def delete_canned_reply(self, canned_reply_id: uuid.UUID, fund: str) -> bool:
        result = await self.session.execute(
            delete(CANNED_REPLIES)
            .where(CANNED_REPLIES.c.id == canned_reply_id, CANNED_REPLIES.c.fund == fund)
            .returning(CANNED_REPLIES.c.id)
        )
        return result.first() is not None

    # Retention ------------------------------------------------------------------------------

    async def closed_threads_before(self, cutoff: datetime, limit: int) -> list[uuid.UUID]:
        rows = await self.session.execute(
            select(THREADS.c.id)
            .where(_CLOSED, THREADS.c.closed_at < cutoff)
            .order_by(THREADS.c.closed_at)
            .limit(limit)
        )
        return [row.id for row in rows]

    async def count_dependents(self, thread_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        counts = {}
        for name, table in (("messages", MESSAGES), ("notes", NOTES), ("audit", ACCESS_AUDIT)):
            counts[name] = int(
                await self.session.scalar(
                    select(func.count()).select_from(table).where(table.c.thread_id.in_(thread_ids))
                )
                or 0
            )
        return counts

    async def count_closed_before(self, cutoff: datetime) -> dict[str, int]:
        closed = select(THREADS.c.id).where(_CLOSED, THREADS.c.closed_at < cutoff).scalar_subquery()
        counts = {
            "threads": int(
                await self.session.scalar(
                    select(func.count()).where(_CLOSED, THREADS.c.closed_at < cutoff)
                )
                or 0
            )
        }
        for name, table in (("messages", MESSAGES), ("notes", NOTES), ("audit", ACCESS_AUDIT)):
            counts[name] = int(
                await self.session.scalar(
                    select(func.count()).select_from(table).where(table.c.thread_id.in_(closed))
                )
                or 0
            )
        return counts

    async def delete_threads(self, thread_ids: Sequence[uuid.UUID]) -> None:
        """Messages, notes and audit rows go with them (ON DELETE CASCADE)."""
        await self.session.execute(delete(THREADS).where(THREADS.c.id.in_(thread_ids)))


#: Written as in the partial index's predicate, so the planner can use that index.
_OPEN = literal_column(OPEN_STATUSES_SQL, type_=Boolean)
_CLOSED = literal_column("status = 'closed'", type_=Boolean)


def _queue_conditions(queue: QueueFilter) -> list[ColumnElement[bool]]:
    """Every condition of the queue but its skill filter."""
    conditions: list[ColumnElement[bool]] = [THREADS.c.fund == queue.fund]
    if set(queue.statuses) == set(OPEN_STATUSES):
        conditions.append(_OPEN)
    elif len(queue.statuses) == 1:
        conditions.append(THREADS.c.status == queue.statuses[0].value)
    elif queue.statuses:
        conditions.append(THREADS.c.status.in_([status.value for status in queue.statuses]))
    if queue.theme:
        conditions.append(THREADS.c.theme_code == queue.theme)
    if queue.subject:
        conditions.append(THREADS.c.subject_code == queue.subject)
    if queue.motif:
        conditions.append(THREADS.c.motif_code == queue.motif)
    if queue.assignee_id is not None:
        conditions.append(THREADS.c.assignee_id == queue.assignee_id)
    if queue.unassigned:
        conditions.append(THREADS.c.assignee_id.is_(None))
    if queue.overdue_on is not None:
        conditions.append(THREADS.c.due_date < queue.overdue_on)
    if queue.reference is not None:
        # Equality on the stored reference: read from the unique index threads_reference_key.
        conditions.append(THREADS.c.reference == queue.reference)
    return conditions


def _skill_condition(queue: QueueFilter) -> ColumnElement[bool] | None:
    """The queue's skill filter as one condition; None when it has none."""
    if queue.without_skill:
        return THREADS.c.skill.is_(None)
    if queue.skills is None:
        return None
    parts: list[ColumnElement[bool]] = []
    if queue.skills:
        parts.append(THREADS.c.skill.in_(queue.skills))
    if queue.or_assigned_to is not None:
        parts.append(THREADS.c.assignee_id == queue.or_assigned_to)
    return or_(*parts) if parts else literal_column("false", type_=Boolean)


def _queue_branches(queue: QueueFilter) -> list[list[ColumnElement[bool]]]:
    """The queue as sets of conditions, each read in due-date order from an index.

    Among open threads, several skills are one branch per skill, each read from
    ``threads_skill_open_queue_idx``, plus the threads assigned to the caller
    (``threads_assignee_open_queue_idx``; these may also be in a skill's branch). Each branch
    reads at most a page, in index order, and PostgreSQL merges them (Merge Append, then
    Unique): a page costs the same with a thousand threads or a million. Elsewhere the skill
    filter is one condition on the status indexes, read in order. A reference names one
    thread: one branch, read from the reference's unique index, the other filters checked on
    that row; another fund's reference, none."""
    if queue.reference is not None and not queue.reference.startswith(f"{queue.fund}-"):
        # Another fund's reference is never in this queue: nothing is read, so nothing (not
        # even the time of a lookup) tells whether that fund has such a thread.
        return []
    conditions = _queue_conditions(queue)
    skills = queue.skills
    open_only = set(queue.statuses) == set(OPEN_STATUSES)
    if queue.without_skill or skills is None or not open_only or queue.reference is not None:
        skill_filter = _skill_condition(queue)
        return [conditions + ([skill_filter] if skill_filter is not None else [])]
    branches = [[*conditions, THREADS.c.skill == skill] for skill in skills]
    if queue.or_assigned_to is not None:
        branches.append([*conditions, THREADS.c.assignee_id == queue.or_assigned_to])
    return branches


def queue_statement(
    queue: QueueFilter, *, after: tuple[date, uuid.UUID] | None, limit: int
) -> Select[Any] | None:
    """The query of one page of the queue, by due date then id; None if it cannot match."""
    branches = _queue_branches(queue)
    if not branches:
        return None
    keyset = (
        [tuple_(THREADS.c.due_date, THREADS.c.id) > tuple_(*after)] if after is not None else []
    )
    if len(branches) == 1:
        return (
            select(*_THREAD_COLUMNS)
            .where(*branches[0], *keyset)
            .order_by(THREADS.c.due_date, THREADS.c.id)
            .limit(limit)
        )
    # Each branch is read up to a page in its index's order; the merge keeps the first page.
    # A thread assigned to the caller may come from two branches: once is enough. The
    # union's first page is within the branches' first pages, so removing duplicates after
    # each branch's limit loses nothing.
    merged = union_all(
        *(
            select(*_THREAD_COLUMNS)
            .where(*branch, *keyset)
            .order_by(THREADS.c.due_date, THREADS.c.id)
            .limit(limit)
            for branch in branches
        )
    ).subquery("queue")
    return (
        select(merged)
        .ext(distinct_on(merged.c.due_date, merged.c.id))
        .order_by(merged.c.due_date, merged.c.id)
        .limit(limit)
    )


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
