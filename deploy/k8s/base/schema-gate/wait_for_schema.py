"""Wait until a service's database schema is at least as new as this image's migrations.

Run by the init container of every service's pods (``python wait_for_schema.py <service>``):
the migration Job of the same release (``<service>-migrate-<version>``) brings the schema up
to date, and this holds the new pods back until it has, so a new version never starts on an
old schema while the previous pods keep serving. A schema newer than the image is accepted:
that is a roll back to an earlier image, and migrations stay backward compatible for one
release (see docs/operations.md).

It reads the database URL the way the service does (its ``Settings``), so it needs the same
environment as the service's container. Exit status 0 when the schema is ready, 1 when the
time runs out.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory

from servicekit.db import asyncpg_dsn
from servicekit.migrations import alembic_config


def migrations_of(service: str) -> ScriptDirectory:
    package = importlib.import_module(service)
    assert package.__file__ is not None
    folder = Path(package.__file__).parent / "migrations"
    return ScriptDirectory.from_config(alembic_config("postgresql://", folder))


def database_url_of(service: str) -> str:
    settings = importlib.import_module(f"{service}.config").Settings()
    url: str = settings.database_url.get_secret_value()
    return url


async def applied_revisions(url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        if not await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
            return set()
        rows = await connection.fetch("SELECT version_num FROM alembic_version")
        return {row["version_num"] for row in rows}
    finally:
        await connection.close()


def schema_state(script: ScriptDirectory, applied: set[str]) -> tuple[bool, str]:
    """Whether a database at ``applied`` suits the image whose migrations are ``script``."""
    heads = set(script.get_heads())
    known = {revision.revision for revision in script.walk_revisions()}
    if not applied:
        return False, f"no schema yet, this image needs {sorted(heads)}"
    newer = applied - known
    if newer:
        return True, f"schema {sorted(newer)} is newer than this image's {sorted(heads)}"
    if heads <= applied:
        return True, f"schema at {sorted(heads)}"
    return False, f"schema at {sorted(applied)}, this image needs {sorted(heads)}"


async def wait(service: str, *, timeout: float, interval: float) -> int:
    script = migrations_of(service)
    url = database_url_of(service)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            ready, state = schema_state(script, await applied_revisions(url))
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            ready, state = False, f"database not reachable yet ({type(error).__name__})"
        if state != last:
            print(f"{service}: {state}", flush=True)
            last = state
        if ready:
            return 0
        if time.monotonic() > deadline:
            print(f"{service}: gave up after {timeout:.0f} s: is the migration Job running?")
            return 1
        await asyncio.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds (default 900)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between checks")
    args = parser.parse_args(argv)
    return asyncio.run(wait(args.service, timeout=args.timeout, interval=args.interval))


if __name__ == "__main__":
    sys.exit(main())
