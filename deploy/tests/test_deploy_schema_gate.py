"""The pods' wait-for-schema init container (deploy/k8s/base/schema-gate/wait_for_schema.py)
against a real PostgreSQL: it holds a new version back until its migrations have run, and
lets an older image through on a newer schema (a roll back)."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from servicekit.db import asyncpg_dsn
from servicekit.migrations import upgrade_async
from servicekit.testing import fresh_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "k8s" / "base" / "schema-gate" / "wait_for_schema.py"
SERVICE = "gatedservice"


def revision(number: int, previous: int | None) -> str:
    return textwrap.dedent(
        f'''\
        from alembic import op

        revision = "{number:04d}"
        down_revision = {f'"{previous:04d}"' if previous else None}
        branch_labels = None
        depends_on = None


        def upgrade() -> None:
            op.execute("CREATE TABLE step_{number} (id integer)")


        def downgrade() -> None:
            op.execute("DROP TABLE step_{number}")
        '''
    )


@pytest.fixture(scope="module")
def service_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service as the images hold one: a package with Settings and two migrations."""
    root = tmp_path_factory.mktemp("image")
    package = root / SERVICE
    versions = package / "migrations" / "versions"
    versions.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "config.py").write_text(
        textwrap.dedent(
            f"""\
            from pydantic import SecretStr
            from pydantic_settings import SettingsConfigDict

            from servicekit.settings import ServiceSettings


            class Settings(ServiceSettings):
                model_config = SettingsConfigDict(env_prefix="{SERVICE.upper()}_", extra="ignore")
                database_url: SecretStr = SecretStr("")
            """
        )
    )
    (package / "migrations" / "env.py").write_text(
        "from sqlalchemy import MetaData\n\n"
        "from servicekit.migrations import run_alembic_env\n\n"
        "run_alembic_env(MetaData())\n"
    )
    (versions / "20261128_0001_first.py").write_text(revision(1, None))
    (versions / "20261128_0002_second.py").write_text(revision(2, 1))
    return root


@pytest.fixture
async def database(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "schema_gate") as url:
        yield url


async def start_gate(image: Path, url: str, *, timeout: float) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        "PYTHONPATH": str(image),
        "ENVIRONMENT": "test",
        f"{SERVICE.upper()}_DATABASE_URL": url,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        SERVICE,
        "--timeout",
        str(timeout),
        "--interval",
        "0.2",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def run_gate(image: Path, url: str, *, timeout: float = 1.0) -> tuple[int, str]:
    process = await start_gate(image, url, timeout=timeout)
    output, _ = await asyncio.wait_for(process.communicate(), timeout + 30)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_a_new_version_waits_while_its_migrations_have_not_run(
    service_package: Path, database: str
) -> None:
    status, output = await run_gate(service_package, database)
    assert status == 1
    assert "no schema yet, this image needs ['0002']" in output
    assert "is the migration Job running?" in output

    await upgrade_async(database, service_package / SERVICE / "migrations", "0001")
    status, output = await run_gate(service_package, database)
    assert status == 1
    assert "schema at ['0001'], this image needs ['0002']" in output


async def test_the_pods_start_once_the_migration_job_has_run(
    service_package: Path, database: str
) -> None:
    await upgrade_async(database, service_package / SERVICE / "migrations", "0001")
    gate = await start_gate(service_package, database, timeout=60)
    assert gate.stdout is not None
    first_line = await asyncio.wait_for(gate.stdout.readline(), 30)
    assert b"this image needs ['0002']" in first_line
    assert gate.returncode is None, "the gate let the pod start on an old schema"

    # What the migration Job does: `python -m <service> migrate`.
    await upgrade_async(database, service_package / SERVICE / "migrations")
    assert await asyncio.wait_for(gate.wait(), 30) == 0
    rest = (await gate.stdout.read()).decode()
    assert "schema at ['0002']" in rest


async def test_an_older_image_starts_on_a_newer_schema(
    service_package: Path, database: str
) -> None:
    await upgrade_async(database, service_package / SERVICE / "migrations")
    connection = await asyncpg.connect(asyncpg_dsn(database))
    try:
        # The next release's migration has run; this image does not know it.
        await connection.execute("UPDATE alembic_version SET version_num = '0003'")
    finally:
        await connection.close()
    status, output = await run_gate(service_package, database)
    assert status == 0
    assert "schema ['0003'] is newer than this image's ['0002']" in output


async def test_an_unreachable_database_keeps_the_pod_waiting(service_package: Path) -> None:
    status, output = await run_gate(
        service_package, "postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none", timeout=0.5
    )
    assert status == 1
    assert "database not reachable yet" in output
