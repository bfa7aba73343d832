"""Attachments through the gateway: 10 MB uploads and downloads through Caddy and the messages
service, side by side with the object storage alone, and the service's memory while 20
uploads arrive at once.

    uv run python services/messages/bench/bench_attachments_gateway.py [--files 10] [--concurrent 20]

What it starts: s3proxy and clamd (the devstack's parts, in a temporary folder, on free
ports); a fresh database on the local PostgreSQL (``DEVSTACK_POSTGRES_URL``, else the
devstack's) and topics under a prefix of its own on the local Kafka
(``KAFKA_BOOTSTRAP_SERVERS``, else the devstack's); the messages service in a uvicorn process
of its own, as ``make run`` runs it; Caddy with ``deploy/gateway/Caddyfile`` in front of it.
Members' access tokens are signed by a key of the benchmark, served as the JWKS.

Three paths, the same 10 MB files, one client, requests one after another:

- **s3proxy alone** (the baseline): the signed PUT and GET any upload and download cost at the
  least, straight to the object storage;
- **service**: ``POST /attachments`` and ``GET /attachments/{id}/content`` on the service's
  own port (spooled to disk, type checked, SHA-256, stored, row and ``AttachmentUploaded``;
  downloaded once the antivirus found it clean);
- **gateway**: the same through Caddy, as browsers send them.

Then ``--concurrent`` uploads through the gateway at once, while the messages process's
resident memory (RSS) is read every 20 ms; those past the requests the service serves at once
are answered 503 (load shedding) and sent again after ``Retry-After``, their wait counted. Each line gives p50/p95/p99 of one request's time
and the throughput (MB/s) of the whole series. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import psutil

import messages
from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.parts.applications import Gateway
from devstack.parts.attachments import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, VirusScanner
from devstack.parts.attachments import ObjectStorage as S3
from devstack.parts.base import Part, wait_ready
from devstack.stack import Stack
from devstack.topics import create_topics, delete_topics
from messages.adapters.object_storage import ObjectStorage
from messages.domain.attachments import MAX_FILE_BYTES
from servicekit.migrations import upgrade_async
from servicekit.testing import TokenMinter, free_port, fresh_database, running_service, serve_jwks

MEGABYTES = MAX_FILE_BYTES / (1024 * 1024)
MIGRATIONS = Path(messages.__file__).parent / "migrations"


def a_pdf(seed: int) -> bytes:
    """10 MB that the service takes as a PDF: a real one-page document whose stream is
    incompressible bytes (what a scan looks like to gzip)."""
    noise = hashlib.shake_256(str(seed).encode()).digest(MAX_FILE_BYTES - 1024)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    offsets.append(len(body))
    body += b"4 0 obj\n<< /Length %d >>\nstream\n" % len(noise) + noise + b"\nendstream\nendobj\n"
    xref = len(body)
    body += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return body


def start(part: Part) -> None:
    part.prepare()
    part.start()
    wait_ready(part)


def spawn_gateway(config: StackConfig, messages_url: str, folder: Path) -> subprocess.Popen[bytes]:
    gateway = Gateway(config)
    environment = {
        **os.environ,
        **gateway.env(),
        "MESSAGES_UPSTREAM": messages_url.removeprefix("http://"),
        "XDG_DATA_HOME": str(folder / "caddy-data"),
        "XDG_CONFIG_HOME": str(folder / "caddy-config"),
    }
    with (folder / "caddy.log").open("wb") as log:
        return subprocess.Popen(gateway.command(), env=environment, stdout=log, stderr=log)  # noqa: S603


def quantiles(seconds: list[float]) -> str:
    if len(seconds) < 2:
        return f"{seconds[0] * 1000:6.0f} ms" if seconds else "-"
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:6.0f} ms  p95 {cuts[94] * 1000:6.0f} ms  p99 {cuts[98] * 1000:6.0f} ms"


async def series(count: int, action: Callable[[int], Awaitable[None]]) -> tuple[list[float], float]:
    """``action(0..count-1)`` one after another; each one's time, and the whole's."""
    times = []
    started = time.perf_counter()
    for index in range(count):
        began = time.perf_counter()
        await action(index)
        times.append(time.perf_counter() - began)
    return times, time.perf_counter() - started


def line(what: str, times: list[float], total: float) -> str:
    return f"{what:<34} {len(times) * MEGABYTES / total:7.1f} MB/s   {quantiles(times)}"


def rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / (1024 * 1024)


@contextmanager
def local_infrastructure() -> Iterator[tuple[str, str]]:
    """PostgreSQL's admin URL and Kafka's address: given, or the devstack's (started if need be,
    stopped after if this started them)."""
    admin = os.environ.get("DEVSTACK_POSTGRES_URL")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    stack = Stack(StackConfig())
    wanted = [name for name, given in (("postgres", admin), ("kafka", bootstrap)) if not given]
    states = stack.up(wanted) if wanted else {}
    started = [name for name, state in states.items() if state.origin == "started"]
    try:
        yield admin or stack.config.postgres_admin_url, bootstrap or stack.config.kafka_bootstrap
    finally:
        if started:
            stack.down(started)


async def run(arguments: argparse.Namespace, home: Path) -> None:
    files = [a_pdf(seed) for seed in range(arguments.files)]
    config = replace(
        StackConfig(),
        home=home,
        ports=dict(DEFAULT_PORTS)
        | {
            "object_storage": free_port(),
            "clamd": free_port(),
            "gateway": free_port(),
            "gateway_admin": free_port(),
        },
    )
    config.ensure_folders()
    s3, clamd = S3(config), VirusScanner(config)
    minter = TokenMinter()
    prefix = f"bench-attachments-{secrets.token_hex(4)}."
    with ExitStack() as stack:
        admin_url, bootstrap = stack.enter_context(local_infrastructure())
        await asyncio.to_thread(start, s3)
        stack.callback(s3.stop)
        await asyncio.to_thread(start, clamd)
        stack.callback(clamd.stop)
        await asyncio.to_thread(create_topics, bootstrap, prefix=prefix)
        stack.callback(lambda: delete_topics(bootstrap, prefixes=[prefix]))
        jwks_url = stack.enter_context(serve_jwks(minter.jwks()))
        async with fresh_database(admin_url, "bench_attachments") as database_url:
            await upgrade_async(database_url, MIGRATIONS)
            environment = {
                "ENVIRONMENT": "test",
                "LOG_LEVEL": "WARNING",
                "MESSAGES_DATABASE_URL": database_url,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "KAFKA_TOPIC_PREFIX": prefix,
                "KAFKA_GROUP_PREFIX": prefix,
                "AUTH_JWKS_URL": jwks_url,
                "MESSAGES_OBJECT_STORAGE_ENDPOINT": s3.endpoint,
                "MESSAGES_OBJECT_STORAGE_BUCKET": "bench-service",
                "MESSAGES_CLAMD_ADDRESS": clamd.address(),
            }
            storage = ObjectStorage(
                endpoint=s3.endpoint,
                bucket="bench-service",
                access_key=LOCAL_ACCESS_KEY,
                secret_key=LOCAL_SECRET_KEY,
            )
            await storage.ensure_bucket()
            # The processes stop before their database goes.
            with ExitStack() as processes:
                service_url = processes.enter_context(
                    running_service(
                        "messages.main:create_app", environment, home / "messages.log", timeout=300
                    )
                )
                service = next(
                    child
                    for child in psutil.Process().children(recursive=True)
                    if "messages.main:create_app" in " ".join(child.cmdline())
                )
                caddy = spawn_gateway(config, service_url, home)
                processes.callback(caddy.wait, 10)
                processes.callback(caddy.terminate)
                gateway_url = f"http://127.0.0.1:{config.ports['gateway']}"
                await measure(arguments, files, storage, service, service_url, gateway_url, minter)
            await storage.close()


async def measure(
    arguments: argparse.Namespace,
    files: list[bytes],
    storage: ObjectStorage,
    service: psutil.Process,
    service_url: str,
    gateway_url: str,
    minter: TokenMinter,
) -> None:
    token = minter.mint(
        api="messages", kind="member", fund="NPC", given_name="Camille", family_name="MARTIN"
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    timeout = httpx.Timeout(120.0)
    async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=100)) as http:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (await http.get(f"{gateway_url}/healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass  # Caddy not listening yet
            if time.monotonic() > deadline:
                raise SystemExit("the gateway did not start")
            await asyncio.sleep(0.2)
        count = len(files)
        print(f"{count} files of 10 MB, one after another; then {arguments.concurrent} at once")

        digests = [hashlib.sha256(content).hexdigest() for content in files]
        stored: dict[str, list[str]] = {"service": [], "gateway": []}

        async def put_bare(index: int) -> None:
            path = Path(tempfile.gettempdir()) / f"bench-attachment-{index}.pdf"
            path.write_bytes(files[index])
            try:
                await storage.put_file(
                    f"bare/{index}", path, sha256=digests[index], media_type="application/pdf"
                )
            finally:
                path.unlink()

        def post_to(base: str, where: str) -> Callable[[int], Awaitable[None]]:
            async def post(index: int) -> None:
                answer = await http.post(
                    f"{base}/attachments",
                    params={"name": f"releve-{index}.pdf"},
                    content=files[index],
                    headers=headers,
                )
                assert answer.status_code == 201, answer.text
                stored[where].append(answer.json()["id"])

            return post

        results = [
            ("upload   s3proxy alone", await series(count, put_bare)),
            ("upload   service", await series(count, post_to(service_url, "service"))),
            (
                "upload   gateway → service",
                await series(count, post_to(f"{gateway_url}/api/messages", "gateway")),
            ),
        ]

        # Downloads wait for the antivirus' verdict on every file.
        for attachment_id in stored["service"] + stored["gateway"]:
            deadline = time.monotonic() + 300
            while True:
                answer = await http.get(
                    f"{service_url}/attachments/{attachment_id}", headers=headers
                )
                if answer.json()["scan_status"] == "clean":
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{attachment_id} not scanned in 5 minutes")
                await asyncio.sleep(0.2)

        async def get_bare(index: int) -> None:
            received = 0
            async for chunk in storage.stream(f"bare/{index}"):
                received += len(chunk)
            assert received == len(files[index])

        def get_from(base: str, where: str) -> Callable[[int], Awaitable[None]]:
            async def get(index: int) -> None:
                received = 0
                url = f"{base}/attachments/{stored[where][index]}/content"
                async with http.stream("GET", url, headers=headers) as answer:
                    assert answer.status_code == 200
                    async for chunk in answer.aiter_raw():
                        received += len(chunk)
                assert received == len(files[index]), received

            return get

        results += [
            ("download s3proxy alone", await series(count, get_bare)),
            ("download service", await series(count, get_from(service_url, "service"))),
            (
                "download gateway → service",
                await series(count, get_from(f"{gateway_url}/api/messages", "gateway")),
            ),
        ]
        for what, (times, total) in results:
            print(line(what, times, total))

        before = rss_mb(service)
        peak = before
        done = asyncio.Event()

        async def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb(service))
                await asyncio.sleep(0.02)

        shed = cut = 0

        async def timed_upload(index: int) -> float:
            """Until stored: past the requests the service serves at once, a quick 503 (load
            shed, nothing stored) asks to send the same request again (« renvoyez la même
            demande »), after ``Retry-After``; the wait counts in the upload's time. A
            connection closed before the answer could be read (the refusal came while the
            file was still being sent) is sent again after a second, and counted apart."""
            nonlocal shed, cut
            began = time.perf_counter()
            answer: httpx.Response | None = None
            for _ in range(20):
                try:
                    answer = await http.post(
                        f"{gateway_url}/api/messages/attachments",
                        params={"name": f"ensemble-{index}.pdf"},
                        content=files[index % count],
                        headers=headers,
                    )
                except httpx.TransportError:
                    cut += 1
                    await asyncio.sleep(1)
                    continue
                if answer.status_code != 503:
                    break
                shed += 1
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
            assert answer is not None, "every try's connection was closed"
            assert answer.status_code == 201, answer.text
            return time.perf_counter() - began

        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        times = list(await asyncio.gather(*(timed_upload(i) for i in range(arguments.concurrent))))
        total = time.perf_counter() - started
        done.set()
        await watcher
        print(line(f"upload   gateway, {arguments.concurrent} at once", times, total))
        print(f"  answered 503 (load shed) and sent again after Retry-After: {shed}")
        print(f"  connection closed before an answer, sent again: {cut}")
        print(
            f"messages service's resident memory: {before:.0f} MB before, peak {peak:.0f} MB "
            f"(+{peak - before:.0f} MB for {arguments.concurrent * MEGABYTES:.0f} MB in flight)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=10, help="10 MB files per series")
    parser.add_argument("--concurrent", type=int, default=20, help="uploads at once")
    arguments = parser.parse_args()
    if arguments.files < 1 or arguments.concurrent < 1:
        parser.error("--files and --concurrent must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-attachments-gateway-") as home:
        asyncio.run(run(arguments, Path(home)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
