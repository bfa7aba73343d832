"""Load shedding: past what a service can take, a quick 503 rather than a long wait.

A service answers at the rate its database pool and its event loop allow. Requests that
arrive faster than that used to queue for a pooled connection until the pool timeout, then
fail: every member waited, and the slowest were answered after many seconds. Here at most
``max_requests_in_flight`` requests are being served at once; one more is answered at
once ``503`` (problem+json, ``Retry-After``) before any route runs, so nothing is stored
and the request can be sent again as it was, with the same ``Idempotency-Key``.

A request counts until its answer starts: a file being downloaded (a streamed answer) no
longer holds a place once its headers are sent. The limit is about the database pool's
size (16 by default, the pool taking 10 connections and 10 more): more requests at once
than connections only made them wait for one, and each waited longer as the queue grew.

Liveness, readiness and metrics are never shed: an orchestrator must still see a busy
service as alive and ready.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class LoadSheddingMiddleware:
    """At most ``limit`` HTTP requests served at once; the others answered 503 at once."""

    def __init__(self, app: ASGIApp, *, limit: int, registry: CollectorRegistry) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self.shed = Counter(
            "http_requests_shed",
            "Requests answered 503 because too many were served at once",
            registry=registry,
        )
        Gauge("http_requests_in_flight", "Requests being served", registry=registry).set_function(
            lambda: self.in_flight
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or service_path(scope) in _NEVER_SHED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.shed.inc()
            await send_problem(send, overloaded(), scope)
            return
        self.in_flight += 1
        counted = True

        async def send_and_release(message: Message) -> None:
            nonlocal counted
            if counted and message["type"] == "http.response.start":
                counted = False
                self.in_flight -= 1
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            if counted:
                self.in_flight -= 1
