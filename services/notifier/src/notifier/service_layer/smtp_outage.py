"""The SMTP server away: sending paused, the server probed, sending resumed at once.

A refused, dropped or silent connection, a 421 or our login refused says nothing about an
email's address: every email would fail the same way. So the first such failure pauses the
whole worker instead of sending each email into its own growing backoff (a 60 s outage
used to leave the last email minutes behind the server's return): the emails in flight are
held without counting a failure, nothing more is claimed, the server is probed every 0.5 s
at first and then every second, and as soon as it answers every held email is due. A probe
is one connection and a NOOP: once a second costs the server nothing, and the backlog goes
about a second after its return (at every 5 s it waited 4 s of the 9 s a 300-email
backlog took to drain).
"""

from __future__ import annotations

import time

from prometheus_client import Gauge

from notifier.adapters.smtp import SmtpMailer
from notifier.domain.errors import ServerUnavailable
from servicekit import backoff
from servicekit.logging import get_logger

logger = get_logger(__name__)

PROBE_BASE_SECONDS = 0.5
PROBE_CAP_SECONDS = 1.0


class ServerWatch:
    def __init__(self, mailer: SmtpMailer, available: Gauge) -> None:
        self.mailer = mailer
        self.available = available
        #: Since when the server is away (monotonic), or None while it answers.
        self.away_since: float | None = None
        self._probes = 0
        self._next_probe = 0.0

    def away(self, failure: ServerUnavailable) -> None:
        """Pause sending (once per outage, however many emails in flight fail)."""
        if self.away_since is not None:
            return
        self.away_since = time.monotonic()
        self._probes = 0
        self._next_probe = self.away_since + PROBE_BASE_SECONDS
        self.available.set(0)
        logger.warning(
            "SMTP server unavailable: sending paused until it answers again",
            error=failure.reason,
        )

    async def answers(self) -> bool:
        """True while the server is known to answer; while it is away, probe it when it is
        time and say whether it is back."""
        if self.away_since is None:
            return True
        if time.monotonic() < self._next_probe:
            return False
        if await self.mailer.probe():
            logger.info(
                "SMTP server answers again: sending resumes",
                away_seconds=round(time.monotonic() - self.away_since, 1),
            )
            self.away_since = None
            self.available.set(1)
            return True
        self._probes += 1
        self._next_probe = time.monotonic() + backoff.ceiling(
            self._probes + 1, base=PROBE_BASE_SECONDS, cap=PROBE_CAP_SECONDS
        )
        return False
