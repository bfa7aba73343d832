"""What follows a reply: « Je n'ai pas compris la réponse », « Demande de précisions » and
« Cette réponse vous a-t-elle aidé ? ». Rules and dates only; no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from messages.domain import calendar
from messages.domain.errors import InvalidTransition
from servicekit.clock import paris_date

#: A « relance » is due within this many working days.
RELANCE_WORKING_DAYS = 2
#: Days without an answer to a « Demande de précisions » before the reminder email.
DETAILS_REMINDER_DAYS = 10
#: Days without an answer before the thread closes.
DETAILS_CLOSING_DAYS = 30
#: The member may change their satisfaction answer for this long after the first one.
SATISFACTION_CHANGEABLE = timedelta(days=7)
SATISFACTION_COMMENT_MAX = 300


def relance_due_date(now: datetime) -> date:
    return calendar.add_working_days(paris_date(now), RELANCE_WORKING_DAYS)


def working_days_left(now: datetime, due: date) -> int:
    """What is left of the fund's due date when it is suspended (0 once passed)."""
    return calendar.working_days_between(paris_date(now), due)


def restarted_due_date(now: datetime, working_days_left: int) -> date:
    """The due date once the member answered: the working days that were left."""
    return calendar.add_working_days(paris_date(now), working_days_left)


def reminder_at(asked_at: datetime) -> datetime:
    return asked_at + timedelta(days=DETAILS_REMINDER_DAYS)


def closing_at(asked_at: datetime) -> datetime:
    return asked_at + timedelta(days=DETAILS_CLOSING_DAYS)


@dataclass(frozen=True)
class Satisfaction:
    """The member's answer to « Cette réponse vous a-t-elle aidé ? » for one reply."""

    reply_id: uuid.UUID
    thread_id: uuid.UUID
    helpful: bool
    comment: str | None
    first_answered_at: datetime
    answered_at: datetime

    @property
    def changeable_until(self) -> datetime:
        return self.first_answered_at + SATISFACTION_CHANGEABLE

    def changed(self, helpful: bool, comment: str | None, now: datetime) -> Satisfaction:
        """The same answer, changed; refused once the 7 days are over."""
        if now > self.changeable_until:
            raise InvalidTransition(
                "satisfaction-final",
                "Votre avis sur cette réponse ne peut plus être modifié : il l'est pendant "
                "7 jours après l'avoir donné.",
            )
        return Satisfaction(
            reply_id=self.reply_id,
            thread_id=self.thread_id,
            helpful=helpful,
            comment=comment,
            first_answered_at=self.first_answered_at,
            answered_at=now,
        )
