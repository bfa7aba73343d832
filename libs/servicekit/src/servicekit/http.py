"""The FastAPI application every service builds: same middleware, errors, health, metrics."""

from __future__ import annotations

import gc
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.deadlines import request_database_time
from servicekit.guard import RequestGuardMiddleware
from servicekit.logging import bind_request_context, configure_logging, get_logger
from servicekit.problems import Problem, install_problem_handlers, problem_responses
from servicekit.runtime import ServiceRuntime
from servicekit.shedding import LoadSheddingMiddleware
from servicekit.tracing import TraceContext, set_trace

logger = get_logger("http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is written for the person using the service.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


class RequestContextMiddleware:
    """Request id, trace context, access log and request metrics for every HTTP request.

    The access log has the path but never the query string: searches may hold what a member
    typed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        requests: Counter,
        latency: Histogram,
        database_seconds: float | None = None,
    ) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency
        #: The request's database time in all (``servicekit.deadlines``); None: unbounded.
        self.database_seconds = database_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        request_id = headers.get("x-request-id", "")
        if not _REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        trace = TraceContext.continue_from(headers.get("traceparent"))
        set_trace(trace)
        bind_request_context(request_id=request_id, trace_id=trace.trace_id)
        status = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
                names = {name.lower() for name, _ in message.get("headers", [])}
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            if self.database_seconds is None:
                await self.app(scope, receive, send_with_headers)
            else:
                with request_database_time(self.database_seconds):
                    await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.requests.labels(method, template, str(status)).inc()
            self.latency.labels(method, template).observe(elapsed)
            if template not in ("/healthz", "/readyz", "/metrics"):
                logger.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    route=template,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
            structlog.contextvars.clear_contextvars()


def _docs_router(title: str) -> APIRouter:
    """Swagger UI served from the service itself (no CDN), with no inline script, so the
    gateway's Content-Security-Policy holds on the docs pages too."""
    from swagger_ui_bundle import swagger_ui_path

    router = APIRouter(include_in_schema=False)
    assets = {
        "swagger-ui.css": "text/css",
        "swagger-ui-bundle.js": "text/javascript",
        "favicon-32x32.png": "image/png",
    }

    @router.get("/docs")
    async def docs(request: Request) -> HTMLResponse:
        base = request.scope.get("root_path", "")
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} — API</title>
<link rel="stylesheet" href="{base}/docs/assets/swagger-ui.css">
<link rel="icon" href="{base}/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi-url="{base}/openapi.json"></div>
<script src="{base}/docs/assets/swagger-ui-bundle.js"></script>
<script src="{base}/docs/init.js"></script></body></html>""",
            headers={"Cache-Control": "no-cache"},
        )

    @router.get("/docs/init.js")
    async def docs_init() -> Response:
        script = (
            "const root = document.getElementById('swagger-ui');\n"
            "window.ui = SwaggerUIBundle({url: root.dataset.openapiUrl, dom_id: '#swagger-ui',"
            " deepLinking: true});\n"
        )
        return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @router.get("/docs/assets/{name}")
    async def docs_asset(name: str) -> Response:
        if name not in assets:
            raise Problem(404, "not-found", "Cette adresse ne correspond à aucune ressource.")
        content = (swagger_ui_path / name).read_bytes()
        return Response(
            content, media_type=assets[name], headers={"Cache-Control": "public, max-age=86400"}
        )

    return router


_OPERATIONS = ("get", "put", "post", "delete", "patch")


def document_guard_answers(schema: dict[str, Any]) -> None:
    """Every operation documents what the request guard and the gateway may answer before
    or instead of the route: 431 (headers over the gateway's limit) and 503 when a
    dependency is away; with a body, 400 (not UTF-8 JSON), 413 (over the gateway's limit)
    and 415 (not JSON); 422 whenever input is read, as a problem (FastAPI's own 422 entry,
    in application/json, describes an answer the services never give)."""
    for item in schema.get("paths", {}).values():
        for method in _OPERATIONS:
            operation = item.get(method)
            if operation is None:
                continue
            statuses = [431, 503]
            if "requestBody" in operation:
                statuses += [400, 413, 415]
            if "requestBody" in operation or operation.get("parameters"):
                statuses.append(422)
            responses = operation.setdefault("responses", {})
            if "application/json" in responses.get("422", {}).get("content", {}):
                del responses["422"]
            for status, entry in problem_responses(*statuses).items():
                responses.setdefault(str(status), entry)


def settle_heap() -> None:
    """Set aside what the service built to start (its modules, application, schemas,
    statements: it stays for the life of the process) out of the garbage collector's reach.

    Otherwise each full collection walks all of it again: about 100 ms for the messages
    service's start-up heap, a pause that came about once a minute under load, during
    which the requests arriving piled up past load shedding (503s in clusters a minute
    apart at 100 submissions a second). The collector then walks only what came after.

    Once per process: the first application started in it (tests start many in one)."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    version: str = "1.0.0",
    routers: Iterable[APIRouter] = (),
    openapi_tags: list[dict[str, Any]] | None = None,
    extra_state: Mapping[str, Any] | None = None,
) -> FastAPI:
    settings = runtime.settings
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info("starting", environment=settings.environment)
        # The OpenAPI document (and the guard's list of upload routes it gives) is built
        # before the first request rather than by it: hundreds of milliseconds at least.
        _app.openapi()
        await runtime.start()
        settle_heap()
        try:
            yield
        finally:
            await runtime.stop()
            logger.info("stopped")

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.verifier = runtime.verifier
    for name, value in (extra_state or {}).items():
        setattr(app.state, name, value)

    requests = Counter(
        "http_requests",
        "HTTP requests",
        ["method", "route", "status"],
        registry=runtime.registry,
    )
    latency = Histogram(
        "http_request_duration_seconds",
        "HTTP request duration",
        ["method", "route"],
        registry=runtime.registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )
    app.add_middleware(RequestGuardMiddleware)
    app.add_middleware(
        LoadSheddingMiddleware,
        limit=settings.max_requests_in_flight,
        queued=settings.max_requests_queued,
        wait=settings.max_queue_wait_seconds,
        registry=runtime.registry,
    )
    app.add_middleware(
        RequestContextMiddleware,
        requests=requests,
        latency=latency,
        database_seconds=settings.database_request_timeout_seconds,
    )
    install_problem_handlers(app)

    operations = APIRouter(tags=["operations"])

    @operations.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @operations.get(
        "/readyz",
        summary="Readiness: the database and Kafka answer",
        responses={503: {"description": "A dependency does not answer"}},
    )
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @operations.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(operations)
    app.include_router(_docs_router(title))
    for router in routers:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=openapi_tags,
            )
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                PROBLEM_SCHEMA
            )
            document_guard_answers(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
