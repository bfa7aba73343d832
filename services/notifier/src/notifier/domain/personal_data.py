"""What the notifier keeps about members, and what it lets go of: pure rules, no I/O.

The delivery log must say what became of each email without becoming a second copy of the
members' contacts: addresses in error messages are masked; once a member's account is
deleted (a tombstone on the contact topic), their deliveries keep only identifiers and dates.
"""

from __future__ import annotations

import re
from typing import Any

from notifier.domain.model import mask_email

#: An email address inside free text, such as an SMTP reply (Postfix quotes the address it
#: refuses: ``550 5.1.1 <camille.martin@example.fr>: Recipient address rejected: ...``).
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

#: Why a delivery of a member whose account was deleted will never be sent.
ACCOUNT_DELETED_EXPLANATION = (
    "Non envoyé : compte supprimé (l'adhérent a supprimé son compte, ses coordonnées ont été "
    "effacées)."
)

#: Put in place of the addresses of a member whose account was deleted.
ERASED_ADDRESS = "[adresse effacée]"

#: What a deleted member's delivery keeps of its event: the envelope, identifiers, the
#: reference of the thread and dates. Everything else goes — addresses, names, one-time
#: codes and reset tokens, the catalog choices — and so does any field added later.
KEPT_WHEN_FORGOTTEN = frozenset(
    {
        "event_id",
        "event_type",
        "occurred_at",
        "producer",
        "member_id",
        "agent_id",
        "fund",
        "thread_id",
        "message_id",
        "reply_id",
        "reference",
        "follow_up",
        "submitted_at",
        "posted_at",
        "due_date",
        "expires_at",
        "locked_until",
        "change",
        "changed_at",
    }
)


def mask_addresses(text: str | None) -> str | None:
    """``text`` with each email address in it masked as the delivery log masks recipients."""
    if text is None:
        return None
    return _ADDRESS.sub(lambda match: mask_email(match.group()), text)


def erase_addresses(text: str | None) -> str | None:
    """``text`` with each email address in it, masked or not, replaced by a placeholder."""
    if text is None:
        return None
    return _ADDRESS.sub(ERASED_ADDRESS, text)


def forgotten_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """What a deleted member's delivery keeps of its event."""
    return {name: value for name, value in payload.items() if name in KEPT_WHEN_FORGOTTEN}
