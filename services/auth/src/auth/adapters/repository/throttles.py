"""Brute-force and request counters, one locked row per key (``servicekit.throttling``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import LOGIN_THROTTLES
from servicekit.throttling import ThrottleRepository as CounterRepository


class ThrottleRepository(CounterRepository):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, LOGIN_THROTTLES)
