"""Load shedding: past what a service can take, a quick 503 rather than a long wait.

A service answers at the rate its database pool and its event loop allow. Requests that
arrive faster than that used to queue for a pooled connection until the pool timeout, then
fail: every member waited, and the slowest were answered after many seconds. Here at most
``max_requests_in_flight`` requests are being served at once. One more waits its turn in
a short line, in order of arrival: at most ``max_requests_queued`` of them, each for at most
``max_queue_wait_seconds``. Past either, it is answered ``503`` (problem+json,
``Retry-After``) before any route runs, so nothing is stored and the request can be sent
again as it was, with the same ``Idempotency-Key``.

The line is for the moments a busy service stops for a fraction of a second (a full
garbage collection, a slow fsync, a broker's leader moving): without it, every request
arriving in such a moment was answered 503 although the service caught up a moment later.
Past capacity the line stays full and sheds as before, after at most a second. The wait
counts as the request's database time (``servicekit.deadlines``): waiting for a place is
waiting for the database's capacity, and the request is still answered within that time.

A request counts until its answer starts: a file being downloaded (a streamed answer) no
longer holds a place once its headers are sent. The limit is about the database pool's
size: more requests at once than connections only made them wait for one, and each waited
longer as the queue grew.

Liveness, readiness and metrics are never shed nor queued: an orchestrator must still see a
busy service as alive and ready.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.deadlines import counted
from servicekit.guard import send_problem, service_path
from servicekit.logging import get_logger
from servicekit.problems import Problem

logger = get_logger("http")

#: Seconds a shed client is asked to wait: the queue that made it shed drains in less.
SHED_RETRY_AFTER_SECONDS = 1

#: Paths served whatever the load.
_NEVER_SHED = frozenset({"/healthz", "/readyz", "/metrics"})


def overloaded() -> Problem:
    return Problem(
        503,
        "overloaded",
        "Le service reçoit trop de demandes en ce moment : rien n'a été enregistré, "
        "renvoyez la même demande dans quelques instants.",
        headers={"Retry-After": str(SHED_RETRY_AFTER_SECONDS)},
    )


class Places:
    """``limit`` places, taken in order of arrival by at most ``queued`` waiting at once, each
    for at most ``wait`` seconds. A place given up is handed straight to the first waiter."""

    def __init__(
        self, *, limit: int, queued: int, wait: float, on_join: Callable[[], None] = lambda: None
    ) -> None:
        self.limit = limit
        self.queued = queued
        self.wait = wait
        self._on_join = on_join
        self.taken = 0
        self._waiters: collections.deque[asyncio.Future[bool]] = collections.deque()

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())

    async def take(self) -> bool:
        """True with a place (give it back with ``give_back``); False when there is none to
        be had within the line's limits."""
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()  # gave up waiting
        # A place given back goes to a waiter first: with someone waiting, none is free.
        if self.taken < self.limit:
            self.taken += 1
            return True
        if self.waiting >= self.queued:
            return False
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(turn)
        self._on_join()
        expiry = loop.call_later(self.wait, _expire, turn)
        try:
            return await turn
        except asyncio.CancelledError:
            # Cancelled (the client left, the server stops) just as the place was handed over.
            if turn.done() and not turn.cancelled() and turn.result():
                self.give_back()
            raise
        finally:
            expiry.cancel()

    def give_back(self) -> None:
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(True)  # the place goes to it: as many taken as before
                return
        self.taken -= 1


def _expire(turn: asyncio.Future[bool]) -> None:
    """Its time in the line is up: no place for it (unless it was just given one)."""
    if not turn.done():
        turn.set_result(False)


class LoadSheddingMiddleware:
    """At most ``limit`` HTTP requests served at once, a short line behind them, the others
    answered 503 at once."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queued: int,
        wait: float,
        registry: CollectorRegistry,
    ) -> None:
        self.app = app
        self.shed = Counter(
            "http_requests_shed",
            "Requests answered 503 because too many were served or waiting at once",
            registry=registry,
        )
        waited = Counter(
            "http_requests_queued",
            "Requests that waited in the line for a place, then were served or shed",
            registry=registry,
        )
        self.places = Places(limit=limit, queued=queued, wait=wait, on_join=waited.inc)
        Gauge("http_requests_in_flight", "Requests being served", registry=registry).set_function(
            lambda: self.places.taken
        )
        Gauge(
            "http_requests_waiting", "Requests waiting for a place", registry=registry
        ).set_function(lambda: self.places.waiting)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or service_path(scope) in _NEVER_SHED:
            await self.app(scope, receive, send)
            return
        places = self.places
        with counted():
            placed = await places.take()
        if not placed:
            self.shed.inc()
            await send_problem(send, overloaded(), scope)
            return
        holding = True

        async def send_and_release(message: Message) -> None:
            nonlocal holding
            if holding and message["type"] == "http.response.start":
                holding = False
                places.give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            if holding:
                places.give_back()
