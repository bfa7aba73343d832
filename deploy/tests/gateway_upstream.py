"""A service for the gateway tests, wired as every service is (servicekit's request context and
request guard middlewares, its problem handlers) and run by uvicorn as they are run: one route
fails with an exception nobody foresaw, another says which connection it was asked on.

Run as ``uvicorn --factory deploy.tests.gateway_upstream:create_app``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram

from servicekit.guard import RequestGuardMiddleware
from servicekit.http import RequestContextMiddleware
from servicekit.logging import configure_logging
from servicekit.problems import install_problem_handlers


def create_app() -> FastAPI:
    configure_logging(service="gateway-upstream")
    app = FastAPI()
    failed_on: list[int] = []

    def connection(request: Request) -> int:
        """The port of the connection the gateway used: the same port, the same connection."""
        assert request.client is not None
        return request.client.port

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/boom")
    async def boom(request: Request) -> None:
        failed_on.append(connection(request))
        raise RuntimeError("an internal error nobody foresaw")

    @app.get("/hello")
    async def hello(request: Request) -> dict[str, Any]:
        return {"connection": connection(request), "failed_on": failed_on}

    registry = CollectorRegistry()
    app.add_middleware(RequestGuardMiddleware)
    app.add_middleware(
        RequestContextMiddleware,
        requests=Counter(
            "http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        ),
        latency=Histogram(
            "http_request_duration_seconds", "latency", ["method", "route"], registry=registry
        ),
    )
    install_problem_handlers(app)
    return app
