"""The agents' queue as SQL: its conditions and the statement of one page, read in index order."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Select, Table, literal_column, or_, select, tuple_, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from messages.adapters.orm import OPEN_STATUSES_SQL, THREADS
from messages.domain.commands import QueueFilter
from messages.domain.model import OPEN_STATUSES

#: Every column of a thread but its search vector: what a Thread is read from.
THREAD_COLUMNS = [column for column in THREADS.c if column.name != "search_vector"]

#: Written as in the partial index's predicate, so the planner can use that index.
OPEN = literal_column(OPEN_STATUSES_SQL, type_=Boolean)


def queue_conditions(queue: QueueFilter) -> list[ColumnElement[bool]]:
    """Every condition of the queue but its skill filter."""
    conditions: list[ColumnElement[bool]] = [THREADS.c.fund == queue.fund]
    if set(queue.statuses) == set(OPEN_STATUSES):
        conditions.append(OPEN)
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
    if queue.relance is not None:
        conditions.append(THREADS.c.relance.is_(queue.relance))
    if queue.reference is not None:
        # Equality on the stored reference: read from the unique index threads_reference_key.
        conditions.append(THREADS.c.reference == queue.reference)
    return conditions


def skill_condition(queue: QueueFilter, table: Table = THREADS) -> ColumnElement[bool] | None:
    """The queue's skill filter as one condition on ``table``'s ``skill`` and
    ``assignee_id`` (threads, or their counts); None when it has none."""
    if queue.without_skill:
        return table.c.skill.is_(None)
    if queue.skills is None:
        return None
    parts: list[ColumnElement[bool]] = []
    if queue.skills:
        parts.append(table.c.skill.in_(queue.skills))
    if queue.or_assigned_to is not None:
        parts.append(table.c.assignee_id == queue.or_assigned_to)
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
    conditions = queue_conditions(queue)
    skills = queue.skills
    open_only = set(queue.statuses) == set(OPEN_STATUSES)
    if queue.without_skill or skills is None or not open_only or queue.reference is not None:
        skill_filter = skill_condition(queue)
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
            select(*THREAD_COLUMNS)
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
            select(*THREAD_COLUMNS)
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
