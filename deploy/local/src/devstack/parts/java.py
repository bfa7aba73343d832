"""Class data sharing for the parts that run on the JVM (Kafka, the object storage).

A JVM's start spends most of its CPU reading, parsing and verifying its classes from the jars:
Kafka's thousands of them took 18 to 20 s to start on a busy 2-core machine. Its classes as
the JVM last loaded them, dumped once into an archive (``-XX:ArchiveClassesAtExit`` at the end
of the first run), are mapped by the next starts instead (``-XX:SharedArchiveFile``): the same
classes, the same program, 7 to 12 s. See https://openjdk.org/jeps/350.

An archive is used only once a JVM has mapped it with ``-Xshare:on`` (which refuses a
truncated archive or one made for other jars), and it is named after the java binary and the
jars: another Kafka or another JDK makes a new one.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path


class ClassArchive:
    def __init__(
        self, folder: Path, name: str, *, classpath: Sequence[Path], options: Sequence[str]
    ) -> None:
        """``options``: the part's heap and collector options and its class path (``-cp``, the
        jar of a ``-jar`` command), to check a dumped archive with."""
        self.folder = folder
        self.name = name
        self.classpath = classpath
        self.options = list(options)

    @property
    def archive(self) -> Path:
        java = Path(shutil.which("java") or "java").resolve()
        digest = hashlib.sha256(str(java).encode())
        for jar in sorted(self.classpath):
            stat = jar.stat()
            digest.update(f"\n{jar.name} {stat.st_size} {stat.st_mtime_ns}".encode())
        return self.folder / f"{self.name}-classes-{digest.hexdigest()[:16]}.jsa"

    @property
    def dumped(self) -> Path:
        """Where the JVM dumps its classes as it exits, until a start has checked them."""
        return self.archive.with_suffix(".dumped")

    def prepare(self) -> None:
        """Keeps the archive the last run dumped if a JVM maps it; forgets older ones."""
        archive, dumped = self.archive, self.dumped
        for old in self.folder.glob(f"{self.name}-classes-*"):
            if old not in (archive, dumped):
                old.unlink(missing_ok=True)
        if dumped.exists() and not archive.exists():
            check = subprocess.run(
                [
                    "java",
                    f"-XX:SharedArchiveFile={dumped}",
                    "-Xshare:on",
                    # A truncated archive can crash the JVM: its report goes there.
                    f"-XX:ErrorFile={self.folder / f'{self.name}-classes-check.log'}",
                    *self.options,
                    "-version",
                ],
                cwd=self.folder,
                capture_output=True,
                check=False,
            )
            if check.returncode == 0:
                dumped.replace(archive)
        dumped.unlink(missing_ok=True)

    def jvm_options(self) -> list[str]:
        """Map the archive when there is one; otherwise dump one when the JVM exits."""
        archive = self.archive
        if archive.exists():
            return [f"-XX:SharedArchiveFile={archive}"]
        self.folder.mkdir(parents=True, exist_ok=True)
        return [f"-XX:ArchiveClassesAtExit={self.dumped}"]
