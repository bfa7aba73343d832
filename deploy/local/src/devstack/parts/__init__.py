"""The parts of the local stack and how each is prepared, started, probed and stopped."""

from __future__ import annotations

from devstack.config import StackConfig
from devstack.parts.applications import Gateway, IdentityProvider, Service
from devstack.parts.attachments import ObjectStorage, VirusScanner
from devstack.parts.base import Part, StartFailure, wait_ready
from devstack.parts.infrastructure import Kafka, Postgres
from devstack.parts.mailbox import LettersPage, Mailbox

__all__ = [
    "Gateway",
    "IdentityProvider",
    "Kafka",
    "LettersPage",
    "Mailbox",
    "ObjectStorage",
    "Part",
    "Postgres",
    "Service",
    "StartFailure",
    "VirusScanner",
    "build_parts",
    "wait_ready",
]


def build_parts(config: StackConfig) -> dict[str, Part]:
    parts: list[Part] = [
        Postgres(config),
        Kafka(config),
        Mailbox(config),
        LettersPage(config),
        IdentityProvider(config),
        ObjectStorage(config),
        VirusScanner(config),
        Service(config, "auth", ("postgres", "kafka")),
        Service(config, "catalog", ("postgres", "kafka")),
        Service(config, "messages", ("postgres", "kafka", "object_storage", "clamd")),
        Service(config, "notifier", ("postgres", "kafka", "mailbox")),
        # Started only with DEVSTACK_REPLICAS=2, once the first replica has set up its database.
        Service(config, "messages", ("messages",), replica=2),
        Service(config, "notifier", ("notifier",), replica=2),
        Gateway(config),
    ]
    return {part.name: part for part in parts}
