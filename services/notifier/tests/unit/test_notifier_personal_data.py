"""What the delivery log keeps about members: masked addresses in errors, identifiers only
once a member is forgotten, and for how long."""

from __future__ import annotations

import aiosmtplib
import pytest
from pydantic import ValidationError

from notifier.adapters.smtp import classify
from notifier.config import Settings
from notifier.domain.errors import TemplateFailure
from notifier.domain.personal_data import (
    ERASED_ADDRESS,
    erase_addresses,
    forgotten_payload,
    mask_addresses,
)
from notifier.samples import sample_events

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "550 5.1.1 <camille.martin@example.fr>: Recipient address rejected: User unknown",
            "550 5.1.1 <c************n@example.fr>: Recipient address rejected: User unknown",
        ),
        (
            "550 5.7.1 <jo@mail.example.org>... Relaying denied; also ann-marie+x@b.fr.",
            "550 5.7.1 <**@mail.example.org>... Relaying denied; also a*********x@b.fr.",
        ),
        (
            "451 4.3.0 Temporary failure, try again later",
            "451 4.3.0 Temporary failure, try again later",
        ),
        ("Adresse refusée : élodie@exemple.fr", "Adresse refusée : é****e@exemple.fr"),
        (None, None),
    ],
)
def test_addresses_in_text_are_masked(text: str | None, expected: str | None) -> None:
    assert mask_addresses(text) == expected
    assert mask_addresses(expected) == expected, "masking twice changes nothing"


def test_smtp_refusals_and_every_failure_mask_the_addresses_they_quote() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused(
        [
            aiosmtplib.SMTPRecipientRefused(
                550, "5.1.1 <camille.martin@example.fr>: User unknown", "camille.martin@example.fr"
            )
        ]
    )
    assert classify(refused).reason == "550 5.1.1 <c************n@example.fr>: User unknown"
    response = aiosmtplib.SMTPResponseException(452, "4.2.2 <camille@example.fr> over quota")
    assert "camille@example.fr" not in classify(response).reason
    assert "camille@example.fr" not in TemplateFailure("input_value='camille@example.fr'").reason


def test_erased_addresses_leave_no_trace_masked_or_not() -> None:
    assert erase_addresses("550 5.1.1 <c************n@example.fr>: x <camille@example.fr>") == (
        f"550 5.1.1 <{ERASED_ADDRESS}>: x <{ERASED_ADDRESS}>"
    )
    assert erase_addresses(None) is None


def test_a_forgotten_delivery_keeps_identifiers_and_dates_only() -> None:
    for kind, event in sample_events().items():
        payload = event.model_dump(mode="json")
        kept = forgotten_payload(payload)
        assert kept["event_id"] == payload["event_id"]
        account = "member_id" if "member_id" in payload else "agent_id"  # an agent's link
        assert kept[account] == payload[account]
        assert kept["occurred_at"] == payload["occurred_at"]
        for personal in ("email", "given_name", "family_name", "code", "reset_token"):
            assert personal not in kept, (kind, personal)
        if kind.about_a_thread:
            assert kept["reference"] == payload["reference"]
            assert kept["thread_id"] == payload["thread_id"]
            assert "motif" not in kept


def test_processed_event_ids_are_kept_longer_than_the_consumed_topics_keep_records() -> None:
    settings = Settings()
    assert (settings.delivery_retention_days, settings.processed_event_retention_days) == (400, 30)
    assert Settings(processed_event_retention_days=8).processed_event_retention_days == 8
    with pytest.raises(ValidationError, match="redelivered event would send its email again"):
        Settings(processed_event_retention_days=7)
