"""The delivery log as each role reads it, its cursors, and the one table of refusals."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from notifier.domain.commands import (
    ChangePreferences,
    GetPreferences,
    ListDeadLetters,
    ListDeliveries,
    OpenUnsubscribeLink,
    PurgeExpired,
    ReplayDeadLetter,
    Unsubscribe,
)
from notifier.domain.delivery_log import decode_cursor, encode_cursor, seen_by
from notifier.domain.errors import (
    DeliveryFilterInvalid,
    DeliveryNotFound,
    InvalidCursor,
    MemberForgotten,
    NotifierError,
    UnsubscribeLinkNotFound,
)
from notifier.domain.model import Delivery, DeliveryKind, DeliveryStatus
from notifier.entrypoints.http.errors import problem_for
from notifier.entrypoints.http.schemas import DeliveryPublic
from notifier.service_layer.handlers import HANDLERS
from servicekit.bus import bootstrap

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def delivery(status: DeliveryStatus = DeliveryStatus.PENDING) -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        kind=DeliveryKind.REPLY_AVAILABLE,
        status=status,
        fund="NPC",
        member_id=uuid.uuid4(),
        thread_id=uuid.uuid4(),
        reference="NPC-2026-000123",
        payload={},
        recipient="camille.martin@example.fr",
        message_id="<x.reply_available@msa.example>",
        attempts=1,
        failures=1,
        last_error="450 4.2.0 <camille.martin@example.fr>: Greylisted",
        created_at=NOW,
        next_attempt_at=NOW,
        wait_until=None,
        claimed_at=None,
        sent_at=None,
        dead_at=None,
        replayed_at=None,
    )


@pytest.mark.parametrize("role", ["agent", "supervisor", None])
def test_agents_and_supervisors_read_the_recipient_masked(role: str | None) -> None:
    seen = seen_by(delivery(), role)
    assert seen.recipient == "c************n@example.fr"
    assert seen.last_error == "450 4.2.0 <c************n@example.fr>: Greylisted"


def test_admins_read_the_recipient_whole_but_never_the_addresses_in_errors() -> None:
    seen = seen_by(delivery(), "admin")
    assert seen.recipient == "camille.martin@example.fr"
    assert seen.last_error == "450 4.2.0 <c************n@example.fr>: Greylisted"


def test_when_it_is_tried_next_is_told_while_it_is_pending_only() -> None:
    assert seen_by(delivery(DeliveryStatus.PENDING), "agent").next_attempt_at == NOW
    assert seen_by(delivery(DeliveryStatus.SENDING), "agent").next_attempt_at is None


def test_the_response_model_reads_a_delivery_as_it_is() -> None:
    seen = seen_by(replace(delivery(), recipient=None), "agent")
    public = DeliveryPublic.model_validate(seen)
    assert public.recipient is None
    assert public.kind is DeliveryKind.REPLY_AVAILABLE
    assert public.id == seen.id


def test_a_cursor_gives_back_its_position_and_a_forged_one_is_refused() -> None:
    position = (NOW, uuid.uuid4())
    assert decode_cursor(encode_cursor(position)) == position
    assert decode_cursor(None) is None
    assert encode_cursor(None) is None
    for forged in ("not-a-cursor", encode_cursor((NOW.replace(tzinfo=None), uuid.uuid4()))):
        with pytest.raises(InvalidCursor):
            decode_cursor(forged)


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (DeliveryNotFound(), 404, "dead-letter-not-found"),
        (MemberForgotten(), 409, "member-account-deleted"),
        (UnsubscribeLinkNotFound(), 404, "unsubscribe-link-not-found"),
        (DeliveryFilterInvalid(), 422, "deliveries-filter"),
        (InvalidCursor(), 422, "invalid-cursor"),
    ],
)
def test_each_refusal_has_its_problem_type(error: NotifierError, status: int, slug: str) -> None:
    problem = problem_for(error)
    assert (problem.status, problem.slug) == (status, slug)
    assert problem.detail


def test_every_handler_is_bound_with_what_create_app_gives() -> None:
    bus = bootstrap(
        HANDLERS, uow=object(), clock=object(), settings=object(), unsubscribe_tokens=object()
    )
    for command in (
        ListDeliveries,
        ListDeadLetters,
        ReplayDeadLetter,
        GetPreferences,
        ChangePreferences,
        Unsubscribe,
        OpenUnsubscribeLink,
        PurgeExpired,
    ):
        assert bus.handles(command), command.__name__
