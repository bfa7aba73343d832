"""The images, really built and really run (marker ``images``), with podman or docker.

Every image builds (``deploy/images/build-images``: against local stand-ins of the public
bases when no registry answers); each service's container migrates its database with the
image's own command, then starts with a read-only root filesystem, as user 10001, with no
capability, on the host's network against the session's Kafka and PostgreSQL, and turns
healthy through the image's own HEALTHCHECK; nothing can be written outside ``/tmp``; the
images hold no uv, no sources, no dev tools and no test files; their sizes are printed and
bounded; SIGTERM lets a request in flight finish. The gateway and the OIDC provider start
and turn healthy too (in a network of their own: their ports stay free on the host).

Without a container engine the tests are skipped with the reason (``make images`` installs
podman as root), and fail under ``CI=true``. The first run builds everything (several
minutes); the engine's layer cache makes the next ones quick.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import make_url

from deploy.tests.images_support import (
    HARDENED,
    IMAGES,
    ROOT,
    SERVICES,
    Engine,
    build_all,
    container,
    engine_or_skip,
    exclusive_lock,
    execute,
    image,
    port_free,
    wait_healthy,
)
from devstack.attachments_fixtures import RunningObjectStorage
from devstack.pytest_plugin import RunningMailpit

pytestmark = [pytest.mark.images, pytest.mark.timeout(3600)]

#: Bounds on the images' sizes (uncompressed, as the engine reports them), the issue's:
#: measured on the stand-in bases, auth 206 MB, catalog 203, messages 242, notifier 233,
#: gateway 61. Every service image is the Python base (about 113 MB) and a virtual environment
#: with its compiled bytecode (the root filesystem is read-only: nothing could be compiled at
#: run time), less what services/Dockerfile leaves out: the compiled modules' symbol tables
#: (30 MB in messages'), the wheels' C sources and test suites, the Swagger UI's other
#: bundles, fontTools' optional speed-ups and Pillow's AVIF codec. messages' and notifier's
#: are the largest: their PDFs are made with fpdf2, which needs fontTools and Pillow, and
#: messages also reads PDFs (pypdf) and HEIC photos (pi-heif).
SIZE_LIMITS_MB = {**dict.fromkeys(SERVICES, 250), "gateway": 80}
SERVICE_PORT = 8000  # what the image's CMD and HEALTHCHECK use, on the host's network here


@pytest.fixture(scope="session")
def engine() -> Engine:
    return engine_or_skip()


@pytest.fixture(scope="session")
def built(engine: Engine) -> dict[str, int]:
    return build_all(engine)


def run_in_image(engine: Engine, name: str, *command: str, user: str = "10001") -> str:
    """Runs a one-off command in the image, as its runtime user, read-only, networkless."""
    return engine.run(
        "run",
        "--rm",
        "--read-only",
        "--network",
        "none",
        "--user",
        user,
        "--entrypoint",
        command[0],
        image(name),
        *command[1:],
    )


# --- building -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "oidc"])
def test_every_image_builds(built: dict[str, int], name: str) -> None:
    assert built[name] > 0


def test_image_sizes_are_printed_and_bounded(built: dict[str, int]) -> None:
    print()
    for name, size in built.items():
        print(f"{image(name):<36} {size / 1e6:6.0f} MB")
    too_big = {
        name: f"{built[name] / 1e6:.0f} MB > {limit} MB"
        for name, limit in SIZE_LIMITS_MB.items()
        if built[name] > limit * 1_000_000
    }
    assert not too_big


# What must not be in a service's image, looked for from inside it.
SERVICE_CONTENTS_CHECK = """
import importlib.metadata as metadata, json, os, shutil, sys
service = os.environ["SERVICE"]
found = []
for tool in ("uv", "uvx", "gcc", "cc", "make", "git", "node", "npm", "pytest", "ruff", "mypy"):
    if shutil.which(tool):
        found.append(f"{tool} on the PATH: {shutil.which(tool)}")
for folder in ("/src", "/app/services", "/app/libs", "/app/contracts", "/app/tests"):
    if os.path.exists(folder):
        found.append(f"source folder {folder}")
names = {d.metadata["Name"].lower() for d in metadata.distributions()}
for dev in ("pytest", "ruff", "mypy", "devstack", "hypothesis", "playwright", "uv", "pip"):
    if dev in names:
        found.append(f"development distribution {dev} in the virtual environment")
for other in {"auth", "catalog", "messages", "notifier"} - {service}:
    if other in names:
        found.append(f"the {other} service in the {service} image")
for wanted in (service, "servicekit", "contracts"):
    if wanted not in names:
        found.append(f"{wanted} is not installed")
skip = {"/proc", "/sys", "/dev"}
for root, folders, files in os.walk("/"):
    folders[:] = [f for f in folders if os.path.join(root, f) not in skip]
    for name in files:
        path = os.path.join(root, name)
        if name in ("uv", "uvx", "uv.lock", "conftest.py") or name.startswith("__editable__"):
            found.append(path)
        elif name == "pyproject.toml" and "site-packages" not in path:
            found.append(path)
        elif "/app/" in path and ("/tests/" in path or name.startswith("test_")) and any(
            f"/site-packages/{package}/" in path for package in (service, "servicekit", "contracts")
        ):
            found.append(path)
print(json.dumps(found))
"""


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_holds_no_uv_sources_dev_tools_or_tests(
    engine: Engine, built: dict[str, int], service: str
) -> None:
    output = run_in_image(engine, service, "python", "-c", SERVICE_CONTENTS_CHECK)
    assert json.loads(output.strip().splitlines()[-1]) == []


# What the trimmed images still do with their PDF and image libraries (services/Dockerfile
# leaves out fontTools' compiled speed-ups and Pillow's AVIF codec): messages embeds a font
# subset (fontTools) and re-encodes images (Pillow, HEIC through pi-heif); notifier prints
# with a core font.
PDF_AND_IMAGES_CHECK = """
import io, os
from fpdf import FPDF
from PIL import Image
pdf = FPDF()
pdf.add_page()
if os.environ["SERVICE"] == "messages":
    import pi_heif
    from messages.adapters.receipt_pdf import REGULAR
    pi_heif.register_heif_opener()
    pdf.add_font("DejaVu", "", REGULAR)
    pdf.set_font("DejaVu", size=9)
    for kind in ("JPEG", "PNG"):
        encoded = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(encoded, kind)
        assert Image.open(io.BytesIO(encoded.getvalue())).size == (8, 8)
else:
    pdf.set_font("Helvetica", size=9)
pdf.cell(text="Accusé de dépôt")
assert bytes(pdf.output()).startswith(b"%PDF")
print("printed")
"""


@pytest.mark.parametrize("service", ["messages", "notifier"])
def test_pdf_and_image_libraries_work_in_the_trimmed_image(
    engine: Engine, built: dict[str, int], service: str
) -> None:
    output = run_in_image(engine, service, "python", "-c", PDF_AND_IMAGES_CHECK)
    assert output.strip().splitlines()[-1] == "printed"


def test_notifier_writes_its_letters_to_a_fresh_named_volume(
    engine: Engine, built: dict[str, int]
) -> None:
    """As deploy/compose.yaml runs it: read-only, as 10001, its letters' folder a named volume
    made at the start, which takes the owner of the image's folder (services/Dockerfile)."""
    volume = f"images-test-letters-{secrets.token_hex(3)}"
    engine.run("volume", "create", volume)
    try:
        output = engine.run(
            "run",
            "--rm",
            *HARDENED,
            "--user",
            "10001",
            "--network",
            "none",
            "--volume",
            f"{volume}:/var/spool/letters",
            "--entrypoint",
            "sh",
            image("notifier"),
            "-c",
            "touch /var/spool/letters/letter.pdf && ls /var/spool/letters",
        )
        assert output.strip() == "letter.pdf"
    finally:
        engine.run("volume", "rm", "--force", volume, check=False)


def test_gateway_image_holds_caddy_and_the_built_web_apps_only(
    engine: Engine, built: dict[str, int]
) -> None:
    script = (
        "for tool in node npm python3 python uv pip git gcc; do "
        'command -v $tool && echo "found $tool"; done; '
        "find / -xdev \\( -name node_modules -o -name package.json -o -name '*.ts' \\) -print; "
        "ls /srv/portal/dist/index.html /srv/backoffice/dist/index.html /usr/bin/caddy >/dev/null"
    )
    output = run_in_image(engine, "gateway", "sh", "-c", script)
    assert output.strip() == ""


# --- running ------------------------------------------------------------------------------


def assert_read_only_but_tmp(engine: Engine, name: str, user: str, home: str) -> None:
    """Runs as ``user`` with no capability; ``/tmp`` is writable, ``home`` (where the image's
    files are) and the rest of the filesystem are not."""
    assert engine.run("exec", name, "id", "-u").strip() == user
    capabilities = engine.run("exec", name, "grep", "CapEff", "/proc/self/status")
    assert capabilities.split()[-1].strip("0") == "", capabilities
    engine.run("exec", name, "touch", "/tmp/written")  # noqa: S108 (in the container)
    for place in (f"{home}/written", "/written", "/etc/written", "/var/written"):
        result = subprocess.run(
            [engine.command, "exec", name, "touch", place],
            capture_output=True,
            text=True,
            env=engine.environment,
            check=False,
            timeout=60,
        )
        assert result.returncode != 0, f"{place} could be written"
        assert "Read-only file system" in result.stderr, result.stderr


@dataclass(frozen=True)
class RunningService:
    service: str
    container: str


@pytest.fixture(scope="module", params=SERVICES)
def running_service(
    request: pytest.FixtureRequest,
    engine: Engine,
    built: dict[str, int],
    kafka_bootstrap: str,
    postgres_admin_url: str,
    kafka_topic_prefix: str,
) -> Iterator[RunningService]:
    """The service's image, migrated by its own command, then running hardened on the host's
    network (port 8000) against the session's Kafka and topics, and a fresh database."""
    service: str = request.param
    # The session's topics (one set for the four services, as in production), consumer
    # groups of this run's own.
    prefix = kafka_topic_prefix
    database = f"images_{service}_{secrets.token_hex(4)}"
    execute(postgres_admin_url, f'CREATE DATABASE "{database}"')
    url = make_url(postgres_admin_url).set(drivername="postgresql+asyncpg", database=database)
    environment = {
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_GROUP_PREFIX": f"{prefix}images-{secrets.token_hex(3)}.",
        f"{service.upper()}_DATABASE_URL": url.render_as_string(hide_password=False),
    }
    options = [f"--env={key}={value}" for key, value in environment.items()]
    hardened = [*HARDENED, "--user", "10001", "--network", "host", *options]
    name = f"images-test-{service}-{secrets.token_hex(3)}"
    try:
        engine.run("run", "--rm", *hardened, image(service), "python", "-m", service, "migrate")
        assert port_free(SERVICE_PORT), f"port {SERVICE_PORT} is taken on this machine"
        with container(engine, name, *hardened, image(service)):
            yield RunningService(service, name)
    finally:
        execute(postgres_admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def http_get(path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", SERVICE_PORT), timeout=10) as connection:
        connection.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        )
        answer = read_all(connection)
    return int(answer.split(b" ", 2)[1]), answer


def read_all(connection: socket.socket) -> bytes:
    connection.settimeout(30)
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer


def test_service_container_turns_healthy_read_only_as_10001_without_capabilities(
    engine: Engine, running_service: RunningService
) -> None:
    wait_healthy(engine, running_service.container)
    assert_read_only_but_tmp(engine, running_service.container, "10001", "/app")
    # Ready too: its database and the Kafka brokers answer it from inside the container.
    deadline = time.monotonic() + 60
    while (status := http_get("/readyz"))[0] != 200 and time.monotonic() < deadline:
        time.sleep(1)
    assert status[0] == 200, status[1].decode(errors="replace")
    # The API docs' assets, all the image keeps of the Swagger UI bundle.
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert http_get(f"/docs/assets/{asset}")[0] == 200, asset


def test_sigterm_lets_the_request_in_flight_finish(
    engine: Engine, running_service: RunningService
) -> None:
    wait_healthy(engine, running_service.container)
    body = json.dumps({"text": "une requête en cours pendant l'arrêt"}).encode()
    with socket.create_connection(("127.0.0.1", SERVICE_PORT), timeout=10) as connection:
        # A request whose body is still arriving: the service has started on it (its request
        # guard reads JSON bodies) and owes it an answer.
        connection.sendall(
            b"POST /in-flight HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        time.sleep(0.5)
        engine.run("kill", "--signal", "TERM", running_service.container)
        time.sleep(1.5)
        assert port_free(SERVICE_PORT), "new connections are still accepted after SIGTERM"
        connection.sendall(body[10:])
        answer = read_all(connection)
    assert answer.startswith(b"HTTP/1.1 "), answer
    headers, _, content = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in headers.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    assert len(content) == length, "the answer was cut short"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = engine.run(
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            running_service.container,
        )
        if state.split()[0] == "exited":
            break
        time.sleep(0.5)
    assert state.split() == ["exited", "0"], state


def test_gateway_container_turns_healthy_read_only_and_serves_the_web_apps(
    engine: Engine, built: dict[str, int]
) -> None:
    upstreams = [
        f"--env={service.upper()}_UPSTREAM=127.0.0.1:81{i:02d}"
        for i, service in enumerate(SERVICES)
    ]
    name = f"images-test-gateway-{secrets.token_hex(3)}"
    # A network of its own (loopback only): the healthcheck runs inside it; 8080 stays free.
    with container(
        engine,
        name,
        *HARDENED,
        "--user",
        "10001",
        "--network",
        "none",
        *upstreams,
        image("gateway"),
    ):
        wait_healthy(engine, name, timeout=60)
        assert_read_only_but_tmp(engine, name, "10001", "/srv")
        portal = engine.run("exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/")
        assert "<html" in portal.lower()
        backoffice = engine.run(
            "exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/backoffice/"
        )
        assert "<html" in backoffice.lower()


def test_oidc_provider_container_turns_healthy(engine: Engine, built: dict[str, int]) -> None:
    name = f"images-test-oidc-{secrets.token_hex(3)}"
    # Its keys go to its volume (/var/lib/oidc): the rest of the filesystem stays read-only.
    with container(engine, name, *HARDENED, "--network", "none", image("oidc")):
        wait_healthy(engine, name, timeout=60)
        assert_read_only_but_tmp(engine, name, "1000", "/app")


# --- the product from its images, in a browser ---------------------------------------------

#: The containers listen far from `make run`'s and the e2e tests' ports: the services on
#: 38101..., the gateway on 38088 (the emails' links name it: PUBLIC_BASE_URL; 38080 is
#: kube play's). Browser runs are serialized on this machine: while it runs, the test holds
#: their lock (E2E_LOCK).
PRODUCT_PORT_OFFSET = 30000
GATEWAY_PORT = 38088
E2E_LOCK = Path("/tmp/e2e.lock")  # noqa: S108 (shared on purpose with the other browser runs)
SEED_JOURNEY = (
    "tests/e2e/test_e2e_member_journey.py::test_seed_journey_from_login_to_reading_the_reply"
)
ATTACHMENTS_JOURNEY = (
    "tests/e2e/test_e2e_attachments.py"
    "::test_a_member_sends_two_files_that_the_agent_opens_and_answers_with_one"
)


@dataclass(frozen=True)
class Product:
    gateway_container: str
    gateway_url: str
    mailbox_url: str
    oidc_origin: str
    letters: Path


@pytest.fixture(scope="module")
def product_from_images(
    engine: Engine,
    built: dict[str, int],
    kafka_bootstrap: str,
    postgres_admin_url: str,
    new_topic_prefix: Callable[[str], str],
    oidc_issuer: str,
    mailbox: RunningMailpit,
    object_storage: RunningObjectStorage,
    clamd_address: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Product]:
    """``make run-images`` (deploy/images/run-images) on ports of its own: each database
    migrated and given its local data by the image's own commands, then the four services and
    the gateway as hardened containers, healthy by their own healthchecks, and the local
    registry of covered people held by the auth service; against the session's Kafka (topics
    of its own), fresh databases, the session's Mailpit, OIDC provider, object storage
    (s3proxy) and antivirus (clamd); the notifier's letters in a folder of the test's. The
    containers are removed at the end."""
    lock = exclusive_lock(E2E_LOCK, timeout=2400)
    suffix = secrets.token_hex(3)
    database = f"images_product_SERVICE_{suffix}"
    execute(
        postgres_admin_url,
        *(f'CREATE DATABASE "{database.replace("SERVICE", s)}"' for s in SERVICES),
    )
    url = make_url(postgres_admin_url).set(drivername="postgresql+asyncpg", database=database)
    prefix = new_topic_prefix("images")
    name = f"images-product-{suffix}"
    letters = tmp_path_factory.mktemp("letters")
    gateway_port = GATEWAY_PORT
    ports = [gateway_port, *(8101 + PRODUCT_PORT_OFFSET + i for i in range(len(SERVICES)))]
    assert all(port_free(port) for port in ports), f"one of the ports {ports} is taken"
    environment = {
        **engine.environment,
        "ENGINE": engine.command,
        "RUN_IMAGES_BUILD": "0",
        "RUN_IMAGES_STACK": "0",
        "RUN_IMAGES_DETACH": "1",
        "RUN_IMAGES_PORT_OFFSET": str(PRODUCT_PORT_OFFSET),
        "RUN_IMAGES_GATEWAY_PORT": str(gateway_port),
        "RUN_IMAGES_NAME": name,
        "RUN_IMAGES_LETTERS_DIR": str(letters),
        "RUN_IMAGES_DATABASE_URL": url.render_as_string(hide_password=False).replace(
            "SERVICE", "{service}"
        ),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_GROUP_PREFIX": f"{prefix}product.",
        "SMTP_HOST": mailbox.smtp_host,
        "SMTP_PORT": str(mailbox.smtp_port),
        "MAILPIT_URL": mailbox.base_url,
        "FRANCECONNECT_ISSUER": oidc_issuer,
        "MESSAGES_OBJECT_STORAGE_ENDPOINT": object_storage.endpoint,
        "MESSAGES_OBJECT_STORAGE_ACCESS_KEY": object_storage.access_key,
        "MESSAGES_OBJECT_STORAGE_SECRET_KEY": object_storage.secret_key,
        "MESSAGES_CLAMD_ADDRESS": clamd_address,
    }
    containers = [f"{name}-{part}" for part in (*SERVICES, "gateway")]
    try:
        started = time.monotonic()
        result = subprocess.run(
            [str(IMAGES / "run-images")],
            capture_output=True,
            text=True,
            env=environment,
            timeout=900,
            check=False,
        )
        print(f"\nrun-images: {time.monotonic() - started:.0f} s")
        assert result.returncode == 0, f"run-images failed:\n{result.stderr[-6000:]}"
        yield Product(
            gateway_container=f"{name}-gateway",
            gateway_url=f"http://localhost:{gateway_port}",
            mailbox_url=mailbox.base_url,
            oidc_origin=urlsplit(oidc_issuer)._replace(path="").geturl(),
            letters=letters,
        )
    finally:
        engine.run("rm", "--force", *containers, check=False, timeout=120)
        execute(
            postgres_admin_url,
            *(
                f'DROP DATABASE IF EXISTS "{database.replace("SERVICE", s)}" WITH (FORCE)'
                for s in SERVICES
            ),
        )
        lock.close()


def run_browser_test(product: Product, test: str) -> None:
    """One browser test of tests/e2e, itself, pointed at the gateway container
    (``E2E_GATEWAY_URL``), which serves the web apps built in its image and forwards to the
    services' containers, and at the letters' folder (``E2E_LETTERS_DIR``)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "E2E_GATEWAY_URL": product.gateway_url,
            "E2E_MAILBOX_URL": product.mailbox_url,
            "E2E_OIDC_ORIGIN": product.oidc_origin,
            "E2E_LETTERS_DIR": str(product.letters),
        },
        timeout=600,
        check=False,
    )
    print(result.stdout[-2000:])
    failure = f"{test} against the containers:\n{result.stdout[-8000:]}"
    assert result.returncode == 0, f"{failure}\n{result.stderr[-2000:]}"
    assert re.search(r"^1 passed\b", result.stdout, re.MULTILINE), failure


def test_the_seed_journey_passes_against_the_containers(
    engine: Engine, product_from_images: Product
) -> None:
    """The seed's journey in Chromium (a person of the registry creates their space with the
    code of the letter the notifier's container posted, log in, theme, subject, motif, the
    online service offered, write, recap, send, the confirmation email, an agent's answer in
    the back office, the reply email's link, on the gateway container's port, the member
    reading the reply)."""
    run_browser_test(product_from_images, SEED_JOURNEY)
    # It went through the containers: the gateway's access log has the member's message.
    logs = engine.run("logs", product_from_images.gateway_container, check=False)
    assert '"/api/messages/threads"' in logs, logs[-3000:]
    # The activation letter came from the notifier's container, through the mounted folder.
    assert list(product_from_images.letters.glob("*.pdf")), "no letter in the outgoing mail"


def test_attachments_go_through_the_containers_to_the_object_storage_and_back(
    engine: Engine, product_from_images: Product
) -> None:
    """Attachments in Chromium through the gateway container: a member joins a PDF and a PNG
    to a message (the messages container stores them in the object storage once clamd has
    scanned them), the agent opens the PDF in the back office and gets the very bytes sent,
    answers with a file of their own, which the member opens."""
    run_browser_test(product_from_images, ATTACHMENTS_JOURNEY)
    logs = engine.run("logs", product_from_images.gateway_container, check=False)
    assert '"/api/messages/attachments"' in logs, logs[-3000:]
    assert re.search(r'"/api/messages/agent/attachments/[0-9a-f-]{36}/content"', logs), logs[-3000:]
