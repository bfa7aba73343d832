"""Client of Mailpit's HTTP API (``/api/v1``), for tests that check the emails sent.

Typical use::

    async with MailpitClient("http://127.0.0.1:8025") as mailbox:
        ...  # make the product send an email
        [message] = await mailbox.wait_for(to="amelie@exemple.fr")
        assert "nouveau message" in message["text"]

Messages come back as plain dictionaries. ``list`` gives summaries: ``id``, ``received_at``,
``from``, ``to`` (the To header), ``recipients`` (every address it went to: Mailpit records
envelope recipients missing from the headers as Bcc), ``subject``, ``message_id`` (as in the
header, with its angle brackets) and ``size``. ``get`` adds ``date``, ``return_path``,
``headers`` (decoded; a repeated header has one value per line), ``text`` and ``html``.
"""

from __future__ import annotations

import asyncio
import builtins
import email.policy
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from types import TracebackType
from typing import Any, Self

import httpx

__all__ = ["MailpitClient", "Message", "MessagePredicate"]

Message = dict[str, Any]
MessagePredicate = Callable[[Message], bool]

_PAGE = 250
_LISTED_IN_ERRORS = 20


def _address(address: str) -> str:
    return (parseaddr(address)[1] or address).strip().casefold()


def _mailbox(person: dict[str, str]) -> str:
    """``Name <address>`` as people read it (not encoded for the wire)."""
    name, address = person.get("Name", ""), person.get("Address", "")
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, IndexError):  # an address Python's parser refuses: shown as it came
        return f"{name} <{address}>" if name else address


def _addresses(people: list[dict[str, str]] | None) -> list[str]:
    return [person["Address"] for person in people or []]


def _summary(found: dict[str, Any]) -> Message:
    """Mailpit's summary of a message (``MessageSummary``) in this client's words."""
    sender = found.get("From") or {}
    return {
        "id": found["ID"],
        "received_at": found.get("Created"),
        "from": _mailbox(sender) if sender else None,
        "to": ", ".join(_mailbox(person) for person in found.get("To") or []) or None,
        "recipients": [
            *_addresses(found.get("To")),
            *_addresses(found.get("Cc")),
            *_addresses(found.get("Bcc")),
        ],
        "subject": found.get("Subject"),
        "message_id": f"<{found['MessageID']}>" if found.get("MessageID") else None,
        "size": found.get("Size"),
    }


def _headers(raw: bytes) -> dict[str, str]:
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
    assert isinstance(parsed, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in parsed.items():
        headers[name] = f"{headers[name]}\n{value}" if name in headers else str(value)
    return headers


def _lines(text: str | None) -> str:
    # Messages travel with CRLF line ends; readers expect plain text.
    return (text or "").replace("\r\n", "\n")


class MailpitClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        # A stored message never changes: one fetched while polling is not fetched again.
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

    async def list(self, to: str | None = None) -> builtins.list[Message]:
        """Summaries, newest first; ``to`` keeps those sent to that address (exactly, whatever
        the case: Mailpit's search also matches longer addresses)."""
        if to is None:
            path, params = "/api/v1/messages", {}
        else:
            # "addressed:" looks in To, Cc and Bcc (and From, which the filter below drops).
            path, params = "/api/v1/search", {"query": f"addressed:{to}"}
        summaries: dict[str, Message] = {}
        start = 0
        while True:
            page = {**params, "start": str(start), "limit": str(_PAGE)}
            response = await self._http.get(path, params=page)
            response.raise_for_status()
            found = response.json()["messages"]
            # A message arriving between two pages shifts the next one: seen ids are skipped.
            for message in found:
                summaries.setdefault(message["ID"], _summary(message))
            start += len(found)
            if len(found) < _PAGE:
                break
        if to is None:
            return list(summaries.values())
        wanted = _address(to)
        return [s for s in summaries.values() if wanted in {_address(a) for a in s["recipients"]}]

    async def get(self, message_id: str) -> Message:
        """One message in full: its summary, headers, text and HTML."""
        cached = self._full.get(message_id)
        if cached is not None:
            return cached
        response = await self._http.get(f"/api/v1/message/{message_id}")
        response.raise_for_status()
        found = response.json()
        headers = _headers(await self.raw(message_id))
        message = _summary(found) | {
            "date": headers.get("Date"),
            "return_path": found.get("ReturnPath"),
            "headers": headers,
            "text": _lines(found.get("Text")),
            "html": _lines(found.get("HTML")),
        }
        self._full[message_id] = message
        return message

    async def raw(self, message_id: str) -> bytes:
        """The message as received (RFC 5322 source)."""
        response = await self._http.get(f"/api/v1/message/{message_id}/raw")
        response.raise_for_status()
        return response.content

    async def clear(self) -> None:
        """Delete every message."""
        response = await self._http.delete("/api/v1/messages")
        response.raise_for_status()
        self._full.clear()

    async def wait_for(
        self,
        predicate: MessagePredicate | None = None,
        *,
        to: str | None = None,
        count: int = 1,
        # The deadline is part of what is asked for, and the timeout is reported with what
        # the mailbox holds, which a cancelled asyncio.timeout could not do.
        timeout: float = 30.0,
        interval: float = 0.1,
    ) -> builtins.list[Message]:
        """Poll until at least ``count`` messages match; return all that match, oldest first.

        ``to`` is a recipient's address (case-insensitive); ``predicate`` is called with full
        messages. Raises ``TimeoutError`` describing what the mailbox holds if they do not
        arrive in time.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        matching: list[Message] = []
        last_error: Exception | None = None
        while True:
            try:
                matching = []
                for summary in reversed(await self.list(to=to)):
                    message = await self.get(summary["id"])
                    if predicate is None or predicate(message):
                        matching.append(message)
                last_error = None
            except httpx.HTTPError as error:
                # Mailpit may still be starting, or a message may have been deleted between
                # listing and fetching: ask again.
                last_error = error
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
        lines = [f"{wanted} not in Mailpit at {self.base_url} after {waited}s;"]
        if last_error is not None:
            lines.append(f"last request failed: {last_error!r}")
            return "\n".join(lines)
        lines.append(f"{len(matching)} matching.")
        # Everything held, not only what matched `to`, helps spot a wrong address.
        try:
            held = await self.list()
        except httpx.HTTPError as error:
            lines.append(f"could not list the messages: {error!r}")
            return "\n".join(lines)
        lines.append(f"Mailpit holds {len(held)} message(s)" + (":" if held else "."))
        lines.extend(
            f"  {m['id']} from {m['from']} to "
            f"{', '.join(f'<{a}>' for a in m['recipients'])}: {m['subject']!r}"
            for m in held[:_LISTED_IN_ERRORS]
        )
        if len(held) > _LISTED_IN_ERRORS:
            lines.append(f"  … and {len(held) - _LISTED_IN_ERRORS} older")
        return "\n".join(lines)
