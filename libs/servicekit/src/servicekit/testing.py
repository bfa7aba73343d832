"""Helpers for tests of any service: access tokens signed by a test key, fresh databases.

Only for tests; nothing in a running service imports this module.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import asyncpg
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import make_url

from servicekit.security import ALGORITHM, audience_of, csrf_hash

T = TypeVar("T")


class TokenMinter:
    """Signs access tokens the way the auth service does, with a key of its own."""

    def __init__(self, *, issuer: str = "http://localhost:8080/api/auth") -> None:
        self.issuer = issuer
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = secrets.token_hex(8)

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
        audiences: tuple[str, ...] = ("auth", "catalog", "messages", "notifier"),
        lifetime: int = 900,
        csrf: str | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": str(subject or uuid.uuid4()),
            "aud": [audience_of(name) for name in audiences],
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
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
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
