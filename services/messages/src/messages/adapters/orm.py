"""Tables of the messages service."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
