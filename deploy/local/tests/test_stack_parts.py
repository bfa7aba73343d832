"""The local stack knows the order of every part it can start: one missing from that order
is never started, not even by ``make run`` nor for a part that requires it."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from rich.console import Console

from devstack.config import StackConfig
from devstack.parts import Part, StartFailure, build_parts
from devstack.stack import ORDER, PartState, Stack

pytestmark = pytest.mark.unit


def test_every_part_has_its_place_in_the_start_order() -> None:
    assert set(build_parts(StackConfig())) == set(ORDER)


def test_each_part_starts_after_what_it_requires() -> None:
    stack = Stack(StackConfig())
    for name, part in stack.parts.items():
        for required in part.requires:
            assert ORDER.index(required) < ORDER.index(name), (name, required)


def test_the_messages_service_brings_its_object_storage_and_antivirus() -> None:
    """What `make run` and the browser tests start: the attachments' parts are in it."""
    started = Stack(StackConfig()).expand(["gateway"])
    assert {"object_storage", "clamd"} <= set(started)
    assert started.index("object_storage") < started.index("messages")
    assert started.index("clamd") < started.index("messages")


def test_a_service_sets_up_once_postgresql_answers_and_starts_once_all_it_needs_does() -> None:
    parts = Stack(StackConfig()).parts
    for name in ("auth", "catalog", "messages", "notifier"):
        assert parts[name].prepare_requires == ("postgres",)
        assert {"postgres", "kafka"} <= set(parts[name].requires)
    assert parts["messages-2"].prepare_requires == parts["messages-2"].requires


class StandIn(Part):
    """A part that says what the stack asked of it, and when."""

    def __init__(self, config: StackConfig, name: str, requires: tuple[str, ...] = ()) -> None:
        super().__init__(config)
        self.name, self.title, self.requires = name, name, requires
        self.calls: list[str] = []
        self.may_start = threading.Event()
        self.may_start.set()
        self.fails = False
        self.prepared = threading.Event()
        self.up = False

    @property
    def prepare_requires(self) -> tuple[str, ...]:
        return self.requires[:1]

    def running(self) -> bool:
        return self.up

    def prepare(self) -> None:
        self.calls.append("prepare")
        self.prepared.set()

    def start(self) -> None:
        assert self.may_start.wait(30)
        if self.fails:
            raise StartFailure("did not start")
        self.calls.append("start")
        self.up = True

    def ready(self) -> bool:
        return self.up

    def stop(self) -> bool:
        self.calls.append("stop")
        self.up = False
        return True


def _stack(tmp_path: Path) -> tuple[Stack, dict[str, StandIn]]:
    config = StackConfig(home=tmp_path)
    stack = Stack(config, console=Console(file=io.StringIO()))
    parts = {
        "postgres": StandIn(config, "postgres"),
        "kafka": StandIn(config, "kafka"),
        "auth": StandIn(config, "auth", ("postgres", "kafka")),
    }
    stack.parts = dict(parts)
    return stack, parts


def test_the_set_up_runs_while_kafka_still_starts(tmp_path: Path) -> None:
    stack, parts = _stack(tmp_path)
    parts["kafka"].may_start.clear()
    states: dict[str, PartState] = {}
    up = threading.Thread(target=lambda: states.update(stack.up(["auth"])))
    up.start()

    assert parts["auth"].prepared.wait(30), "the set-up waited for Kafka"
    assert parts["kafka"].calls == ["prepare"]  # Kafka has not started yet
    parts["kafka"].may_start.set()
    up.join(30)

    assert parts["auth"].calls == ["prepare", "start"]
    assert {name: state.status for name, state in states.items()} == dict.fromkeys(
        ("postgres", "kafka", "auth"), "ready"
    )


def test_a_prepared_service_is_stopped_when_kafka_does_not_start(tmp_path: Path) -> None:
    stack, parts = _stack(tmp_path)
    parts["kafka"].fails = True

    states = stack.up(["auth"])

    assert states["kafka"].status == "failed"
    assert states["auth"].status == "failed"
    assert states["auth"].detail == "needs kafka, which did not start"
    assert parts["auth"].calls == ["prepare", "stop"]  # what it prepared is not left running
