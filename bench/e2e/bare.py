"""The honest baseline: what this machine does for one submission with nothing but FastAPI,
uvicorn and one INSERT through asyncpg, behind the same gateway.

It takes the same request the portal sends (``POST /threads`` with the same JSON), reads the
same headers, validates the same fields' lengths, and stores one row. No session, no
outbox, no Kafka, no email: the ratio of the real path to this one is what the product's
guarantees cost. Run as ``python -m bench.e2e.bare PORT DSN``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field


class Submission(BaseModel):
    theme: str = Field(max_length=100)
    subject: str = Field(max_length=100)
    motif: str = Field(max_length=100)
    text: str = Field(min_length=10, max_length=750)


def create_app(dsn: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        async with pool.acquire() as connection:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS bench_bare_submission ("
                " id uuid PRIMARY KEY, theme text, subject text, motif text, body text,"
                " created_at timestamptz NOT NULL)"
            )
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/threads", status_code=201)
    async def submit(submission: Submission) -> dict[str, str]:
        assert pool is not None
        thread_id = uuid.uuid4()
        await pool.execute(
            "INSERT INTO bench_bare_submission VALUES ($1, $2, $3, $4, $5, $6)",
            thread_id,
            submission.theme,
            submission.subject,
            submission.motif,
            submission.text,
            datetime.now(UTC),
        )
        return {"id": str(thread_id)}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


if __name__ == "__main__":
    port, dsn = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        create_app(dsn),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        root_path="/api/messages",
    )
