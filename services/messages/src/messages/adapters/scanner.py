"""The antivirus: ClamAV's daemon ``clamd``, asked over its socket with ``INSTREAM``.

The file is sent in chunks as it is read from the object storage (never whole in memory);
clamd answers ``stream: OK``, ``stream: <signature> FOUND`` or an error. ``address`` is
``tcp://host:port`` or the path of clamd's local socket (``unix:///run/clamav/clamd.ctl``).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit


class ScannerError(ConnectionError):
    """clamd could not be reached: a dependency away (the consumer retries until it is back)."""


class ScanFailed(Exception):
    """clamd answered but could not scan this file (retried a while, then dead-lettered)."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    #: The signature found (``Eicar-Test-Signature``...), never shown to members.
    signature: str | None = None


class Clamd:
    def __init__(self, address: str, *, timeout: float = 60.0) -> None:
        self.address = address
        self.timeout = timeout

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        where = urlsplit(self.address)
        try:
            if where.scheme == "tcp":
                return await asyncio.wait_for(
                    asyncio.open_connection(where.hostname, where.port), timeout=5
                )
            path = where.path if where.scheme == "unix" else self.address
            return await asyncio.wait_for(asyncio.open_unix_connection(path), timeout=5)
        except (OSError, TimeoutError) as error:
            raise ScannerError(f"clamd unreachable: {type(error).__name__}") from error

    async def _ask(self, command: bytes, chunks: AsyncIterator[bytes] | None = None) -> str:
        reader, writer = await self._connect()
        try:
            writer.write(b"z" + command + b"\0")
            if chunks is not None:
                async for chunk in chunks:
                    writer.write(struct.pack(">I", len(chunk)) + chunk)
                    await writer.drain()
                writer.write(struct.pack(">I", 0))
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(b"\0"), timeout=self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            raise ScannerError(f"clamd did not answer: {type(error).__name__}") from error
        finally:
            writer.close()
        return answer.rstrip(b"\0").decode("utf-8", "replace")

    async def ping(self) -> bool:
        try:
            return await self._ask(b"PING") == "PONG"
        except ScannerError:
            return False

    async def scan(self, chunks: AsyncIterator[bytes]) -> Verdict:
        answer = await self._ask(b"INSTREAM", chunks)
        if answer.endswith(" OK"):
            return Verdict(clean=True)
        if answer.endswith(" FOUND"):
            signature = answer.removeprefix("stream:").removesuffix(" FOUND").strip()
            return Verdict(clean=False, signature=signature)
        raise ScanFailed(f"clamd could not scan the file: {answer[:200]}")
