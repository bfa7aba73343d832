"""The latest published version, for the public endpoints.

Versions are immutable, so each is parsed once per process and kept; each request only asks
the database which version is the latest (one indexed read), so every replica serves a new
version as soon as it is committed.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.adapters.repository import VersionRepository
from catalog.domain.model import Version


class LatestVersion:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cached: Version | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Version | None:
        async with self._sessions() as session:
            versions = VersionRepository(session)
            number = await versions.latest_number()
            if number is None:
                return None
            cached = self._cached
            if cached is not None and cached.number == number:
                return cached
            async with self._lock:
                if self._cached is None or self._cached.number != number:
                    version = await versions.get(number)
                    if version is not None:
                        # Touch the index now, outside any request's hot path later.
                        _ = version.catalog
                    self._cached = version
                return self._cached
