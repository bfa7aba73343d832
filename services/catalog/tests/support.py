"""Helpers of the catalog's tests: tokens for each kind of caller, the reference catalog
loaded in process, and lookups in JSON answers.

Imported as ``from services.catalog.tests.support import ...``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import SecretStr

import catalog
from catalog.adapters.reference_file import read_reference
from catalog.config import Settings
from catalog.domain import commands
from catalog.domain.versions import Version
from catalog.service_layer.handlers import load_reference
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.bus import bootstrap
from servicekit.clock import Clock, SystemClock
from servicekit.db import create_engine, session_factory
from servicekit.testing import TokenMinter

MIGRATIONS = Path(catalog.__file__).parent / "migrations"
PUBLIC_BASE_URL = "http://localhost:8080"


class Tokens:
    """Access tokens for each kind of caller, as auth would issue them."""

    def __init__(self, minter: TokenMinter) -> None:
        self.minter = minter.for_api("catalog")
        self.admin_id = uuid.uuid4()

    def member(self, fund: str = "NPC") -> str:
        return self.minter.mint(kind="member", fund=fund)

    def agent(self, role: str = "agent", fund: str = "NPC", **claims: Any) -> str:
        subject = self.admin_id if role == "admin" else uuid.uuid4()
        return self.minter.mint(
            kind="agent", role=role, fund=fund, subject=subject, skills=["famille"], **claims
        )

    def admin(self, **claims: Any) -> str:
        return self.agent("admin", **claims)

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def as_admin(self) -> dict[str, str]:
        return self.bearer(self.admin())


async def load_reference_into(database_url: str, clock: Clock | None = None) -> Version | None:
    """What ``python -m catalog load-reference`` does, in process."""
    engine = create_engine(Settings(database_url=SecretStr(database_url)))
    try:
        sessions = session_factory(engine)
        bus = bootstrap(
            [load_reference],
            uow=lambda: CatalogUnitOfWork(sessions, producer="catalog"),
            clock=clock or SystemClock(),
        )
        return await bus.handle(commands.LoadReference(catalog=read_reference()))
    finally:
        await engine.dispose()


def find(nodes: list[dict[str, Any]], code: str) -> dict[str, Any]:
    """The node of ``nodes`` (JSON) whose code is ``code``."""
    return next(node for node in nodes if node["code"] == code)
