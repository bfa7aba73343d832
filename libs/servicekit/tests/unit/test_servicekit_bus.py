"""The message bus: a command reaches the handler bound for its type, with its dependencies."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from servicekit.bus import Command, bootstrap

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Greet(Command[str]):
    name: str


@dataclass(frozen=True)
class Count(Command[int]):
    text: str


async def greet(cmd: Greet, *, greeting: str) -> str:
    return f"{greeting} {cmd.name}"


def count(cmd: Count) -> int:
    return len(cmd.text)


async def test_each_command_reaches_its_handler_with_its_dependencies() -> None:
    bus = bootstrap([greet, count], greeting="Bonjour", unused="ignored")
    assert await bus.handle(Greet("Camille")) == "Bonjour Camille"
    assert await bus.handle(Count("abc")) == 3


def test_a_missing_dependency_fails_when_the_bus_is_built() -> None:
    with pytest.raises(TypeError, match="greeting"):
        bootstrap([greet])


def test_two_handlers_for_one_command_are_refused() -> None:
    async def other(cmd: Greet) -> str:
        return cmd.name

    with pytest.raises(TypeError, match="Greet"):
        bootstrap([greet, other], greeting="Salut")


async def test_a_command_without_a_handler_is_a_lookup_error() -> None:
    bus = bootstrap([count])
    with pytest.raises(LookupError, match="Greet"):
        await bus.handle(Greet("Camille"))
