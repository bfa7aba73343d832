"""The catalog's bus: every command has its handler, and the public queries read the latest
version for the right fund (with a fake in place of the database)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

import pytest

from catalog.adapters.reference_file import read_reference
from catalog.domain import commands
from catalog.domain.errors import NodeNotFound, NodeNotOffered, NotPublishedYet, UnknownFund
from catalog.domain.versions import Version
from catalog.service_layer.handlers import HANDLERS
from servicekit.bus import Command, MessageBus, bootstrap
from servicekit.testing import MovableClock

pytestmark = pytest.mark.unit


class FakeLatestVersion:
    def __init__(self, version: Version | None) -> None:
        self.version = version

    async def get(self) -> Version | None:
        return self.version

    def forget(self) -> None:
        pass


def bus_reading(version: Version | None) -> MessageBus:
    def no_database() -> Any:
        raise AssertionError("a public query never opens a unit of work")

    return bootstrap(
        HANDLERS, uow=no_database, clock=MovableClock(), latest_version=FakeLatestVersion(version)
    )


@pytest.fixture(scope="module")
def reference_version() -> Version:
    catalog = read_reference()
    catalog.set_active("af-dossier", False)
    return Version(
        number=4,
        published_at=datetime(2026, 12, 1, tzinfo=UTC),
        published_by=None,
        origin="reference",
        change_count=0,
        themes=catalog.to_themes(),
    )


def test_every_command_and_query_has_its_handler() -> None:
    bus = bus_reading(None)
    kinds = [
        kind
        for _, kind in inspect.getmembers(commands, inspect.isclass)
        if issubclass(kind, Command) and kind is not Command
    ]
    assert len(kinds) == len(HANDLERS)
    assert all(bus.handles(kind) for kind in kinds)


def test_a_handler_without_its_dependencies_is_refused_when_the_app_is_built() -> None:
    with pytest.raises(TypeError, match="latest_version"):
        bootstrap(HANDLERS, uow=lambda: None, clock=MovableClock())


async def test_the_callers_own_fund_wins_and_an_unknown_asked_one_is_refused(
    reference_version: Version,
) -> None:
    bus = bus_reading(reference_version)

    assert (await bus.handle(commands.GetTree(asked_fund="NPC"))).fund == "NPC"
    assert (await bus.handle(commands.GetTree(asked_fund="CNO", caller_fund="NPC"))).fund == "NPC"
    # A token's fund the catalog does not know: the default addresses, whatever is asked.
    assert (await bus.handle(commands.GetTree(asked_fund="NPC", caller_fund="XXX"))).fund is None
    with pytest.raises(UnknownFund):
        await bus.handle(commands.GetTree(asked_fund="ZZZ"))


async def test_a_branch_is_offered_only_while_a_member_can_choose_it(
    reference_version: Version,
) -> None:
    bus = bus_reading(reference_version)

    found = await bus.handle(commands.GetBranch(code="famille-allocations"))
    assert found.located.level == "subject"
    with pytest.raises(NodeNotOffered):
        await bus.handle(commands.GetBranch(code="af-dossier"))
    assert (await bus.handle(commands.GetNode(code="af-dossier"))).located.selectable is False
    with pytest.raises(NodeNotFound):
        await bus.handle(commands.GetNode(code="inconnu"))


async def test_before_any_publication_the_public_queries_say_so() -> None:
    with pytest.raises(NotPublishedYet):
        await bus_reading(None).handle(commands.GetTree())
