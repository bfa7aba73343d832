"""What a member wants to receive, and the links that let them say so from an email.

Thread emails (the confirmation of a message, of a follow-up, the notice that a reply is
available) may be turned off; account-security emails (activation code, password reset,
lock warning, email-change code) may not: a member must always learn that someone is
acting on their account.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

#: Shown in the delivery log for a thread email not sent because the member turned them off.
SKIPPED_OPTED_OUT_EXPLANATION = (
    "Non envoyé : l'adhérent a choisi de ne plus recevoir les courriels de suivi de ses "
    "demandes (il peut les réactiver depuis son compte)."
)


class ChangedThrough(enum.StrEnum):
    """Where a member last changed their preferences (for support)."""

    #: The account page of the portal (``PUT /preferences``).
    ACCOUNT = "account"
    #: An unsubscribe link of an email: one-click from the mail client, or the portal's
    #: confirmation page (``POST /unsubscribe``).
    UNSUBSCRIBE_LINK = "unsubscribe_link"


@dataclass(frozen=True)
class Preferences:
    """A member's choices; a member who never chose gets thread emails."""

    thread_emails: bool = True


#: Every member's preferences until they change them.
DEFAULT_PREFERENCES = Preferences()

_TOKEN = re.compile(r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class UnsubscribeTokens:
    """The token of a member's unsubscribe links: their id and an HMAC-SHA256 of it, under a
    secret of the notifier's and a purpose, both base64url (``<22 chars>.<43 chars>``).

    It never expires (a link in an email from last year must still work) and only ever turns
    emails off, so it needs no storage: whoever holds it can do nothing else. Changing the
    secret invalidates every link already sent."""

    #: Signed with the member id, so that a MAC made for another use of the same secret can
    #: never pass for this one.
    PURPOSE = b"notifier/unsubscribe/thread-emails/v1"

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        if not key:
            raise ValueError("the unsubscribe secret is empty")
        self._key = key

    def _mac(self, member_id: uuid.UUID) -> bytes:
        return hmac.new(
            self._key, self.PURPOSE + b"\x00" + member_id.bytes, hashlib.sha256
        ).digest()

    def issue(self, member_id: uuid.UUID) -> str:
        return f"{_base64url(member_id.bytes)}.{_base64url(self._mac(member_id))}"

    def verify(self, token: str) -> uuid.UUID | None:
        """The member the token was issued for, or None for anything else."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        member_id = uuid.UUID(bytes=base64.urlsafe_b64decode(match.group(1) + "=="))
        # Compared as whole strings: a non-canonical encoding of the right MAC is refused too.
        expected = self.issue(member_id).encode("ascii")
        return member_id if hmac.compare_digest(token.encode("ascii"), expected) else None
