"""Attachments: throughput of 10 MB files and memory while 20 are uploaded at once.

    uv run python services/messages/bench/bench_attachments.py [--files 6] [--concurrent 20]

Starts its own s3proxy and clamd (the devstack parts, on free ports, in a temporary folder)
and runs what the service does for each file: the upload path (spooled to disk as it arrives,
type checked, stored in the object storage with its SHA-256 signed), the antivirus scan
(streamed from the storage to clamd), and the download (streamed back). Reports MB/s for
each, and the process's peak resident memory growth while ``--concurrent`` uploads of 10 MB
run at once (the point: no upload holds its file in memory). No database, Kafka nor gateway:
it measures the file paths, not the HTTP hops. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import resource
import tempfile
import time
from collections.abc import AsyncIterator
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


async def run(files: int, concurrent: int, storage: ObjectStorage, scanner: Clamd) -> None:
    await storage.ensure_bucket()
    contents = [a_pdf(seed) for seed in range(max(files, 1))]
    megabytes = MAX_FILE_BYTES / (1024 * 1024)

    started = time.perf_counter()
    for index in range(files):
        await upload(storage, contents[index], f"bench/{index}")
    took = time.perf_counter() - started
    print(f"upload   {files} × 10 MB one after another: {files * megabytes / took:6.1f} MB/s")

    started = time.perf_counter()
    for index in range(files):
        verdict = await scanner.scan(storage.stream(f"bench/{index}"))
        assert verdict.clean
    took = time.perf_counter() - started
    print(f"scan     {files} × 10 MB (storage → clamd):     {files * megabytes / took:6.1f} MB/s")

    started = time.perf_counter()
    for index in range(files):
        received = 0
        async for chunk in storage.stream(f"bench/{index}"):
            received += len(chunk)
        assert received == MAX_FILE_BYTES
    took = time.perf_counter() - started
    print(f"download {files} × 10 MB one after another: {files * megabytes / took:6.1f} MB/s")

    before = rss_mb()
    peak = before
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb())
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    await asyncio.gather(
        *(
            upload(storage, contents[index % len(contents)], f"bench/c{index}")
            for index in range(concurrent)
        )
    )
    took = time.perf_counter() - started
    done.set()
    await watcher
    print(
        f"upload   {concurrent} × 10 MB at once: {concurrent * megabytes / took:6.1f} MB/s; "
        f"resident memory {before:.0f} MB → peak {peak:.0f} MB "
        f"(+{peak - before:.0f} MB for {concurrent * megabytes:.0f} MB in flight)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--concurrent", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-attachments-") as home:
        config = replace(
            StackConfig(),
            home=Path(home),
            ports=dict(DEFAULT_PORTS) | {"object_storage": free_port(), "clamd": free_port()},
        )
        config.ensure_folders()
        s3, clamd = S3(config), VirusScanner(config)
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
