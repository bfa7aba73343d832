"""Delivery rules: which email, how failures are read, backoff, masking, settings."""

from __future__ import annotations

import aiosmtplib
import pytest

from notifier.adapters.smtp import classify
from notifier.config import Settings
from notifier.domain.errors import PermanentFailure, ServerUnavailable, TransientFailure
from notifier.domain.model import (
    DeliveryKind,
    kind_of,
    mask_email,
    redacted,
    retry_delay,
)
from notifier.samples import sample_events

pytestmark = pytest.mark.unit


def test_each_event_asks_for_its_kind_of_email() -> None:
    for kind, event in sample_events().items():
        assert kind_of(event) is kind


def test_only_thread_notifications_are_about_a_thread() -> None:
    assert {kind for kind in DeliveryKind if kind.about_a_thread} == {
        DeliveryKind.MESSAGE_RECEIVED,
        DeliveryKind.FOLLOW_UP_RECEIVED,
        DeliveryKind.REPLY_AVAILABLE,
        DeliveryKind.RELANCE_RECEIVED,
        DeliveryKind.DETAILS_REMINDER,
        DeliveryKind.THREAD_CLOSED_UNANSWERED,
    }


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "5.1.1 Mailbox unavailable", "a@b.fr")]
            ),
            PermanentFailure,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(451, "4.3.0 Try again later", "a@b.fr")]
            ),
            TransientFailure,
        ),
        (aiosmtplib.SMTPDataError(554, "5.6.0 Message rejected"), PermanentFailure),
        (aiosmtplib.SMTPDataError(452, "4.3.1 Insufficient storage"), TransientFailure),
        (aiosmtplib.SMTPSenderRefused(553, "5.7.1 Sender refused", "x@y.fr"), PermanentFailure),
        # The server away, whatever the address: held, not counted against the email.
        (aiosmtplib.SMTPConnectError("Connection refused"), ServerUnavailable),
        (aiosmtplib.SMTPServerDisconnected("Connection lost"), ServerUnavailable),
        (aiosmtplib.SMTPConnectTimeoutError("Timed out connecting"), ServerUnavailable),
        (aiosmtplib.SMTPReadTimeoutError("Timed out reading"), ServerUnavailable),
        (ConnectionRefusedError(111, "Connection refused"), ServerUnavailable),
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad credentials"), ServerUnavailable),
        (aiosmtplib.SMTPResponseException(421, "4.3.2 Service shutting down"), ServerUnavailable),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(421, "4.7.0 Try again later", "a@b.fr")]
            ),
            ServerUnavailable,
        ),
        (aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported"), PermanentFailure),
    ],
)
def test_smtp_errors_are_read_as_the_server_away_or_this_address_refused(
    error: Exception, expected: type[Exception]
) -> None:
    failure = classify(error)
    assert type(failure) is expected


def test_the_reason_keeps_the_smtp_reply() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "5.1.1 Mailbox unavailable", "a@b.fr")]
    )
    assert classify(refused).reason == "550 5.1.1 Mailbox unavailable"


def test_the_backoff_grows_exponentially_with_full_jitter_and_a_cap() -> None:
    for failures in range(1, 12):
        delays = [retry_delay(failures, base=2.0, cap=60.0) for _ in range(200)]
        assert all(0 <= delay <= min(60.0, 2.0 * 2 ** (failures - 1)) for delay in delays)
    late = [retry_delay(10, base=2.0, cap=60.0) for _ in range(200)]
    assert max(late) > 30, "late retries spread up to the cap"
    assert min(late) < 30, "full jitter: some retry early"
    assert retry_delay(10_000, base=2.0, cap=60.0) <= 60.0


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("camille.martin@example.fr", "c************n@example.fr"),
        ("ab@example.fr", "**@example.fr"),
        ("abc@example.fr", "a*c@example.fr"),
    ],
)
def test_addresses_are_masked_for_agents(address: str, masked: str) -> None:
    assert mask_email(address) == masked


def test_one_time_secrets_are_redacted() -> None:
    event = sample_events()[DeliveryKind.PASSWORD_RESET]
    payload = redacted(event.model_dump(mode="json"))
    assert payload["reset_token"] == "[supprimé]"
    assert payload["email"] == "camille.martin@example.fr"


def test_the_smtp_server_is_read_from_the_shared_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMTP_HOST", "smtp.interne")
    monkeypatch.setenv("SMTP_PORT", "2525")
    settings = Settings()
    assert (settings.smtp_host, settings.smtp_port) == ("smtp.interne", 2525)
    monkeypatch.setenv("NOTIFIER_SMTP_HOST", "smtp.notifier")
    assert Settings().smtp_host == "smtp.notifier", "the prefixed name wins"
    monkeypatch.setenv("NOTIFIER_SMTP_PASSWORD", "secret")
    assert Settings().smtp_password is not None


def test_the_message_id_domain_defaults_to_the_senders() -> None:
    settings = Settings(mail_sender_address="ne-pas-repondre@msa.fr")
    assert settings.message_id_domain == "msa.fr"
    assert Settings(mail_domain="mail.msa.fr").message_id_domain == "mail.msa.fr"
