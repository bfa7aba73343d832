"""What people ask the notifier to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class ReplayDeadLetter:
    """Try a dead-lettered email again now, after its cause was fixed."""

    delivery_id: uuid.UUID
    fund: str
    requested_by: uuid.UUID
