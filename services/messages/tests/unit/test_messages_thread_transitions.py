"""A thread's life (``domain/model.py``): every move it allows, and every move it refuses with
the error and the French words the person who tried reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest

from messages.domain.errors import AlreadyAssigned, InvalidTransition
from messages.domain.model import Status, Thread
from services.messages.tests.support import a_thread

pytestmark = pytest.mark.unit

LATER = datetime.fromisoformat("2026-02-04T15:00:00+00:00")
NEW_DUE = date(2026, 2, 11)
SOPHIE = (uuid.uuid4(), "Sophie BERNARD")
LUC = (uuid.uuid4(), "Luc PETIT")

NOT_CLOSED = [Status.SUBMITTED, Status.IN_PROGRESS, Status.ANSWERED]


def unassigned(status: Status) -> Thread:
    return a_thread(status)


def held_by_sophie(status: Status) -> Thread:
    return a_thread(status, assignee=SOPHIE)


def assert_refused_because_closed(
    error: pytest.ExceptionInfo[InvalidTransition], words: str
) -> None:
    assert error.value.code == "thread-closed"
    assert words in error.value.detail


# Claim ----------------------------------------------------------------------------------------


def test_claiming_a_sent_thread_takes_it_and_puts_it_in_progress() -> None:
    thread = unassigned(Status.SUBMITTED)
    thread.claim(*SOPHIE, LATER)
    assert (thread.status, thread.assignee_id, thread.assignee_name) == (
        Status.IN_PROGRESS,
        SOPHIE[0],
        SOPHIE[1],
    )
    assert thread.assigned_at == LATER


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.ANSWERED])
def test_claiming_a_thread_nobody_has_keeps_its_status(status: Status) -> None:
    thread = unassigned(status)
    thread.claim(*SOPHIE, LATER)
    assert thread.status is status
    assert thread.assignee_id == SOPHIE[0]


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_claiming_ones_own_thread_again_changes_nothing(status: Status) -> None:
    thread = held_by_sophie(status)
    assigned_at = thread.assigned_at
    thread.claim(*SOPHIE, LATER)
    assert (thread.status, thread.assignee_id, thread.assigned_at) == (
        status,
        SOPHIE[0],
        assigned_at,
    )


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_claiming_someone_elses_thread_is_refused_with_who_has_it(status: Status) -> None:
    thread = held_by_sophie(status)
    with pytest.raises(AlreadyAssigned) as refused:
        thread.claim(*LUC, LATER)
    assert refused.value.code == "already-assigned"
    assert "déjà prise en charge par Sophie BERNARD" in refused.value.detail
    assert refused.value.extensions == {"assignee": {"id": str(SOPHIE[0]), "name": SOPHIE[1]}}
    assert (thread.status, thread.assignee_id) == (status, SOPHIE[0])


@pytest.mark.parametrize("holder", [None, SOPHIE])
def test_claiming_a_closed_thread_is_refused(holder: tuple[uuid.UUID, str] | None) -> None:
    thread = a_thread(Status.CLOSED, assignee=holder)
    with pytest.raises(InvalidTransition) as refused:
        thread.claim(*LUC, LATER)
    assert_refused_because_closed(refused, "rouvrez-la avant de la prendre en charge")
    assert thread.status is Status.CLOSED


# Assign ---------------------------------------------------------------------------------------


def test_assigning_a_sent_thread_puts_it_in_progress() -> None:
    thread = unassigned(Status.SUBMITTED)
    thread.assign(*LUC, LATER)
    assert (thread.status, thread.assignee_id, thread.assignee_name, thread.assigned_at) == (
        Status.IN_PROGRESS,
        LUC[0],
        LUC[1],
        LATER,
    )


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_a_supervisor_gives_a_thread_to_another_agent_whoever_had_it(status: Status) -> None:
    thread = held_by_sophie(status)
    thread.assign(*LUC, LATER)
    assert (thread.assignee_id, thread.assignee_name, thread.assigned_at) == (
        LUC[0],
        LUC[1],
        LATER,
    )
    assert thread.status is (Status.IN_PROGRESS if status is Status.SUBMITTED else status)


@pytest.mark.parametrize("holder", [None, SOPHIE])
def test_assigning_a_closed_thread_is_refused(holder: tuple[uuid.UUID, str] | None) -> None:
    thread = a_thread(Status.CLOSED, assignee=holder)
    with pytest.raises(InvalidTransition) as refused:
        thread.assign(*LUC, LATER)
    assert_refused_because_closed(refused, "rouvrez-la avant de l'attribuer")
    assert thread.assignee_id == (holder[0] if holder else None)


# Reply ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_a_reply_answers_the_thread_and_waits_unread(status: Status) -> None:
    thread = held_by_sophie(status)
    thread.reply(*SOPHIE, LATER)
    assert thread.status is Status.ANSWERED
    assert thread.unread_replies == 1
    assert thread.last_activity_at == LATER
    thread.reply(*SOPHIE, LATER + timedelta(minutes=5))
    assert thread.unread_replies == 2


def test_a_reply_to_a_thread_nobody_has_gives_it_to_who_replies() -> None:
    thread = unassigned(Status.SUBMITTED)
    thread.reply(*LUC, LATER)
    assert (thread.status, thread.assignee_id, thread.assigned_at) == (
        Status.ANSWERED,
        LUC[0],
        LATER,
    )


def test_a_reply_by_another_agent_leaves_the_thread_with_its_holder() -> None:
    thread = held_by_sophie(Status.IN_PROGRESS)
    thread.reply(*LUC, LATER)
    assert thread.status is Status.ANSWERED
    assert thread.assignee_id == SOPHIE[0]


def test_replying_to_a_closed_thread_is_refused() -> None:
    thread = a_thread(Status.CLOSED, assignee=SOPHIE)
    with pytest.raises(InvalidTransition) as refused:
        thread.reply(*SOPHIE, LATER)
    assert_refused_because_closed(refused, "rouvrez-la pour y répondre")
    assert (thread.status, thread.unread_replies) == (Status.CLOSED, 0)


# Follow-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_a_follow_up_waits_for_the_agent_who_has_the_thread(status: Status) -> None:
    thread = held_by_sophie(status)
    thread.follow_up(LATER, NEW_DUE)
    assert (thread.status, thread.due_date, thread.last_activity_at) == (
        Status.IN_PROGRESS,
        NEW_DUE,
        LATER,
    )


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_a_follow_up_on_a_thread_nobody_has_is_sent_again(status: Status) -> None:
    thread = unassigned(status)
    thread.follow_up(LATER, NEW_DUE)
    assert (thread.status, thread.due_date) == (Status.SUBMITTED, NEW_DUE)


def test_a_follow_up_on_a_closed_thread_is_refused() -> None:
    thread = a_thread(Status.CLOSED, assignee=SOPHIE)
    due = thread.due_date
    with pytest.raises(InvalidTransition) as refused:
        thread.follow_up(LATER, NEW_DUE)
    assert_refused_because_closed(refused, "écrivez un nouveau message")
    assert (thread.status, thread.due_date) == (Status.CLOSED, due)


# Close and reopen -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_any_thread_not_closed_can_be_closed(status: Status) -> None:
    thread = held_by_sophie(status)
    thread.close(LATER)
    assert (thread.status, thread.closed_at) == (Status.CLOSED, LATER)
    assert thread.status_label == "clos"


def test_closing_a_closed_thread_is_refused() -> None:
    thread = a_thread(Status.CLOSED)
    closed_at = thread.closed_at
    with pytest.raises(InvalidTransition) as refused:
        thread.close(LATER)
    assert_refused_because_closed(refused, "déjà close")
    assert thread.closed_at == closed_at


@pytest.mark.parametrize(
    ("holder", "reopened"), [(SOPHIE, Status.IN_PROGRESS), (None, Status.SUBMITTED)]
)
def test_reopening_gives_the_thread_back_to_whoever_had_it(
    holder: tuple[uuid.UUID, str] | None, reopened: Status
) -> None:
    thread = a_thread(Status.CLOSED, assignee=holder)
    thread.reopen(LATER)
    assert (thread.status, thread.closed_at, thread.last_activity_at) == (reopened, None, LATER)
    assert thread.assignee_id == (holder[0] if holder else None)


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_reopening_a_thread_that_is_not_closed_is_refused(status: Status) -> None:
    thread = held_by_sophie(status)
    with pytest.raises(InvalidTransition) as refused:
        thread.reopen(LATER)
    assert refused.value.code == "thread-not-closed"
    assert refused.value.detail == "Cette demande n'est pas close."
    assert thread.status is status


# Reading --------------------------------------------------------------------------------------


def test_the_member_reading_the_thread_reads_every_reply() -> None:
    thread = held_by_sophie(Status.IN_PROGRESS)
    thread.reply(*SOPHIE, LATER)
    thread.reply(*SOPHIE, LATER)
    thread.read_by_member()
    assert thread.unread_replies == 0
    assert thread.status is Status.ANSWERED


@pytest.mark.parametrize("status", [*NOT_CLOSED, Status.CLOSED])
def test_an_agent_opening_the_thread_is_remembered_whatever_its_status(status: Status) -> None:
    thread = a_thread(status)
    thread.consulted_by_fund(LATER)
    assert thread.last_consulted_by_fund_at == LATER
    assert thread.status is status


def test_every_status_has_the_label_members_read() -> None:
    assert {status: a_thread(status).status_label for status in Status} == {
        Status.SUBMITTED: "envoyé",
        Status.IN_PROGRESS: "en cours de traitement",
        Status.ANSWERED: "répondu",
        Status.AWAITING_MEMBER: "en attente de votre réponse",
        Status.CLOSED: "clos",
    }
