"""Helpers for tests of any service: access tokens signed by a test key, fresh databases.

Only for tests; nothing in a running service imports this module.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import make_url

from servicekit.db import asyncpg_dsn
from servicekit.security import ALGORITHM, audience_of, csrf_hash

T = TypeVar("T")


class TokenMinter:
    """Signs access tokens the way the auth service does, with a key of its own: one token
    per API, whose ``aud`` names that API alone (``api``: given here, or by each ``mint``)."""

    def __init__(
        self, *, issuer: str = "http://localhost:8080/api/auth", api: str | None = None
    ) -> None:
        self.issuer = issuer
        self.api = api
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = secrets.token_hex(8)

    def for_api(self, api: str) -> TokenMinter:
        """The same key and issuer, minting for ``api`` unless a ``mint`` names another."""
        minter = copy.copy(self)
        minter.api = api
        return minter

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [public | {"kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def mint(
        self,
        *,
        subject: uuid.UUID | None = None,
        kind: str = "member",
        fund: str = "NPC",
        role: str | None = None,
        api: str | None = None,
        lifetime: int = 900,
        csrf: str | None = None,
        **claims: Any,
    ) -> str:
        """A token for ``api`` (or this minter's); ``claims`` override any claim (``aud``
        too, for a token the services must refuse)."""
        api = api or self.api
        if api is None:
            raise ValueError("name the API the token is for: mint(api=...) or for_api(...)")
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": str(subject or uuid.uuid4()),
            "aud": audience_of(api),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "kind": kind,
            "fund": fund,
            "sid": secrets.token_hex(8),
        }
        if role is not None:
            payload["role"] = role
        if csrf is not None:
            payload["csrf"] = csrf_hash(csrf)
        payload.update(claims)
        return jwt.encode(payload, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


@contextmanager
def serve_jwks(jwks: dict[str, Any]) -> Iterator[str]:
    """Serve a JWKS over real HTTP on a free port; yields its URL."""
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


@asynccontextmanager
async def fresh_database(admin_url: str, name_prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped afterwards.

    Yields its SQLAlchemy asyncpg URL."""
    name = f"{name_prefix}_{secrets.token_hex(4)}"
    admin = make_url(admin_url)
    dsn = asyncpg_dsn(admin_url)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield (
            admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(
                hide_password=False
            )
        )
    finally:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    message: str = "condition not met",
) -> T:
    """Poll ``check`` until it returns a truthy value (returned) or ``timeout`` passes."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{message} within {timeout} s (last value: {result!r})")
        await asyncio.sleep(interval)


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_service(
    app_factory: str, environment: Mapping[str, str], log: Path, *, timeout: float = 60.0
) -> Iterator[str]:
    """A service in a uvicorn process of its own on a free port, as it runs in production (real
    HTTP, its own event loop); yields its URL and stops it afterwards.

    ``app_factory`` is ``"<package>.main:create_app"``; ``environment`` its settings."""
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                app_factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env={**os.environ, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app_factory} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        # Then, for a while, until it says it is ready (its consumers started, the revoked
        # sessions read): a test should meet the service as traffic does once it is routed.
        ready_by = time.monotonic() + 30
        while time.monotonic() < ready_by and server.poll() is None:
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class FuzzReport:
    failures: list[str]
    statuses: list[int]


def fuzz_for_server_errors(
    schema: Any,
    base_url: str,
    headers: Callable[[], dict[str, str]] = dict,
    *,
    max_examples: int = 6,
    skip: Callable[[Any], bool] = lambda _operation: False,
    timeout: float = 15.0,
) -> FuzzReport:
    """Send schemathesis's generated requests for every operation of ``schema`` (a
    ``schemathesis.openapi`` schema) to ``base_url``; report the 5xx answers and every status.

    ``headers`` is called once per operation (some operations end the session they use)."""
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    report = FuzzReport([], [])
    budget = hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    def fuzz_one(operation: Any, current: dict[str, str]) -> None:
        @budget
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call(base_url=base_url, headers=current, timeout=timeout)
            report.statuses.append(response.status_code)
            if response.status_code >= 500:
                report.failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        fuzz()

    for result in schema.get_all_operations():
        operation = result.ok()
        if not skip(operation):
            fuzz_one(operation, headers())
    return report


@dataclass
class MovableClock:
    """A ``servicekit.clock.Clock`` for tests: real time, shifted by ``offset`` (move it on
    with ``clock.offset += timedelta(...)``)."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
