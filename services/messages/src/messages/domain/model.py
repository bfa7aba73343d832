"""The domain's vocabulary: statuses, references, placeholders of canned replies."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from messages.domain.errors import AlreadyAssigned, InvalidText, InvalidTransition


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    #: A reply asked the member for details (« Demande de précisions »): the fund's due date
    #: is suspended until they answer.
    AWAITING_MEMBER = "awaiting_member"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """What the member and the agents read."""
        return STATUS_LABELS[self]


STATUS_LABELS: Mapping[Status, str] = {
    Status.SUBMITTED: "envoyé",
    Status.IN_PROGRESS: "en cours de traitement",
    Status.ANSWERED: "répondu",
    Status.AWAITING_MEMBER: "en attente de votre réponse",
    Status.CLOSED: "clos",
}

#: Statuses of threads still waiting for the fund.
OPEN_STATUSES: tuple[Status, ...] = (Status.SUBMITTED, Status.IN_PROGRESS)


def reopened_status(assignee_present: bool) -> Status:
    """The status of a thread that needs the fund again (follow-up, reopening)."""
    return Status.IN_PROGRESS if assignee_present else Status.SUBMITTED


def format_reference(fund: str, year: int, number: int) -> str:
    """``NPC-2026-000123``: fund, year of sending (Europe/Paris), counter of that fund and year."""
    return f"{fund}-{year:04d}-{number:06d}"


#: Placeholders a canned reply may use, and what each becomes.
PLACEHOLDERS: Mapping[str, str] = {
    "prenom": "prénom de l'adhérent",
    "nom": "nom de l'adhérent",
    "reference": "référence de la demande",
    "caisse": "nom de la caisse",
    "conseiller": "prénom et nom du conseiller qui répond",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(template: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})


def check_placeholders(template: str) -> None:
    unknown = unknown_placeholders(template)
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise InvalidText(
            "unknown-placeholders",
            f"Ces champs à remplacer sont inconnus : {', '.join('{' + n + '}' for n in unknown)}. "
            f"Utilisez uniquement {known}.",
        )


@dataclass(frozen=True)
class PlaceholderValues:
    prenom: str
    nom: str
    reference: str
    caisse: str
    conseiller: str


def render_canned_reply(template: str, values: PlaceholderValues) -> str:
    """Replace each known ``{placeholder}``; anything else is left as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PLACEHOLDERS:
            return str(getattr(values, name))
        return match.group(0)

    return _PLACEHOLDER.sub(replace, template)


@dataclass(frozen=True)
class Node:
    """A theme, subject or motif as the member chose it: code and label, kept as they were."""

    code: str
    label: str


@dataclass
class Thread:
    """One conversation between a member and their fund."""

    id: uuid.UUID
    reference: str
    fund: str
    member_id: uuid.UUID
    member_given_name: str
    member_family_name: str
    theme: Node
    subject: Node
    motif: Node
    skill: str | None  # the motif's when sent; None if it could not be known (older threads)
    response_time_days: int
    status: Status
    created_at: datetime
    last_activity_at: datetime
    due_date: date
    assignee_id: uuid.UUID | None = None
    assignee_name: str | None = None
    assigned_at: datetime | None = None
    closed_at: datetime | None = None
    unread_replies: int = 0
    last_consulted_by_fund_at: datetime | None = None
    #: The member did not understand a reply: on top of the fund's queue until answered.
    relance: bool = False
    #: « Demande de précisions »: since when the member is asked, and how many working days
    #: were left on the due date when it was suspended.
    awaiting_member_since: datetime | None = None
    suspended_working_days: int | None = None
    details_reminded_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return self.status.label

    def _refuse_if_closed(self, detail: str) -> None:
        if self.status is Status.CLOSED:
            raise InvalidTransition("thread-closed", detail)

    def claim(self, agent_id: uuid.UUID, agent_name: str, now: datetime) -> None:
        """The agent takes the thread; someone else's thread cannot be taken (409)."""
        self._refuse_if_closed(
            "Cette demande est close : rouvrez-la avant de la prendre en charge."
        )
        if self.assignee_id is not None and self.assignee_id != agent_id:
            raise AlreadyAssigned(
                "already-assigned",
                f"Cette demande est déjà prise en charge par {self.assignee_name or 'un conseiller'}.",
                assignee={"id": str(self.assignee_id), "name": self.assignee_name},
            )
        if self.assignee_id is None:
            self._assign(agent_id, agent_name, now)

    def assign(self, agent_id: uuid.UUID, agent_name: str, now: datetime) -> None:
        """A supervisor gives the thread to an agent, whoever had it."""
        self._refuse_if_closed("Cette demande est close : rouvrez-la avant de l'attribuer.")
        self._assign(agent_id, agent_name, now)

    def _assign(self, agent_id: uuid.UUID, agent_name: str, now: datetime) -> None:
        self.assignee_id = agent_id
        self.assignee_name = agent_name
        self.assigned_at = now
        if self.status is Status.SUBMITTED:
            self.status = Status.IN_PROGRESS

    def reply(self, agent_id: uuid.UUID, agent_name: str, now: datetime) -> None:
        self._refuse_if_closed("Cette demande est close : rouvrez-la pour y répondre.")
        if self.assignee_id is None:
            self._assign(agent_id, agent_name, now)
        self.status = Status.ANSWERED
        self.relance = False
        self._end_suspension()
        self.unread_replies += 1
        self.last_activity_at = now

    def ask_for_details(self, now: datetime, working_days_left: int) -> None:
        """The reply just posted asks the member for details: the thread waits for them and
        the due date is suspended with ``working_days_left``."""
        self.status = Status.AWAITING_MEMBER
        self.awaiting_member_since = now
        self.suspended_working_days = working_days_left
        self.details_reminded_at = None

    def _end_suspension(self) -> None:
        self.awaiting_member_since = None
        self.suspended_working_days = None
        self.details_reminded_at = None

    def not_understood(
        self, now: datetime, due: date, agent_id: uuid.UUID | None, agent_name: str | None
    ) -> None:
        """« Je n'ai pas compris la réponse »: the thread needs the fund again, first in its
        queue, with the agent who answered first and a short due date."""
        self._refuse_if_closed(
            "Cette demande est close : pour une nouvelle question, écrivez un nouveau message."
        )
        if self.relance and self.status in OPEN_STATUSES:
            raise InvalidTransition(
                "already-relance",
                "Votre demande d'explications a déjà été transmise : un conseiller va vous "
                "répondre.",
            )
        if agent_id is not None:
            self.assignee_id = agent_id
            self.assignee_name = agent_name
            self.assigned_at = now
        self.status = reopened_status(self.assignee_id is not None)
        self.relance = True
        self._end_suspension()
        self.due_date = due
        self.last_activity_at = now

    def close_unanswered(self, now: datetime) -> None:
        """Thirty days after a « Demande de précisions » without an answer."""
        self.status = Status.CLOSED
        self.closed_at = now
        self._end_suspension()

    def follow_up(self, now: datetime, due: date) -> None:
        """The member writes again: the thread waits for the fund again, with a new due date."""
        self._refuse_if_closed(
            "Cette demande est close : pour une nouvelle question, écrivez un nouveau message."
        )
        self.status = reopened_status(self.assignee_id is not None)
        self._end_suspension()
        self.due_date = due
        self.last_activity_at = now

    def close(self, now: datetime) -> None:
        self._refuse_if_closed("Cette demande est déjà close.")
        self.status = Status.CLOSED
        self.closed_at = now
        self.relance = False
        self._end_suspension()

    def reopen(self, now: datetime) -> None:
        if self.status is not Status.CLOSED:
            raise InvalidTransition("thread-not-closed", "Cette demande n'est pas close.")
        self.status = reopened_status(self.assignee_id is not None)
        self.closed_at = None
        self.last_activity_at = now

    def read_by_member(self) -> None:
        self.unread_replies = 0

    def consulted_by_fund(self, now: datetime) -> None:
        self.last_consulted_by_fund_at = now


@dataclass(frozen=True)
class Message:
    """What the member wrote (``author_kind`` "member") or an agent's reply ("agent")."""

    id: uuid.UUID
    thread_id: uuid.UUID
    author_kind: str
    author_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime
    follow_up: bool = False
    canned_reply_id: uuid.UUID | None = None
    read_at: datetime | None = None
    #: The member's messages: SHA-256 of their canonical form (``domain/receipts.py``),
    #: printed on the proof of deposit. None for replies.
    deposit_sha256: str | None = None
    #: Replies: marked « Demande de précisions » (information or a document needed).
    asks_for_details: bool = False
    #: Replies: when the member said « Je n'ai pas compris la réponse ».
    not_understood_at: datetime | None = None


@dataclass(frozen=True)
class Note:
    """An agent's internal note on a thread: for the fund only, never shown to the member."""

    id: uuid.UUID
    thread_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Access:
    """An agent opened a thread (the access audit)."""

    id: int
    thread_id: uuid.UUID
    reference: str
    agent_id: uuid.UUID
    agent_name: str
    accessed_at: datetime


@dataclass(frozen=True)
class CannedReply:
    """A fund's reply template; ``body`` may hold ``PLACEHOLDERS``."""

    id: uuid.UUID
    fund: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    updated_by_id: uuid.UUID | None
    updated_by_name: str | None


@dataclass(frozen=True)
class DirectoryAgent:
    """An agent as the directory of agents (``auth.agents.v1``) lists them: who a supervisor
    may give a thread to, under the name and skills the auth service holds."""

    id: uuid.UUID
    fund: str
    given_name: str
    family_name: str
    role: str
    skills: tuple[str, ...]
    active: bool

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()
