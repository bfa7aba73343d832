"""Kafka's and the object storage's JVMs map their classes from an archive the previous run
dumped, once a JVM has mapped it: a truncated archive, or one made for other jars, is never
used (a JVM given one may crash or refuse to start)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from devstack.parts.java import ClassArchive

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java runs Kafka: install a JDK"),
]


def _jar(path: Path, content: str) -> Path:
    """A jar (a zip) with one file in it is enough to stand for a class path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr("marker.txt", content)
    return path


@pytest.fixture
def archive(tmp_path: Path) -> ClassArchive:
    jar = _jar(tmp_path / "jars" / "app.jar", "a class path\n")
    return ClassArchive(tmp_path / "data", "app", classpath=[jar], options=["-cp", str(jar)])


def _dump(archive: ClassArchive) -> None:
    """What the part's JVM does the first time: run, then dump its classes as it exits."""
    subprocess.run(
        ["java", *archive.jvm_options(), *archive.options, "-version"],
        check=True,
        capture_output=True,
    )


def test_the_first_run_dumps_and_the_next_maps_what_it_dumped(archive: ClassArchive) -> None:
    assert archive.jvm_options() == [f"-XX:ArchiveClassesAtExit={archive.dumped}"]
    _dump(archive)
    assert archive.dumped.exists()

    archive.prepare()

    assert archive.archive.exists()
    assert not archive.dumped.exists()
    assert archive.jvm_options() == [f"-XX:SharedArchiveFile={archive.archive}"]
    started = subprocess.run(
        ["java", *archive.jvm_options(), "-Xshare:on", *archive.options, "-version"],
        capture_output=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr


def test_a_truncated_dump_is_thrown_away_and_dumped_again(archive: ClassArchive) -> None:
    _dump(archive)
    whole = archive.dumped.read_bytes()
    archive.dumped.write_bytes(whole[: len(whole) // 3])  # the JVM killed while it dumped

    archive.prepare()

    assert not archive.archive.exists()
    assert not archive.dumped.exists()
    assert archive.jvm_options() == [f"-XX:ArchiveClassesAtExit={archive.dumped}"]


def test_other_jars_make_another_archive(archive: ClassArchive, tmp_path: Path) -> None:
    _dump(archive)
    archive.prepare()
    first = archive.archive
    jar = _jar(tmp_path / "jars" / "app.jar", "a newer class path\n")  # another size
    rebuilt = ClassArchive(archive.folder, "app", classpath=[jar], options=archive.options)

    assert rebuilt.archive != first
    assert rebuilt.jvm_options() == [f"-XX:ArchiveClassesAtExit={rebuilt.dumped}"]
    rebuilt.prepare()
    assert not first.exists()  # the archive of the jars gone is forgotten
