"""The latest published version, for the public endpoints.

Versions are immutable, so each is parsed once per process and kept. Which version is the
latest is asked of the database at most once every ``recheck_seconds`` (one indexed read):
a version published through another replica (or the ``load-reference`` command) is served
within that delay, one published through this replica at once (``forget``). Browsers and
the gateway may keep an answer 60 s anyway, so a second here changes nothing for members.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.adapters.repository import VersionRepository
from catalog.domain.versions import Version
from servicekit.clock import Clock


class LatestVersion:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        recheck_seconds: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._cached: Version | None = None
        self._checked_at: datetime | None = None
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """Ask the database again on the next request (this replica just published)."""
        self._checked_at = None

    def _fresh(self) -> bool:
        if self._cached is None or self._checked_at is None:
            return False
        elapsed = (self._clock.now() - self._checked_at).total_seconds()
        # A clock set back (elapsed < 0) counts as stale rather than fresh for that long.
        return 0 <= elapsed < self._recheck_seconds

    async def get(self) -> Version | None:
        if self._fresh():
            return self._cached
        async with self._lock:
            if self._fresh():
                return self._cached  # another request refreshed it while this one waited
            checked_at = self._clock.now()
            async with self._sessions() as session:
                versions = VersionRepository(session)
                number = await versions.latest_number()
                if number is not None and (self._cached is None or self._cached.number != number):
                    version = await versions.get(number)
                    if version is not None:
                        _ = version.index  # build the lookup index once, here
                    self._cached = version
            self._checked_at = checked_at
            return self._cached
