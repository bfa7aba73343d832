"""Where the local stack keeps its files and which ports it uses.

Every port can be moved with ``DEVSTACK_<PART>_PORT`` (for example ``DEVSTACK_KAFKA_PORT``),
and the whole state folder with ``DEVSTACK_HOME``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


@cache
def repo_root() -> Path:
    for folder in Path(__file__).resolve().parents:
        manifest = folder / "pyproject.toml"
        if manifest.exists() and "[tool.uv.workspace]" in manifest.read_text():
            return folder
    raise RuntimeError("cannot find the repository root above devstack")


DEFAULT_PORTS: dict[str, int] = {
    "kafka": 19092,
    "kafka_controller": 19093,
    "postgres": 15432,
    "smtp": 1025,
    "mailbox": 8025,
    "letters": 8026,
    "oidc": 9100,
    "gateway": 8080,
    "gateway_admin": 2019,
    "auth": 8101,
    "catalog": 8102,
    "messages": 8103,
    "notifier": 8104,
    "object_storage": 8105,
    "clamd": 8106,
    # The second replicas of messages and the notifier (``DEVSTACK_REPLICAS=2``).
    "messages_2": 8113,
    "notifier_2": 8114,
}

SERVICES: tuple[str, ...] = ("auth", "catalog", "messages", "notifier")

#: The services ``DEVSTACK_REPLICAS=2`` (``make run REPLICAS=2``) runs twice: each replica its
#: own process and port, the gateway sharing requests between them, the Kafka consumer groups
#: sharing partitions, the outbox relays and delivery workers sharing rows (SKIP LOCKED).
REPLICATED: tuple[str, ...] = ("messages", "notifier")


def replicas() -> int:
    """How many processes each replicated service runs (1 or 2)."""
    value = os.environ.get("DEVSTACK_REPLICAS", "").strip() or "1"
    count = int(value)
    if count not in (1, 2):
        raise SystemExit("DEVSTACK_REPLICAS is 1 or 2")
    return count


#: Local-only credentials of the embedded PostgreSQL superuser.
POSTGRES_SUPERUSER = "postgres"
POSTGRES_SUPERUSER_PASSWORD = "postgres"  # noqa: S105 - local stack only


def _port(name: str) -> int:
    value = os.environ.get(f"DEVSTACK_{name.upper()}_PORT")
    return int(value) if value else DEFAULT_PORTS[name]


@dataclass(frozen=True)
class StackConfig:
    root: Path = field(default_factory=repo_root)
    home: Path = field(
        default_factory=lambda: Path(os.environ.get("DEVSTACK_HOME") or repo_root() / ".devstack")
    )
    cache: Path = field(default_factory=lambda: repo_root() / ".cache")
    ports: dict[str, int] = field(
        default_factory=lambda: {name: _port(name) for name in DEFAULT_PORTS}
    )
    host: str = "127.0.0.1"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def kafka_jars(self) -> Path:
        return self.cache / "kafka" / "libs"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.ports['kafka']}"

    @property
    def postgres_admin_url(self) -> str:
        return (
            f"postgresql+asyncpg://{POSTGRES_SUPERUSER}:{POSTGRES_SUPERUSER_PASSWORD}"
            f"@{self.host}:{self.ports['postgres']}/postgres"
        )

    def database_url(self, service: str) -> str:
        return f"postgresql+asyncpg://{service}:{service}@{self.host}:{self.ports['postgres']}/{service}"

    @property
    def gateway_url(self) -> str:
        return f"http://localhost:{self.ports['gateway']}"

    @property
    def mailbox_url(self) -> str:
        return f"http://{self.host}:{self.ports['mailbox']}"

    @property
    def letters_dir(self) -> Path:
        """The outgoing mail: where the notifier drops its PDF letters."""
        return Path(os.environ.get("NOTIFIER_LETTERS_DIR") or self.home / "letters")

    @property
    def letters_url(self) -> str:
        """The page listing the letters (``devstack.letters``)."""
        return f"http://{self.host}:{self.ports['letters']}"

    @property
    def oidc_issuer(self) -> str:
        return f"http://localhost:{self.ports['oidc']}/api/v2"

    def service_url(self, service: str) -> str:
        return f"http://{self.host}:{self.ports[service]}"

    def ensure_folders(self) -> None:
        for folder in (self.logs, self.run, self.data):
            folder.mkdir(parents=True, exist_ok=True)
