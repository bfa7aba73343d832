"""Attachments: throughput of 10 MB files and memory while 20 are uploaded at once.

    uv run python services/messages/bench/bench_attachments.py [--files 10] [--concurrent 20]

Starts its own s3proxy (with 1 GB of heap: see ``STORAGE_HEAP``) and clamd (the devstack parts,
on free ports, in a temporary folder)
and runs what the service does for each file: the upload path (spooled to disk as it arrives,
type checked, stored in the object storage with its SHA-256 signed), the antivirus scan
(streamed from the storage to clamd), and the download (streamed back). Reports MB/s and
p50/p95/p99 of one file's time for each, the upload beside its baseline (the same files PUT
straight from disk to the object storage, their digests known), and the process's peak
resident memory growth while ``--concurrent`` uploads of 10 MB run at once (the point: no
upload holds its file in memory). No database, Kafka nor gateway:
it measures the file paths, not the HTTP hops. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import resource
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.parts.attachments import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, VirusScanner
from devstack.parts.attachments import ObjectStorage as S3
from devstack.parts.base import Part, wait_ready
from messages.adapters.attachments_content import Spool
from messages.adapters.object_storage import ObjectStorage
from messages.adapters.scanner import Clamd
from messages.domain.attachments import MAX_FILE_BYTES
from servicekit.testing import free_port

CHUNK = 64 * 1024
#: The object storage's heap here. s3proxy holds each signed upload whole while it checks its
#: digest: with the devstack's 256 MB it runs out of memory (HTTP 500) when 20 uploads of
#: 10 MB arrive at once, which is about s3proxy, not about the service's path measured here.
STORAGE_HEAP = "-Xmx1g"


class RoomyObjectStorage(S3):
    """s3proxy as the devstack runs it, with ``STORAGE_HEAP``."""

    def command(self) -> list[str]:
        return [STORAGE_HEAP if option == "-Xmx256m" else option for option in super().command()]


def a_pdf(seed: int) -> bytes:
    """A 10 MB file that the checks take as a PDF (a header, then incompressible bytes)."""
    header = b"%PDF-1.4\n%" + str(seed).encode() + b"\n"
    body = hashlib.shake_256(str(seed).encode()).digest(MAX_FILE_BYTES - len(header) - 6)
    return header + body + b"%%EOF\n"


async def arriving(content: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(content), CHUNK):
        yield content[start : start + CHUNK]
        await asyncio.sleep(0)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start(part: Part) -> None:
    part.prepare()
    part.start()
    wait_ready(part)


async def upload(storage: ObjectStorage, content: bytes, key: str) -> None:
    """The upload path without its check of PDF objects (the bytes here are not a real PDF)."""
    spool = Spool()
    try:
        path = await spool.receive(arriving(content))
        digest = await asyncio.to_thread(lambda: hashlib.sha256(path.read_bytes()).hexdigest())
        await storage.put_file(key, path, sha256=digest, media_type="application/pdf")
    finally:
        spool.close()


def line(what: str, seconds: list[float]) -> str:
    """Throughput of the series, then p50 / p95 / p99 of one file's time, in milliseconds."""
    megabytes = MAX_FILE_BYTES / (1024 * 1024)
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return (
        f"{what:<46} {len(seconds) * megabytes / sum(seconds):6.1f} MB/s   "
        f"p50 {cuts[49] * 1000:6.0f}  p95 {cuts[94] * 1000:6.0f}  p99 {cuts[98] * 1000:6.0f} ms"
    )


async def timed(step: Callable[[int], Awaitable[None]], files: int) -> list[float]:
    """Each file's time through ``step``, one file after another."""
    seconds = []
    for index in range(files):
        started = time.perf_counter()
        await step(index)
        seconds.append(time.perf_counter() - started)
    return seconds


async def run(files: int, concurrent: int, storage: ObjectStorage, scanner: Clamd) -> None:
    await storage.ensure_bucket()
    contents = [a_pdf(seed) for seed in range(max(files, 1))]
    megabytes = MAX_FILE_BYTES / (1024 * 1024)
    print(f"{files} files of 10 MB, one after another; then {concurrent} uploads at once")

    with tempfile.TemporaryDirectory(prefix="bench-attachments-files-") as folder:
        # The baseline: the same files PUT straight from disk, their digests known: what
        # storing them costs at the least, without receiving, spooling and hashing them.
        paths, digests = [], []
        for index, content in enumerate(contents):
            path = Path(folder) / f"{index}.pdf"
            path.write_bytes(content)
            paths.append(path)
            digests.append(hashlib.sha256(content).hexdigest())

        async def put_alone(index: int) -> None:
            await storage.put_file(
                f"bench/alone-{index}",
                paths[index],
                sha256=digests[index],
                media_type="application/pdf",
            )

        print(line("upload   object storage alone (baseline)", await timed(put_alone, files)))

    async def upload_one(index: int) -> None:
        await upload(storage, contents[index], f"bench/{index}")

    print(line("upload   the service's path", await timed(upload_one, files)))

    async def scan_one(index: int) -> None:
        verdict = await scanner.scan(storage.stream(f"bench/{index}"))
        assert verdict.clean

    print(line("scan     storage → clamd", await timed(scan_one, files)))

    async def download_one(index: int) -> None:
        received = 0
        async for chunk in storage.stream(f"bench/{index}"):
            received += len(chunk)
        assert received == MAX_FILE_BYTES

    print(line("download streamed from the storage", await timed(download_one, files)))

    before = rss_mb()
    peak = before
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb())
            await asyncio.sleep(0.02)

    async def upload_timed(index: int) -> float:
        started = time.perf_counter()
        await upload(storage, contents[index % len(contents)], f"bench/c{index}")
        return time.perf_counter() - started

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    each = await asyncio.gather(*(upload_timed(index) for index in range(concurrent)))
    took = time.perf_counter() - started
    done.set()
    await watcher
    cuts = statistics.quantiles(each, n=100, method="inclusive")
    print(
        f"{f'upload   {concurrent} at once':<46} {concurrent * megabytes / took:6.1f} MB/s   "
        f"p50 {cuts[49] * 1000:6.0f}  p95 {cuts[94] * 1000:6.0f}  p99 {cuts[98] * 1000:6.0f} ms"
    )
    print(
        f"resident memory {before:.0f} MB → peak {peak:.0f} MB "
        f"(+{peak - before:.0f} MB for {concurrent * megabytes:.0f} MB in flight)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-attachments-") as home:
        config = replace(
            StackConfig(),
            home=Path(home),
            ports=dict(DEFAULT_PORTS) | {"object_storage": free_port(), "clamd": free_port()},
        )
        config.ensure_folders()
        s3, clamd = RoomyObjectStorage(config), VirusScanner(config)
        try:
            start(s3)
            start(clamd)
            storage = ObjectStorage(
                endpoint=s3.endpoint,
                bucket="bench",
                access_key=LOCAL_ACCESS_KEY,
                secret_key=LOCAL_SECRET_KEY,
            )
            asyncio.run(run(arguments.files, arguments.concurrent, storage, Clamd(clamd.address())))
        finally:
            s3.stop()
            clamd.stop()


if __name__ == "__main__":
    main()
