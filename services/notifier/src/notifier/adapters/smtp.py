"""Sending through SMTP with ``aiosmtplib``: a small pool of reused connections.

Each connection is opened on first use and kept for the next emails; a connection that
failed is closed and opened again on its next use, and one that stayed idle is checked
with ``NOOP`` first (servers drop idle clients). SMTP errors become ``TransientFailure``
(try later) or ``PermanentFailure`` (give up), by their meaning.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiosmtplib

from notifier.adapters.rendering import OutgoingEmail
from notifier.domain.errors import (
    DeliveryFailure,
    PermanentFailure,
    ServerUnavailable,
    TransientFailure,
)

#: A connection unused for longer than this is checked with NOOP before it is used again.
IDLE_CHECK_SECONDS = 15.0


#: "Service not available, closing transmission channel": the server, not the address.
_SERVICE_NOT_AVAILABLE = 421


def classify(error: Exception) -> DeliveryFailure:
    """What an SMTP error means for this email: the server away (``ServerUnavailable``),
    this address refused for now (``TransientFailure``) or for good (``PermanentFailure``)."""
    if isinstance(error, DeliveryFailure):
        return error
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refusals = error.recipients
        reason = "; ".join(f"{refusal.code} {refusal.message}" for refusal in refusals)
        if refusals and all(refusal.code == _SERVICE_NOT_AVAILABLE for refusal in refusals):
            return ServerUnavailable(reason)
        if refusals and all(refusal.code >= 500 for refusal in refusals):
            return PermanentFailure(reason)
        return TransientFailure(reason)
    if isinstance(
        error,
        aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPConnectError | aiosmtplib.SMTPHeloError,
    ):
        # The server refuses us, not this address: every email would fail the same way
        # until the configuration or the server is fixed, so they wait rather than die.
        return ServerUnavailable(f"{type(error).__name__}: {error}")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        reason = f"{error.code} {error.message}"
        if error.code == _SERVICE_NOT_AVAILABLE:
            return ServerUnavailable(reason)
        return PermanentFailure(reason) if error.code >= 500 else TransientFailure(reason)
    if isinstance(error, aiosmtplib.SMTPNotSupported | ValueError):
        # e.g. a non-ASCII address the server cannot take, or an address that is not one.
        return PermanentFailure(f"Adresse refusée : {error}")
    if isinstance(error, ConnectionError | TimeoutError | OSError):
        # Refused, dropped or silent connections (aiosmtplib's disconnections and timeouts
        # are these too): the server is away.
        return ServerUnavailable(f"{type(error).__name__}: {error}")
    return TransientFailure(f"{type(error).__name__}: {error}")


#: Refusals inside one mail transaction, after which the connection is reset and reusable.
_TRANSACTION_REFUSALS = (
    aiosmtplib.SMTPRecipientsRefused,
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPDataError,
)


class _Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.last_used = 0.0

    async def ready(self) -> aiosmtplib.SMTP:
        if self.client.is_connected and time.monotonic() - self.last_used > IDLE_CHECK_SECONDS:
            try:
                await self.client.noop()
            except (aiosmtplib.SMTPException, OSError):
                self.close()
        if not self.client.is_connected:
            await self.client.connect()
        return self.client

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


class SmtpMailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        starttls: bool = False,
        tls: bool = False,
        validate_certs: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 15.0,
        pool_size: int = 4,
    ) -> None:
        self.pool_size = pool_size

        def client() -> aiosmtplib.SMTP:
            return aiosmtplib.SMTP(
                hostname=host,
                port=port,
                use_tls=tls,
                start_tls=starttls,
                validate_certs=validate_certs,
                username=username,
                password=password,
                timeout=timeout,
            )

        self._client = client
        self._connections = [_Connection(client()) for _ in range(pool_size)]
        # Last in, first out: under light load the same warm connection serves.
        self._idle: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
        for connection in self._connections:
            self._idle.put_nowait(connection)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Connection]:
        connection = await self._idle.get()
        try:
            yield connection
        finally:
            connection.last_used = time.monotonic()
            self._idle.put_nowait(connection)

    async def send(self, email: OutgoingEmail, *, sender: str) -> None:
        """Hand ``email`` to the SMTP server; raise a ``DeliveryFailure`` if it is not accepted."""
        async with self._connection() as connection:
            try:
                client = await connection.ready()
                await client.sendmail(sender, [email.recipient], email.data)
            except asyncio.CancelledError:
                # Where the transaction stopped is unknown: start the next one afresh.
                connection.close()
                raise
            except Exception as error:
                failure = classify(error)
                if not isinstance(error, _TRANSACTION_REFUSALS):
                    connection.close()
                raise failure from error

    async def probe(self) -> bool:
        """Whether the server answers now: a connection of its own (with the login, when one
        is configured) and a NOOP; the pool's connections are left alone."""
        client = self._client()
        try:
            await client.connect()
            await client.noop()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            return False
        finally:
            with contextlib.suppress(Exception):
                client.close()
        return True

    async def close(self) -> None:
        """Say goodbye on every open connection; the mailer reconnects if used again."""
        for connection in self._connections:
            with contextlib.suppress(Exception):
                if connection.client.is_connected:
                    await asyncio.wait_for(connection.client.quit(), timeout=2.0)
            connection.close()
