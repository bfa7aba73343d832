"""What attachments need locally: an S3-compatible object storage and the antivirus.

- **s3proxy** (``org.gaul:s3proxy``, its runnable jar from Maven Central, on the Java that
  already runs Kafka): a real S3 API (AWS Signature V4, path-style), storing objects as files
  under the stack's data folder. Chosen over SeaweedFS or MinIO because it needs no build
  and no binary download, only the JVM and Maven already used for Kafka. The messages
  service talks to it exactly as to any S3 endpoint (``MESSAGES_OBJECT_STORAGE_*``).
- **clamd** (Debian's ``clamav-daemon``) with a small local signature database that holds
  the EICAR test signature (``deploy/local/clamav/local-test.ndb``): the real signatures
  cannot be downloaded here. In production ``freshclam`` keeps them current.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import httpx

from devstack.config import StackConfig
from devstack.parts.base import Part, StartFailure
from devstack.parts.java import ClassArchive

#: The object storage's version: the one place it is pinned.
S3PROXY_VERSION = "2.6.0"
S3PROXY_ARTIFACT = f"org.gaul:s3proxy:{S3PROXY_VERSION}:jar:jar-with-dependencies"
#: Local-only credentials of the local object storage (the messages service's defaults).
LOCAL_ACCESS_KEY = "local-identity"
LOCAL_SECRET_KEY = "local-credential"  # noqa: S105 - local stack only
#: The bucket the local stack and its messages service use.
LOCAL_BUCKET = "mes-messages-local"


def s3proxy_jar(config: StackConfig) -> Path:
    return config.cache / "s3proxy" / f"s3proxy-{S3PROXY_VERSION}-jar-with-dependencies.jar"


def ensure_s3proxy(config: StackConfig, *, log: Path) -> Path:
    """s3proxy's runnable jar in ``.cache/s3proxy``, fetched once by Maven."""
    from devstack.install import _run

    jar = s3proxy_jar(config)
    if jar.exists():
        return jar
    if shutil.which("mvn") is None:
        raise StartFailure(
            "Maven is needed to fetch the object storage (s3proxy) once: apt-get install maven"
        )
    jar.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "mvn",
            "-q",
            "-B",
            "dependency:copy",
            f"-Dartifact={S3PROXY_ARTIFACT}",
            f"-DoutputDirectory={jar.parent}",
        ],
        cwd=jar.parent,
        log=log,
        what="fetching s3proxy from Maven Central",
    )
    return jar


def clamd_binary() -> str | None:
    return shutil.which("clamd") or (
        "/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None
    )


class ObjectStorage(Part):
    """s3proxy: an S3 API over files in the stack's data folder."""

    name = "object_storage"
    title = "Object storage (s3proxy, S3 API)"
    port_names = ("object_storage",)
    startup_timeout = 120.0

    def replaced_by(self) -> str | None:
        return os.environ.get("MESSAGES_OBJECT_STORAGE_ENDPOINT")

    @property
    def folder(self) -> Path:
        return self.config.data / "object-storage"

    @property
    def endpoint(self) -> str:
        return f"http://{self.config.host}:{self.config.ports['object_storage']}"

    def prepare(self) -> None:
        if shutil.which("java") is None:
            raise StartFailure("Java 17 or newer is needed for the object storage: install it")
        ensure_s3proxy(self.config, log=self.log)
        self.class_archive.prepare()
        # With the filesystem back end a bucket is a folder: the local bucket exists at once.
        (self.folder / "buckets" / LOCAL_BUCKET).mkdir(parents=True, exist_ok=True)
        (self.folder / "s3proxy.properties").write_text(
            "\n".join(
                (
                    f"s3proxy.endpoint={self.endpoint}",
                    "s3proxy.authorization=aws-v2-or-v4",
                    f"s3proxy.identity={LOCAL_ACCESS_KEY}",
                    f"s3proxy.credential={LOCAL_SECRET_KEY}",
                    "jclouds.provider=filesystem",
                    f"jclouds.filesystem.basedir={self.folder / 'buckets'}",
                    "",
                )
            )
        )

    @property
    def class_archive(self) -> ClassArchive:
        jar = s3proxy_jar(self.config)
        return ClassArchive(
            self.config.data, "s3proxy", classpath=[jar], options=["-Xmx256m", "-cp", str(jar)]
        )

    def command(self) -> list[str]:
        return [
            "java",
            "-Xmx256m",
            *self.class_archive.jvm_options(),
            "-jar",
            str(s3proxy_jar(self.config)),
            "--properties",
            str(self.folder / "s3proxy.properties"),
        ]

    def ready(self) -> bool:
        try:
            # Anonymous requests are refused: a 403 in S3's XML says the server is up.
            return self._http().get(self.endpoint).status_code == 403
        except httpx.HTTPError:
            return False

    def address(self) -> str:
        return f"{self.endpoint} (S3 API, bucket {LOCAL_BUCKET})"


class VirusScanner(Part):
    """clamd with the local signature database (EICAR)."""

    name = "clamd"
    title = "Antivirus (clamd)"
    port_names = ("clamd",)
    startup_timeout = 120.0

    def replaced_by(self) -> str | None:
        return os.environ.get("MESSAGES_CLAMD_ADDRESS")

    @property
    def folder(self) -> Path:
        return self.config.data / "clamd"

    def prepare(self) -> None:
        if clamd_binary() is None:
            raise StartFailure(
                "clamd is needed to scan attachments: apt-get install clamav-daemon "
                "(make install does it as root)"
            )
        database = self.folder / "database"
        database.mkdir(parents=True, exist_ok=True)
        signatures = self.config.root / "deploy" / "local" / "clamav" / "local-test.ndb"
        shutil.copyfile(signatures, database / signatures.name)
        (self.folder / "clamd.conf").write_text(
            "\n".join(
                (
                    "Foreground yes",
                    f"DatabaseDirectory {database}",
                    f"TCPSocket {self.config.ports['clamd']}",
                    f"TCPAddr {self.config.host}",
                    "LogTime yes",
                    # Larger than the largest attachment (10 MB).
                    "StreamMaxLength 25M",
                    "MaxThreads 4",
                    "",
                )
            )
        )

    def command(self) -> list[str]:
        binary = clamd_binary()
        assert binary is not None
        return [binary, f"--config-file={self.folder / 'clamd.conf'}"]

    def ready(self) -> bool:
        try:
            with socket.create_connection(
                (self.config.host, self.config.ports["clamd"]), timeout=1.0
            ) as connection:
                connection.sendall(b"zPING\0")
                return connection.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def address(self) -> str:
        return f"tcp://{self.config.host}:{self.config.ports['clamd']}"
