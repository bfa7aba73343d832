"""Why a delivery did not go out, what the notifier refuses to do, and why.

Errors carry no HTTP status: the HTTP API maps the ``NotifierError``s to problem types in one
table (``entrypoints/http/errors.py``).
"""

from __future__ import annotations

from notifier.domain.personal_data import mask_addresses


class DeliveryFailure(Exception):
    """An email was not accepted. ``reason`` is for the people reading the delivery log and
    the dead letters: the email addresses in it are masked (SMTP servers quote the address
    they refuse), so an agent never reads there an address they could write to."""

    def __init__(self, reason: str) -> None:
        reason = mask_addresses(reason) or ""
        super().__init__(reason)
        self.reason = reason[:2000]


class TransientFailure(DeliveryFailure):
    """Worth trying again later: 4xx, connection refused, timeout."""


class ServerUnavailable(TransientFailure):
    """The SMTP server itself is away (connection refused or dropped, no answer, 421, our
    login refused): no email can go until it is back, whatever its address. The worker
    holds every delivery without counting a failure, and probes the server until it answers."""


class PermanentFailure(DeliveryFailure):
    """Trying again will not help until someone fixes the cause: 5xx, invalid address,
    a template that cannot be rendered."""


class TemplateFailure(PermanentFailure):
    """The email could not be rendered: a template (or the event it reads) is at fault."""


class NotifierError(Exception):
    """A request the notifier refuses."""


class DeliveryNotFound(NotifierError, LookupError):
    """No such dead letter in the caller's fund."""


class MemberForgotten(NotifierError):
    """The delivery's member deleted their account: it can never be sent."""


class UnsubscribeLinkNotFound(NotifierError):
    """The token of an unsubscribe link is not one the notifier signed."""


class DeliveryFilterInvalid(NotifierError):
    """The delivery log is read for one thread or one member: exactly one of them."""


class InvalidCursor(NotifierError):
    """A page cursor the notifier did not hand out."""
