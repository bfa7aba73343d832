"""Client for the local mailbox's JSON API, for tests that check the emails sent.

Typical use::

    async with MailboxClient("http://127.0.0.1:8025") as mailbox:
        await mailbox.clear()
        ...  # make the product send an email
        [message] = await mailbox.wait_for(to="amelie@exemple.fr")
        assert "nouveau message" in message["text"]
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, Self

import httpx

__all__ = ["MailboxClient", "Message", "MessagePredicate"]

# A message as returned by GET /api/messages/{id}: the index entry (id, received_at,
# envelope_from, envelope_to, subject, from, to, date, message_id, size) plus
# headers, text and html.
Message = dict[str, Any]
MessagePredicate = Callable[[Message], bool]

_LISTED_IN_ERRORS = 20


class MailboxClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        # Stored messages never change, so full messages fetched while polling are
        # kept rather than fetched again on every round.
        self._full: dict[str, Message] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def list(self, to: str | None = None, since: str | None = None) -> list[Message]:
        """Index entries, newest first; ``to`` matches an envelope recipient."""
        params = {k: v for k, v in (("to", to), ("since", since)) if v is not None}
        response = await self._http.get("/api/messages", params=params)
        response.raise_for_status()
        entries: list[Message] = response.json()
        return entries

    async def get(self, message_id: str) -> Message:
        cached = self._full.get(message_id)
        if cached is not None:
            return cached
        response = await self._http.get(f"/api/messages/{message_id}")
        response.raise_for_status()
        message: Message = response.json()
        self._full[message_id] = message
        return message

    async def raw(self, message_id: str) -> bytes:
        response = await self._http.get(f"/messages/{message_id}.eml")
        response.raise_for_status()
        return response.content

    async def clear(self) -> None:
        response = await self._http.delete("/api/messages")
        response.raise_for_status()
        self._full.clear()

    async def get_faults(self) -> dict[str, Any]:
        response = await self._http.get("/api/faults")
        response.raise_for_status()
        setting: dict[str, Any] = response.json()
        return setting

    async def set_faults(
        self,
        mode: Literal["none", "tempfail", "permfail"],
        recipient: str | None = None,
        count: int | None = None,
    ) -> dict[str, Any]:
        """``tempfail`` answers 451, ``permfail`` 550, at RCPT.

        ``recipient`` limits the fault to that address; ``count`` to that many SMTP
        transactions, after which the mailbox accepts everything again.
        """
        body: dict[str, Any] = {"mode": mode}
        if recipient is not None:
            body["recipient"] = recipient
        if count is not None:
            body["count"] = count
        response = await self._http.post("/api/faults", json=body)
        response.raise_for_status()
        setting: dict[str, Any] = response.json()
        return setting

    async def wait_for(
        self,
        predicate: MessagePredicate | None = None,
        *,
        to: str | None = None,
        count: int = 1,
        # The deadline is part of what is asked for, and the timeout is reported
        # with what the mailbox holds, which a cancelled asyncio.timeout could not do.
        timeout: float = 30.0,
        interval: float = 0.1,
    ) -> builtins.list[Message]:
        """Poll until at least ``count`` messages match; return all that match, oldest first.

        ``to`` matches an envelope recipient (case-insensitive); ``predicate`` is
        called with full messages (headers, text, html). Raises ``TimeoutError``
        describing what the mailbox holds if they do not arrive in time.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        matching: list[Message] = []
        entries: list[Message] = []
        last_error: Exception | None = None
        while True:
            try:
                entries = await self.list(to=to)
                matching = []
                for entry in reversed(entries):
                    message = await self.get(entry["id"])
                    if predicate is None or predicate(message):
                        matching.append(message)
                last_error = None
            except httpx.HTTPError as exc:
                # The mailbox may still be starting, or a message may have been
                # deleted between listing and fetching: poll again.
                last_error = exc
            if last_error is None and len(matching) >= count:
                return matching
            if loop.time() >= deadline:
                description = await self._describe_timeout(
                    predicate, to, count, timeout, matching, last_error
                )
                raise TimeoutError(description)
            await asyncio.sleep(min(interval, max(0.0, deadline - loop.time())))

    async def _describe_timeout(
        self,
        predicate: MessagePredicate | None,
        to: str | None,
        count: int,
        waited: float,
        matching: builtins.list[Message],
        last_error: Exception | None,
    ) -> str:
        wanted = f"{count} message(s)"
        if to is not None:
            wanted += f" to {to}"
        if predicate is not None:
            wanted += f" matching {getattr(predicate, '__qualname__', repr(predicate))}"
        lines = [f"{wanted} not in the mailbox at {self.base_url} after {waited}s;"]
        if last_error is not None:
            lines.append(f"last request failed: {last_error!r}")
            return "\n".join(lines)
        lines.append(f"{len(matching)} matching.")
        # Everything held, not only what matched `to`, helps spot a wrong address.
        try:
            held = await self.list()
        except httpx.HTTPError as exc:
            lines.append(f"could not list the mailbox: {exc!r}")
            return "\n".join(lines)
        lines.append(f"The mailbox holds {len(held)} message(s)" + (":" if held else "."))
        lines.extend(
            f"  {m.get('id')} from <{m.get('envelope_from')}> to "
            f"{', '.join(f'<{a}>' for a in m.get('envelope_to') or [])}: {m.get('subject')!r}"
            for m in held[:_LISTED_IN_ERRORS]
        )
        if len(held) > _LISTED_IN_ERRORS:
            lines.append(f"  … and {len(held) - _LISTED_IN_ERRORS} older")
        return "\n".join(lines)
