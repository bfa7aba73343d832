"""What the stack needs on disk before it starts: Kafka's jars, Mailpit, the provider's node
modules.

Each is fetched once (from Maven Central, the Go module proxy and the npm registry) and reused
afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from devstack.config import StackConfig

#: The local mail catcher, built from its Go module. The one place its version is pinned:
#: ``make install`` builds this one, and deploy/compose.yaml's image is checked against it.
MAILPIT_MODULE = "github.com/axllent/mailpit"
MAILPIT_VERSION = "v1.33.1"


def _run(
    command: list[str],
    *,
    cwd: Path,
    log: Path,
    what: str,
    env: dict[str, str] | None = None,
) -> None:
    from devstack.parts import StartFailure

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as output:
        output.write(f"\n--- {' '.join(command)}\n")
        output.flush()
        result = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise StartFailure(f"{what} failed (exit {result.returncode})", log)


def ensure_kafka_jars(config: StackConfig, *, log: Path) -> Path:
    """Kafka's jars in ``.cache/kafka/libs``, resolved by Maven from ``deploy/local/kafka/pom.xml``."""
    from devstack.parts import StartFailure

    pom = config.root / "deploy" / "local" / "kafka" / "pom.xml"
    jars = config.kafka_jars
    stamp = jars / ".pom"
    if stamp.exists() and stamp.read_text() == pom.read_text():
        return jars
    if shutil.which("mvn") is None:
        raise StartFailure(
            "Maven is needed to fetch Kafka once: install it (apt-get install maven)"
        )
    if jars.exists():
        shutil.rmtree(jars)
    _run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={jars}",
            "-DincludeScope=runtime",
        ],
        cwd=pom.parent,
        log=log,
        what="fetching Kafka from Maven Central",
    )
    stamp.write_text(pom.read_text())
    return jars


def mailpit_version(binary: Path) -> str | None:
    """The version a Mailpit binary was built as, or None when there is none."""
    if not binary.exists():
        return None
    try:
        # "<path> v1.33.1 compiled with go1.26 on linux/amd64"; no look-up of newer releases.
        result = subprocess.run(
            [str(binary), "version", "--no-release-check"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = result.stdout.split()
    return words[1] if result.returncode == 0 and len(words) > 1 else None


def mailpit_binary(config: StackConfig) -> Path:
    return config.cache / "bin" / "mailpit"


def ensure_mailpit(config: StackConfig, *, log: Path) -> Path:
    """Mailpit in ``.cache/bin``, built by ``go install`` from the Go module proxy when the
    pinned version is not there yet (Go's module and build caches make a rebuild quick)."""
    from devstack.parts import StartFailure

    binary = mailpit_binary(config)
    if mailpit_version(binary) == MAILPIT_VERSION:
        return binary
    if shutil.which("go") is None:
        raise StartFailure(
            f"Go is needed to build Mailpit {MAILPIT_VERSION} once: install it (https://go.dev/dl)"
        )
    binary.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "go",
            "install",
            # Release builds stamp their version this way; `mailpit version` then tells it.
            f"-ldflags=-X {MAILPIT_MODULE}/config.Version={MAILPIT_VERSION}",
            f"{MAILPIT_MODULE}@{MAILPIT_VERSION}",
        ],
        cwd=config.root,
        log=log,
        what=f"building Mailpit {MAILPIT_VERSION} from the Go module proxy",
        # Pure Go (its SQLite too): no C compiler needed, one static binary.
        env={"GOBIN": str(binary.parent), "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"},
    )
    return binary


def ensure_node_modules(folder: Path, *, log: Path) -> None:
    """``npm ci`` when the lock file changed since the last install."""
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    _run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        log=log,
        what=f"installing the node modules of {folder.name}",
    )
