"""What the stack needs on disk before it starts: Kafka's jars, the provider's node modules.

Each is fetched once (from Maven Central and the npm registry) and reused afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from devstack.config import StackConfig


def _run(command: list[str], *, cwd: Path, log: Path, what: str) -> None:
    from devstack.parts import StartFailure

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as output:
        output.write(f"\n--- {' '.join(command)}\n")
        output.flush()
        result = subprocess.run(
            command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, check=False
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
