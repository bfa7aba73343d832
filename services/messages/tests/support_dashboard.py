"""A known set of events for the dashboard's tests, and the figures they must give.

Two ISO weeks of 2025 (3 to 16 March, Europe/Paris), far from the dates other tests use, so
the same topics and database can hold theirs. Imported as
``from services.messages.tests.support_dashboard import ...``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from contracts import Event
from contracts.events.common import CatalogNode
from contracts.events.messages import (
    DetailsProvided,
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    SatisfactionGiven,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)

PARIS = ZoneInfo("Europe/Paris")
FAMILLE = CatalogNode(code="famille", label="Famille, Allocations familiales, aides au logement")
SANTE = CatalogNode(code="sante", label="Santé, Carte Vitale, remboursements, CMU, invalidité...")
SUBJECT = CatalogNode(code="sujet", label="Un sujet")
MOTIF = CatalogNode(code="motif", label="Un motif")

NAMES = "ABCDEFGHIJ"
AGENT = uuid.UUID("5c1e7a52-3f0b-4d8e-9a41-0d6c2b7e9f13")

#: The period of the known events: the weeks of 3 and 10 March 2025.
FIRST_DAY = date(2025, 3, 3)
LAST_DAY = date(2025, 3, 16)


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=PARIS)


@dataclass
class KnownEvents:
    """Threads A to F and H to J of fund ``fund`` and thread G of ``other_fund``, as their
    events. H, I and J were sent in February and never answered: an agent closed H, closed
    then reopened I (the reopening published first: the order must not matter), and closes
    J after the period."""

    fund: str = "NPC"
    other_fund: str = "ADN"
    threads: dict[str, uuid.UUID] = field(default_factory=dict)
    replies: dict[str, uuid.UUID] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in NAMES:
            self.threads[name] = uuid.uuid4()
            self.replies[name] = uuid.uuid4()
        self.sent("A", FAMILLE, paris(3, 10), due=date(2025, 3, 10))
        self.sent("B", SANTE, paris(3, 11), due=date(2025, 3, 6))
        self.sent("C", FAMILLE, paris(7, 23, 30), due=date(2025, 3, 14))
        self.sent("D", FAMILLE, paris(4, 9), due=date(2025, 3, 11))
        self.sent("E", SANTE, paris(10, 9, month=2), due=date(2025, 2, 13))
        self.sent("F", FAMILLE, paris(5, 9), due=date(2025, 3, 12))
        self.sent("G", FAMILLE, paris(4, 15), due=date(2025, 3, 11), fund=self.other_fund)
        self.sent("H", SANTE, paris(11, 10, month=2), due=date(2025, 2, 18))
        self.sent("I", FAMILLE, paris(12, 10, month=2), due=date(2025, 2, 19))
        self.sent("J", FAMILLE, paris(13, 10, month=2), due=date(2025, 2, 20))
        self.events.append(self.closed("H", paris(6, 9)))
        self.events.append(self.reopened("I", paris(12, 9)))
        self.events.append(self.closed("I", paris(5, 9)))
        self.events.append(self.closed("J", paris(17, 9)))
        # A reply may come before its thread's MessageSubmitted (two topics): C's does.
        self.events.insert(0, self.reply("C", FAMILLE, paris(10, 8)))
        self.events.append(self.reply("A", FAMILLE, paris(5, 16)))
        self.events.append(self.reply("A", FAMILLE, paris(6, 9)))  # a second reply: not first
        self.events.append(self.reply("B", SANTE, paris(10, 14)))
        self.events.append(self.reply("G", FAMILLE, paris(4, 16), fund=self.other_fund))
        self.events.append(self.follow_up("B", SANTE, paris(10, 15)))
        self.events.append(
            ThreadClosedUnanswered.new(
                producer="messages",
                thread_id=self.threads["F"],
                reference="NPC-2025-000006",
                member_id=uuid.uuid4(),
                fund=self.fund,
                closed_at=paris(6, 9),
            )
        )
        self.events.append(
            ReplyNotUnderstood.new(
                producer="messages",
                thread_id=self.threads["B"],
                reference="NPC-2025-000002",
                member_id=uuid.uuid4(),
                fund=self.fund,
                theme=SANTE,
                subject=SUBJECT,
                motif=MOTIF,
                reply_id=self.replies["B"],
                due_date=date(2025, 3, 13),
                occurred_at=paris(11, 10),
            )
        )
        self.events.append(self.satisfaction("A", FAMILLE, True, paris(6, 10), changed=False))
        self.events.append(self.satisfaction("A", FAMILLE, False, paris(12, 10), changed=True))
        self.events.append(self.satisfaction("C", FAMILLE, True, paris(11, 18), changed=False))
        self.events.append(
            DetailsProvided.new(
                producer="messages",
                thread_id=self.threads["D"],
                reference="NPC-2025-000004",
                member_id=uuid.uuid4(),
                fund=self.fund,
                message_id=uuid.uuid4(),
                provided_at=paris(5, 11),
                due_date=date(2025, 3, 12),
            )
        )

    def sent(
        self, name: str, theme: CatalogNode, at: datetime, *, due: date, fund: str | None = None
    ) -> None:
        self.events.append(
            MessageSubmitted.new(
                producer="messages",
                thread_id=self.threads[name],
                message_id=uuid.uuid4(),
                reference=f"{fund or self.fund}-2025-{NAMES.index(name) + 1:06d}",
                member_id=uuid.uuid4(),
                fund=fund or self.fund,
                theme=theme,
                subject=SUBJECT,
                motif=MOTIF,
                submitted_at=at,
                due_date=due,
                follow_up=False,
                occurred_at=at,
            )
        )

    def follow_up(self, name: str, theme: CatalogNode, at: datetime) -> MessageSubmitted:
        """A follow-up in an existing thread: not a message received."""
        return MessageSubmitted.new(
            producer="messages",
            thread_id=self.threads[name],
            message_id=uuid.uuid4(),
            reference=f"{self.fund}-2025-{NAMES.index(name) + 1:06d}",
            member_id=uuid.uuid4(),
            fund=self.fund,
            theme=theme,
            subject=SUBJECT,
            motif=MOTIF,
            submitted_at=at,
            due_date=date(2025, 3, 13),
            follow_up=True,
            occurred_at=at,
        )

    def reply(
        self, name: str, theme: CatalogNode, at: datetime, *, fund: str | None = None
    ) -> ReplyPosted:
        return ReplyPosted.new(
            producer="messages",
            thread_id=self.threads[name],
            reply_id=uuid.uuid4(),
            reference=f"{fund or self.fund}-2025-{NAMES.index(name) + 1:06d}",
            member_id=uuid.uuid4(),
            fund=fund or self.fund,
            theme=theme,
            subject=SUBJECT,
            motif=MOTIF,
            posted_at=at,
            occurred_at=at,
        )

    def _by_an_agent(self, name: str, at: datetime) -> dict[str, Any]:
        """What a closing or a reopening of thread ``name`` by an agent says besides when."""
        return {
            "producer": "messages",
            "thread_id": self.threads[name],
            "reference": f"{self.fund}-2025-{NAMES.index(name) + 1:06d}",
            "member_id": uuid.uuid4(),
            "fund": self.fund,
            "agent_id": AGENT,
            "occurred_at": at,
        }

    def closed(self, name: str, at: datetime) -> ThreadClosed:
        """An agent closes the thread (answered or not)."""
        return ThreadClosed.new(**self._by_an_agent(name, at), closed_at=at)

    def reopened(self, name: str, at: datetime) -> ThreadReopened:
        return ThreadReopened.new(
            **self._by_an_agent(name, at), reopened_at=at, due_date=date(2025, 3, 14)
        )

    def satisfaction(
        self, name: str, theme: CatalogNode, helpful: bool, at: datetime, *, changed: bool
    ) -> SatisfactionGiven:
        return SatisfactionGiven.new(
            producer="messages",
            thread_id=self.threads[name],
            reference=f"{self.fund}-2025-{NAMES.index(name) + 1:06d}",
            fund=self.fund,
            theme=theme,
            subject=SUBJECT,
            motif=MOTIF,
            reply_id=self.replies[name],
            helpful=helpful,
            has_comment=False,
            answered_at=at,
            changed=changed,
            occurred_at=at,
        )


#: What the events of ``fund`` give for the weeks of 3 and 10 March 2025, every theme added
#: up (A: 2 working days, on time; B: 5, late; C sent Friday 23:30, answered Monday: 1).
EXPECTED_WEEKS = {
    "2025-S10": {
        "received": 5,
        "answered": 1,
        "median_working_days": 2.0,
        "p90_working_days": 2,
        "answered_on_time_share": 1.0,
        "relances": 0,
        "satisfaction_answers": 0,
        "satisfaction_yes_share": None,
    },
    "2025-S11": {
        "received": 0,
        "answered": 2,
        "median_working_days": 3.0,
        "p90_working_days": 5,
        "answered_on_time_share": 0.5,
        "relances": 1,
        "satisfaction_answers": 2,
        "satisfaction_yes_share": 0.5,
    },
}
EXPECTED_TOTAL = {
    "received": 5,
    "answered": 3,
    "median_working_days": 2.0,
    "p90_working_days": 5,
    "answered_on_time_share": 0.6667,
    "relances": 1,
    "satisfaction_answers": 2,
    "satisfaction_yes_share": 0.5,
}
#: Still waiting on Sunday 16 March: D (sent 4 March: 8 working days), E (sent 10 February),
#: I (reopened on the 12th) and J (closed only on the 17th); not H (closed on the 6th), nor F
#: (closed by the 30-day rule).
EXPECTED_BACKLOG = [0, 0, 1, 3]
#: Still waiting on Sunday 9 March, the end of the first week: C (sent Friday 7th at 23:30),
#: B and D (3 working days), E and J; not I (closed on the 5th, reopened on the 12th).
EXPECTED_BACKLOG_FIRST_WEEK = [1, 2, 0, 2]
