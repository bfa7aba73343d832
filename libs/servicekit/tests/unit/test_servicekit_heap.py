"""A started service sets its start-up heap aside: the garbage collector's full collections
(a pause of the whole service) no longer walk everything built to start."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.unit

#: A service started in a Python of its own (the heap is set aside once per process).
SERVICE = textwrap.dedent(
    """
    import asyncio, gc, json
    from asgi_lifespan import LifespanManager
    from pydantic import SecretStr
    from servicekit.http import create_service_app
    from servicekit.runtime import ServiceRuntime
    from servicekit.security import StaticKeySet
    from servicekit.settings import ServiceSettings
    from servicekit.testing import TokenMinter

    class KitSettings(ServiceSettings):
        service_name: str = "kit"

    async def main() -> None:
        settings = KitSettings(
            database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit")
        )
        runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))
        app = create_service_app(runtime, title="kit", description="kit")
        built = len(gc.get_objects())
        async with LifespanManager(app):
            walked = len(gc.get_objects())
            print("HEAP " + json.dumps(
                {"built": built, "set_aside": gc.get_freeze_count(), "walked": walked}
            ))
        await runtime.engine.dispose()

    asyncio.run(main())
    """
)


def test_a_started_service_leaves_its_start_up_heap_out_of_full_collections() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", SERVICE], capture_output=True, text=True, timeout=120, check=True
    )
    line = next(line for line in finished.stdout.splitlines() if line.startswith("HEAP "))
    heap = json.loads(line.removeprefix("HEAP "))
    # What the service built to start is set aside...
    assert heap["set_aside"] >= heap["built"] * 0.9
    # ...and a full collection walks a small part of what it walked before.
    assert heap["walked"] < heap["built"] / 10
