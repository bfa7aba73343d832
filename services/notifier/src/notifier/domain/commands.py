"""What people ask the notifier to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from notifier.domain.preferences import ChangedThrough


@dataclass(frozen=True)
class ReplayDeadLetter:
    """Try a dead-lettered email again now, after its cause was fixed."""

    delivery_id: uuid.UUID
    fund: str
    requested_by: uuid.UUID


@dataclass(frozen=True)
class ChangePreferences:
    """A member turns thread emails on or off, from their account or an email's link."""

    member_id: uuid.UUID
    thread_emails: bool
    through: ChangedThrough
