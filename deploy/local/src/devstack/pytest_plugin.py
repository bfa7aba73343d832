"""Session fixtures that give tests real Kafka, PostgreSQL, Mailpit (SMTP) and OIDC servers.

Each comes, in this order, from:
1. environment variables naming an existing one (``KAFKA_BOOTSTRAP_SERVERS``,
   ``DEVSTACK_POSTGRES_URL``, ``FRANCECONNECT_ISSUER``);
2. testcontainers, when a Docker engine answers;
3. the local stack (``deploy/local``), reusing what already runs and stopping, at the end of
   the session, what this session started.

Mailpit is the session's own (``MAILPIT_URL`` names an existing one instead), so that no
test reads another run's emails.

When none can be had the test fails under ``CI=true`` and is skipped otherwise, with the
reason. Every session works in its own Kafka topics (a random prefix) and its own databases,
so test runs never see each other's events or rows, even on a shared cluster.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from devstack.attachments_fixtures import clamd_address, object_storage  # noqa: F401 - fixtures
from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.parts import IdentityProvider
from devstack.stack import Stack
from devstack.topics import create_topics, delete_topics
from servicekit.testing import free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, reason: str) -> None:
    message = f"{what} is not available: {reason}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _docker_available() -> bool:
    if os.environ.get("DEVSTACK_NO_DOCKER"):
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


class LocalStack:
    """Parts of ``deploy/local`` this session started (stopped at the end) or reused."""

    def __init__(self) -> None:
        self.stack = Stack(StackConfig())
        self.started: list[str] = []

    def ensure(self, *names: str) -> Stack:
        states = self.stack.up(names)
        self.started += [name for name, state in states.items() if state.origin == "started"]
        failed = [state for state in states.values() if state.status == "failed"]
        if failed:
            details = "; ".join(f"{s.part.title}: {s.detail} (log: {s.log})" for s in failed)
            unavailable(", ".join(names), details)
        return self.stack

    def close(self) -> None:
        if self.started:
            self.stack.down(self.started)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack()
    yield stack
    stack.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(local_stack: LocalStack) -> Iterator[str]:
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield bootstrap
    elif _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        yield local_stack.ensure("kafka").config.kafka_bootstrap


@pytest.fixture(scope="session")
def new_topic_prefix(kafka_bootstrap: str) -> Iterator[Callable[[str], str]]:
    """Makes a fresh topic prefix, with every contracts topic created under it; the topics
    go at the end of the session (a long-lived local broker would otherwise pile them up).

    A service's ``conftest.py`` overrides ``kafka_topic_prefix`` with one of its own, so that
    its tests never read what another service's tests published in the same session."""
    made: list[str] = []

    def make(owner: str = "test") -> str:
        prefix = f"{owner}-{secrets.token_hex(4)}."
        try:
            create_topics(kafka_bootstrap, prefix=prefix)
        except Exception as error:
            unavailable("Kafka", f"cannot create topics on {kafka_bootstrap}: {error!r}")
        made.append(prefix)
        return prefix

    yield make
    if made:
        with contextlib.suppress(Exception):  # the broker may be gone already: nothing to tidy
            delete_topics(kafka_bootstrap, prefixes=made)


@pytest.fixture(scope="session")
def kafka_topic_prefix(new_topic_prefix: Callable[[str], str]) -> str:
    """A prefix of this session's own, with every contracts topic created under it."""
    return new_topic_prefix("test")


@pytest.fixture(scope="session")
def postgres_admin_url(local_stack: LocalStack) -> Iterator[str]:
    """A superuser URL (``postgresql+asyncpg://``) of a real PostgreSQL server."""
    if url := os.environ.get("DEVSTACK_POSTGRES_URL"):
        yield url
    elif _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:18", driver="asyncpg") as container:
            yield container.get_connection_url()
    else:
        yield local_stack.ensure("postgres").config.postgres_admin_url


@pytest.fixture(scope="session")
def oidc_issuer(local_stack: LocalStack) -> str:
    """Issuer of a FranceConnect-like OpenID provider, with the demo identities."""
    if issuer := os.environ.get("FRANCECONNECT_ISSUER"):
        return issuer
    stack = local_stack.ensure("oidc")
    part = stack.parts["oidc"]
    assert isinstance(part, IdentityProvider)
    return part.issuer()


@dataclass(frozen=True)
class RunningMailpit:
    """Where a Mailpit takes emails (SMTP) and tells what it holds (``base_url``, its API)."""

    smtp_host: str
    smtp_port: int
    base_url: str


@pytest.fixture(scope="session")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMailpit]:
    """A Mailpit of this session's own on free ports, stopped at the end; or the one named by
    ``MAILPIT_URL`` (its web and API address), taking mail at ``SMTP_HOST``:``SMTP_PORT``
    (by default the same host, port 1025)."""
    if url := os.environ.get("MAILPIT_URL"):
        host = os.environ.get("SMTP_HOST") or urlsplit(url).hostname or "127.0.0.1"
        yield RunningMailpit(host, int(os.environ.get("SMTP_PORT") or 1025), url.rstrip("/"))
        return
    from devstack.parts import Mailbox, StartFailure, wait_ready

    config = replace(
        StackConfig(),
        home=tmp_path_factory.mktemp("mailpit"),
        ports=dict(DEFAULT_PORTS) | {"smtp": free_port(), "mailbox": free_port()},
    )
    config.ensure_folders()
    part = Mailbox(config)
    try:
        part.prepare()
        part.start()
        wait_ready(part)
    except StartFailure as failure:
        part.stop()
        unavailable("Mailpit", f"{failure.reason} (log: {failure.log})")
    try:
        yield RunningMailpit(config.host, config.ports["smtp"], config.mailbox_url)
    finally:
        part.stop()


class DisposableKafka:
    """A Kafka broker of one test's own, which the test may stop and start again."""

    def __init__(self, home: Path) -> None:
        from devstack.parts import Kafka

        base = StackConfig()
        ports = dict(DEFAULT_PORTS) | {"kafka": free_port(), "kafka_controller": free_port()}
        self.config = replace(base, home=home, ports=ports)
        self.config.ensure_folders()
        self.part = Kafka(self.config)

    @property
    def bootstrap(self) -> str:
        return self.config.kafka_bootstrap

    def start(self) -> None:
        from devstack.parts import StartFailure, wait_ready

        try:
            self.part.prepare()
            self.part.start()
            wait_ready(self.part)
        except StartFailure as failure:
            unavailable("a disposable Kafka broker", f"{failure.reason} (log: {failure.log})")
        # Its own topics, on itself: never on a broker KAFKA_BOOTSTRAP_SERVERS names.
        create_topics(self.bootstrap)

    def stop(self) -> None:
        self.part.stop()


@pytest.fixture
def disposable_kafka(tmp_path: Path) -> Iterator[DisposableKafka]:
    """A running broker with every contracts topic, that the test can stop and restart."""
    kafka = DisposableKafka(tmp_path / "kafka-home")
    kafka.start()
    try:
        yield kafka
    finally:
        kafka.stop()
