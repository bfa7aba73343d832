"""The local stack knows the order of every part it can start: one missing from that order
is never started, not even by ``make run`` nor for a part that requires it."""

from __future__ import annotations

import pytest

from devstack.config import StackConfig
from devstack.parts import build_parts
from devstack.stack import ORDER, Stack

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
