"""What the stack needs on disk before it starts: Kafka's jars, Mailpit, the provider's node
modules.

Each is fetched once (from Maven Central, the Go module proxy and the npm registry; Mailpit's
web page from both of the last) and reused afterwards.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

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


@dataclass(frozen=True)
class MailpitBuild:
    """What ``.cache/bin/mailpit`` was built from, written beside its sources once it is built."""

    version: str
    #: Hash of the npm packages its web page is built with (MAILPIT_WEB_PACKAGES).
    packages: str
    #: Whether its web page is in it; when not, ``reason`` says why in one line.
    web_page: bool
    reason: str
    #: The binary this record describes (another binary put in its place is not it).
    size: int
    mtime_ns: int


def mailpit_build(config: StackConfig) -> MailpitBuild | None:
    """How the Mailpit in ``.cache/bin`` was built, or None when unknown (not built by
    ``ensure_mailpit``, or replaced since)."""
    try:
        build = MailpitBuild(**json.loads(_mailpit_record(config).read_text()))
        binary = mailpit_binary(config).stat()
    except (OSError, ValueError, TypeError):
        return None
    if (build.size, build.mtime_ns) != (binary.st_size, binary.st_mtime_ns):
        return None
    return build


def ensure_mailpit(config: StackConfig, *, log: Path) -> Path:
    """Mailpit in ``.cache/bin`` with its web page, built once per version and set of npm
    packages (a run with nothing changed only reads the record of the last build).

    The Go module holds Mailpit's code but not its web page's scripts, which its releases build
    with npm and esbuild before ``go build`` embeds them: this does the same, in a writable copy
    of the module under ``.cache/mailpit``. Meanwhile ``go install`` builds it without them
    (compiling every Go dependency once for both): when npm or esbuild fail (npm
    unreachable...), that one is kept, with a one-line warning; its SMTP server and API, all
    tests need, work either way.
    """
    binary = mailpit_binary(config)
    packages = _mailpit_packages_hash(config)
    if _is_current(mailpit_build(config), packages):
        return binary
    # Only now: devstack.parts takes a second to import on a busy machine.
    from devstack.parts import StartFailure

    if shutil.which("go") is None:
        raise StartFailure(
            f"Go is needed to build Mailpit {MAILPIT_VERSION} once: install it (https://go.dev/dl)"
        )
    workspace = _mailpit_workspace(config)
    workspace.mkdir(parents=True, exist_ok=True)
    binary.parent.mkdir(parents=True, exist_ok=True)
    with (workspace / ".lock").open("w") as lock:
        # Two sessions starting at once build it once.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_current(mailpit_build(config), packages):
            return binary
        _say(f"› building Mailpit {MAILPIT_VERSION} with its web page (npm ci, esbuild, go build)")
        without_web_page = _start_mailpit_without_web_page(config, log=log)
        try:
            try:
                _build_mailpit_with_web_page(config, binary, log=log, first=without_web_page)
                web_page, reason = True, ""
            except (StartFailure, OSError) as failure:
                reason = failure.reason if isinstance(failure, StartFailure) else repr(failure)
                web_page = False
                fallback = without_web_page.finish()
                _say(
                    f"warning: Mailpit {MAILPIT_VERSION} is built without its web page at "
                    f"{config.mailbox_url} (its SMTP server and API work): {reason}; log: {log}; "
                    f"delete {binary} to try again"
                )
                os.replace(fallback, binary)
        finally:
            without_web_page.stop()
        built = binary.stat()
        record = MailpitBuild(
            MAILPIT_VERSION, packages, web_page, reason, built.st_size, built.st_mtime_ns
        )
        _mailpit_record(config).write_text(json.dumps(asdict(record), indent=2) + "\n")
    return binary


#: Where the npm packages that build Mailpit's web page are pinned (package.json, its lock and
#: .npmrc): Mailpit's own lock asks for versions the registry may not serve.
MAILPIT_WEB_PACKAGES = Path("deploy", "local", "mailpit")
_MAILPIT_WEB_FILES = ("package.json", "package-lock.json", ".npmrc")
#: Like a release build: pure Go (its SQLite too), no C compiler, one static binary; its
#: version stamped where ``mailpit version`` reads it.
_GO_ENV = {"CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
_VERSION_FLAG = f"-ldflags=-X {MAILPIT_MODULE}/config.Version={MAILPIT_VERSION}"


def _mailpit_workspace(config: StackConfig) -> Path:
    """``.cache/mailpit``: the npm packages, the copy of the module beside them, the record."""
    return config.cache / "mailpit"


def _mailpit_record(config: StackConfig) -> Path:
    return _mailpit_workspace(config) / "build.json"


def _mailpit_packages_hash(config: StackConfig) -> str:
    digest = hashlib.sha256()
    for name in _MAILPIT_WEB_FILES:
        digest.update((config.root / MAILPIT_WEB_PACKAGES / name).read_bytes())
    return digest.hexdigest()


def _is_current(build: MailpitBuild | None, packages: str) -> bool:
    return build is not None and (build.version, build.packages) == (MAILPIT_VERSION, packages)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _build_mailpit_with_web_page(
    config: StackConfig, binary: Path, *, log: Path, first: GoInstall
) -> None:
    """npm ci (when the packages changed), a fresh copy of the module's sources beside the
    packages, its own esbuild.config.mjs, then ``go build`` of that copy once ``first`` is done
    (Go's build cache then holds every dependency)."""
    from devstack.parts import StartFailure

    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise StartFailure(f"{tool} is not installed")
    workspace = _mailpit_workspace(config)
    _install_web_packages(config, workspace, log=log)
    source = workspace / "source"
    if source.exists():
        shutil.rmtree(source)
    _copy_writable(_mailpit_module_source(config, log=log), source)
    _run(
        ["node", "esbuild.config.mjs"],
        cwd=source,
        log=log,
        what="building Mailpit's web page (esbuild)",
        env={"MINIFY": "true"},
    )
    if not (source / "server" / "ui" / "dist" / "app.js").is_file():
        raise StartFailure("esbuild wrote no server/ui/dist/app.js", log)
    first.finish()
    _run(
        ["go", "build", "-buildvcs=false", _VERSION_FLAG, "-o", str(binary), "."],
        cwd=source,
        log=log,
        what=f"building Mailpit {MAILPIT_VERSION} with its web page",
        env=_GO_ENV,
    )


def _install_web_packages(config: StackConfig, workspace: Path, *, log: Path) -> None:
    """The packages of MAILPIT_WEB_PACKAGES in ``workspace/node_modules``, by ``npm ci``."""
    packages = _mailpit_packages_hash(config)
    installed = workspace / "node_modules" / ".mailpit-packages"
    if installed.is_file() and installed.read_text() == packages:
        return
    for name in _MAILPIT_WEB_FILES:
        shutil.copyfile(config.root / MAILPIT_WEB_PACKAGES / name, workspace / name)
    _run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=workspace,
        log=log,
        what="installing the npm packages of Mailpit's web page",
    )
    installed.write_text(packages)


def _mailpit_module_source(config: StackConfig, *, log: Path) -> Path:
    """The module's sources in Go's module cache (read-only), downloaded when missing."""
    from devstack.parts import StartFailure

    result = subprocess.run(
        ["go", "mod", "download", "-json", f"{MAILPIT_MODULE}@{MAILPIT_VERSION}"],
        cwd=config.root,
        env={**os.environ, **_GO_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    with log.open("a") as output:
        output.write(f"\n--- go mod download {MAILPIT_MODULE}@{MAILPIT_VERSION}\n")
        output.write(result.stdout + result.stderr)
    try:
        folder = Path(json.loads(result.stdout)["Dir"])
    except (ValueError, KeyError, TypeError):
        raise StartFailure(
            f"downloading Mailpit {MAILPIT_VERSION} from the Go module proxy failed", log
        ) from None
    return folder


def _copy_writable(source: Path, target: Path) -> None:
    """Copies a folder of Go's module cache, whose files and folders are read-only, into one
    that esbuild can write into (and a later build delete); Mailpit's own npm files stay out."""
    for folder, _, files in os.walk(source):
        here = Path(folder)
        destination = target / here.relative_to(source)
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            if here == source and name in ("package.json", "package-lock.json"):
                continue
            shutil.copyfile(here / name, destination / name)


class GoInstall(Protocol):
    def finish(self) -> Path:
        """Waits for the build, then the binary; StartFailure when it failed."""

    def stop(self) -> None:
        """Ends the build if it still runs."""


class _GoInstallProcess:
    """``go install`` from the Go module proxy into ``.cache/mailpit/without-web-page``, running
    in the background: Mailpit without its web page's scripts, as the module builds it."""

    def __init__(self, config: StackConfig, *, log: Path) -> None:
        self.log = log
        self.folder = _mailpit_workspace(config) / "without-web-page"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.output = self.folder / "go-install.log"
        self.command = ["go", "install", _VERSION_FLAG, f"{MAILPIT_MODULE}@{MAILPIT_VERSION}"]
        with self.output.open("w") as output:
            self.process = subprocess.Popen(
                self.command,
                cwd=config.root,
                env={**os.environ, **_GO_ENV, "GOBIN": str(self.folder)},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.returncode: int | None = None

    def finish(self) -> Path:
        from devstack.parts import StartFailure

        if self.returncode is None:
            self.returncode = self.process.wait()
            with self.log.open("a") as log:
                log.write(f"\n--- {' '.join(self.command)}\n{self.output.read_text()}")
        if self.returncode != 0:
            raise StartFailure(
                f"building Mailpit {MAILPIT_VERSION} from the Go module proxy failed "
                f"(exit {self.returncode})",
                self.log,
            )
        return self.folder / "mailpit"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


def _start_mailpit_without_web_page(config: StackConfig, *, log: Path) -> GoInstall:
    return _GoInstallProcess(config, log=log)


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
