"""Local mailbox: an SMTP server that accepts every message and a web UI to read them.

The notifier sends its emails here during local runs and integration tests. Each
accepted message is kept on disk as ``<store>/<id>.eml`` next to a JSON index entry
``<store>/<id>.json``; the HTTP side renders them for people (French UI) and exposes a
JSON API that tests poll. Faults (temporary or permanent refusals) can be injected
through the API to exercise the notifier's retry and bounce handling.

Run with::

    python -m devstack.mailbox --smtp-port 1025 --http-port 8025 --store .devstack/mailbox
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.errors
import email.header
import email.policy
import html
import itertools
import json
import logging
import os
import re
import signal
import socket
import sys
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

__all__ = [
    "FaultInjector",
    "FaultMode",
    "FaultSetting",
    "IndexEntry",
    "MessageStore",
    "RunningMailbox",
    "create_app",
    "main",
    "running_mailbox",
    "serve",
]

logger = logging.getLogger("devstack.mailbox")

PARIS = ZoneInfo("Europe/Paris")

# Message ids sort in arrival order: UTC timestamp to the microsecond, then a
# per-process counter. Store files are "<id>.eml", "<id>.json" and, while being
# written, ".<id>.eml.tmp" / ".<id>.json.tmp".
_STORE_FILE = re.compile(r"\.?(\d{8}T\d{12}-\d{6})\.(eml|json)(\.tmp)?")

TEMPFAIL_REPLY = "451 4.3.0 Temporary failure, try again later"
PERMFAIL_REPLY = "550 5.1.1 Mailbox unavailable"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)

# Idle keep-alive connections are closed at once on shutdown; this only bounds a
# request still in flight, so that Ctrl-C / SIGTERM stops everything promptly.
_HTTP_GRACEFUL_SHUTDOWN_S = 1
_SMTP_SHUTDOWN_S = 0.3


# --------------------------------------------------------------------------- store


def _decode_header_value(raw: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return raw


def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # malformed headers must not make a message unreadable
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
        return None if raw is None else _decode_header_value(str(raw))
    return None if value is None else str(value)


def _all_headers(msg: EmailMessage) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for name, raw in msg.raw_items():
        try:
            value = str(msg.policy.header_fetch_parse(name, raw))
        except Exception:  # same reason as in _header
            value = _decode_header_value(str(raw))
        headers.append((name, value))
    return headers


def _part_text(msg: EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
    if not isinstance(content, str):
        return None
    # Messages are stored as received on the wire (CRLF); readers expect plain text.
    return content.replace("\r\n", "\n")


def _parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(data)


@dataclass(frozen=True)
class IndexEntry:
    """What the index knows about a stored message, without reading its body."""

    id: str
    received_at: str
    envelope_from: str
    envelope_to: tuple[str, ...]
    subject: str | None
    from_: str | None
    to: str | None
    date: str | None
    message_id: str | None
    size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at,
            "envelope_from": self.envelope_from,
            "envelope_to": list(self.envelope_to),
            "subject": self.subject,
            "from": self.from_,
            "to": self.to,
            "date": self.date,
            "message_id": self.message_id,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexEntry:
        def opt(key: str) -> str | None:
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key} is not a string")
            return value

        envelope_to = data["envelope_to"]
        if not isinstance(envelope_to, list) or not all(isinstance(a, str) for a in envelope_to):
            raise ValueError("envelope_to is not a list of strings")
        size = data["size"]
        if not isinstance(size, int):
            raise ValueError("size is not an integer")
        return cls(
            id=str(data["id"]),
            received_at=str(data["received_at"]),
            envelope_from=str(data["envelope_from"]),
            envelope_to=tuple(envelope_to),
            subject=opt("subject"),
            from_=opt("from"),
            to=opt("to"),
            date=opt("date"),
            message_id=opt("message_id"),
            size=size,
        )

    @classmethod
    def from_message(
        cls,
        message_id: str,
        received_at: datetime,
        envelope_from: str,
        envelope_to: Sequence[str],
        data: bytes,
    ) -> IndexEntry:
        msg = BytesParser(policy=email.policy.default).parsebytes(data, headersonly=True)
        return cls(
            id=message_id,
            received_at=received_at.astimezone(UTC).isoformat(timespec="microseconds"),
            envelope_from=envelope_from,
            envelope_to=tuple(envelope_to),
            subject=_header(msg, "Subject"),
            from_=_header(msg, "From"),
            to=_header(msg, "To"),
            date=_header(msg, "Date"),
            message_id=_header(msg, "Message-ID"),
            size=len(data),
        )

    def received_at_paris(self) -> datetime:
        return datetime.fromisoformat(self.received_at).astimezone(PARIS)

    def is_addressed_to(self, address: str) -> bool:
        wanted = _normalise_address(address)
        return any(_normalise_address(rcpt) == wanted for rcpt in self.envelope_to)


def _normalise_address(address: str) -> str:
    return (parseaddr(address)[1] or address).strip().casefold()


def _entry_json(entry: IndexEntry) -> bytes:
    return json.dumps(entry.to_json(), ensure_ascii=False).encode("utf-8")


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


class MessageStore:
    """Messages on disk plus an in-memory index rebuilt from the directory on start.

    The JSON sidecar is written before the ``.eml``, and the ``.eml`` is what makes a
    message exist: a crash in between leaves an orphan sidecar that the next start
    removes, never a half-written message.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[str, IndexEntry] = {}
        self._lock = asyncio.Lock()
        self._counter = itertools.count()
        self._last_time = datetime.min.replace(tzinfo=UTC)

    async def load(self) -> None:
        self._entries = await asyncio.to_thread(self._load_sync)

    def _load_sync(self) -> dict[str, IndexEntry]:
        self.directory.mkdir(parents=True, exist_ok=True)
        entries: dict[str, IndexEntry] = {}
        for path in self.directory.iterdir():
            match = _STORE_FILE.fullmatch(path.name)
            if match is None:
                continue
            message_id, kind, tmp = match.groups()
            eml = self.directory / f"{message_id}.eml"
            leftover = tmp or path.name.startswith(".")
            orphan = kind == "json" and not eml.exists()
            if leftover or orphan:
                path.unlink(missing_ok=True)
            elif kind == "eml":
                entries[message_id] = self._load_entry(message_id, path)
        if entries:
            self._last_time = self._time_of(max(entries))
        return entries

    @staticmethod
    def _time_of(message_id: str) -> datetime:
        return datetime.strptime(message_id[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)

    def _load_entry(self, message_id: str, eml: Path) -> IndexEntry:
        sidecar = eml.with_suffix(".json")
        try:
            entry = IndexEntry.from_json(json.loads(sidecar.read_text("utf-8")))
            if entry.id != message_id:
                raise ValueError(f"sidecar of {message_id} describes {entry.id}")
            return entry
        except (OSError, ValueError, KeyError, TypeError):
            # The envelope is only known from the sidecar; the headers are the
            # best approximation left.
            data = eml.read_bytes()
            msg = BytesParser(policy=email.policy.default).parsebytes(data, headersonly=True)
            recipients = [
                addr
                for _, addr in getaddresses(
                    [v for k, v in _all_headers(msg) if k.lower() in ("to", "cc")]
                )
                if addr
            ]
            sender = parseaddr(_header(msg, "Return-Path") or _header(msg, "From") or "")[1]
            entry = IndexEntry.from_message(
                message_id, self._time_of(message_id), sender, recipients, data
            )
            _write_atomically(sidecar, _entry_json(entry))
            logger.warning("rebuilt index entry id=%s from its headers", message_id)
            return entry

    def _next_id(self) -> tuple[str, datetime]:
        now = datetime.now(UTC)
        # Keeps ids increasing even if the wall clock steps back.
        if now <= self._last_time:
            now = self._last_time + timedelta(microseconds=1)
        self._last_time = now
        seq = next(self._counter) % 1_000_000
        return f"{now:%Y%m%dT%H%M%S}{now.microsecond:06d}-{seq:06d}", now

    async def add(self, envelope_from: str, envelope_to: Sequence[str], data: bytes) -> IndexEntry:
        async with self._lock:
            message_id, received_at = self._next_id()
            entry = await asyncio.to_thread(
                self._write, message_id, received_at, envelope_from, envelope_to, data
            )
            self._entries[message_id] = entry
            return entry

    def _write(
        self,
        message_id: str,
        received_at: datetime,
        envelope_from: str,
        envelope_to: Sequence[str],
        data: bytes,
    ) -> IndexEntry:
        entry = IndexEntry.from_message(message_id, received_at, envelope_from, envelope_to, data)
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.directory / f"{message_id}.json", _entry_json(entry))
        _write_atomically(self.directory / f"{message_id}.eml", data)
        return entry

    def entries(self, *, to: str | None = None, since: str | None = None) -> list[IndexEntry]:
        """Newest first."""
        found = sorted(self._entries.values(), key=lambda e: e.id, reverse=True)
        if since is not None:
            found = [e for e in found if e.id > since]
        if to is not None:
            found = [e for e in found if e.is_addressed_to(to)]
        return found

    def get(self, message_id: str) -> IndexEntry | None:
        return self._entries.get(message_id)

    async def raw(self, message_id: str) -> bytes | None:
        if message_id not in self._entries:
            return None
        try:
            return await asyncio.to_thread((self.directory / f"{message_id}.eml").read_bytes)
        except FileNotFoundError:
            return None

    async def message(self, message_id: str) -> tuple[IndexEntry, EmailMessage] | None:
        entry = self._entries.get(message_id)
        data = await self.raw(message_id)
        if entry is None or data is None:
            return None
        return entry, await asyncio.to_thread(_parse, data)

    async def clear(self) -> int:
        async with self._lock:
            ids = list(self._entries)
            await asyncio.to_thread(self._remove_files)
            self._entries.clear()
            return len(ids)

    def _remove_files(self) -> None:
        if not self.directory.exists():
            return
        for path in self.directory.iterdir():
            # Only our own files: the store may be a directory people also use.
            if _STORE_FILE.fullmatch(path.name):
                path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- faults

FaultMode = Literal["none", "tempfail", "permfail"]


@dataclass(frozen=True)
class FaultSetting:
    mode: FaultMode = "none"
    recipient: str | None = None
    # Transactions still to be affected; None means until changed.
    count: int | None = None

    def applies_to(self, address: str) -> bool:
        if self.mode == "none":
            return False
        return self.recipient is None or (
            _normalise_address(self.recipient) == _normalise_address(address)
        )

    @property
    def reply(self) -> str:
        return TEMPFAIL_REPLY if self.mode == "tempfail" else PERMFAIL_REPLY

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "recipient": self.recipient, "count": self.count}


@dataclass
class FaultInjector:
    """Decides, recipient by recipient, whether a transaction is refused.

    ``count`` is consumed once per SMTP transaction, not per recipient: the first
    affected RCPT of a transaction claims the current setting, and the rest of that
    transaction keeps following the claimed setting even if the count runs out.
    """

    setting: FaultSetting = field(default_factory=FaultSetting)
    _claims: weakref.WeakKeyDictionary[Envelope, FaultSetting] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def configure(
        self, mode: FaultMode, recipient: str | None = None, count: int | None = None
    ) -> FaultSetting:
        if mode == "none":
            self.setting = FaultSetting()
        else:
            self.setting = FaultSetting(mode, recipient, count)
        return self.setting

    def refusal(self, envelope: Envelope, address: str) -> str | None:
        claimed = self._claims.get(envelope)
        if claimed is not None:
            return claimed.reply if claimed.applies_to(address) else None
        current = self.setting
        if not current.applies_to(address):
            return None
        if current.count is not None:
            remaining = current.count - 1
            self.setting = FaultSetting() if remaining <= 0 else replace(current, count=remaining)
        self._claims[envelope] = current
        return current.reply


# --------------------------------------------------------------------------- SMTP


class _SmtpHandler:
    def __init__(self, store: MessageStore, faults: FaultInjector) -> None:
        self._store = store
        self._faults = faults

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self._faults.refusal(envelope, address)
        if refusal is not None:
            logger.info(
                "refused from=<%s> rcpt=<%s> reply=%r", envelope.mail_from, address, refusal
            )
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content
        if not isinstance(data, bytes):
            data = bytes(data or b"")
        try:
            entry = await self._store.add(envelope.mail_from or "", envelope.rcpt_tos, data)
        except OSError:
            logger.exception("could not store message from=<%s>", envelope.mail_from)
            return "451 4.3.0 Local storage error"
        logger.info(
            "accepted id=%s from=<%s> to=%s size=%d subject=%r",
            entry.id,
            entry.envelope_from,
            ",".join(f"<{a}>" for a in entry.envelope_to),
            entry.size,
            entry.subject,
        )
        return f"250 2.0.0 OK queued as {entry.id}"


class _TrackedSMTP(SMTP):
    """Keeps a registry of live sessions so shutdown can close them.

    ``asyncio.Server.close()`` only stops listening; open SMTP sessions would keep
    their tasks alive past the loop otherwise.
    """

    def __init__(self, registry: set[_TrackedSMTP], handler: _SmtpHandler) -> None:
        super().__init__(
            handler,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="mailbox.localhost",
            ident="local mailbox",
        )
        self._registry = registry

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._registry.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._registry.discard(self)
        super().connection_lost(error)

    def abort(self) -> asyncio.Task[None] | None:
        if self.transport is not None:
            self.transport.close()
        task = self._handler_coroutine
        if task is not None:
            task.cancel()
        return task


# --------------------------------------------------------------------------- HTTP


class FaultRequest(BaseModel):
    mode: FaultMode
    recipient: str | None = None
    count: int | None = Field(default=None, ge=1)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d1d1b; }
h1 { font-size: 1.4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { background: #f3f3f3; }
tr:hover td { background: #fafafa; }
a { color: #0b5394; }
.empty { color: #666; font-style: italic; }
.toolbar { display: flex; gap: 1rem; align-items: center; margin-bottom: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; word-break: break-all; }
iframe { width: 100%; height: 70vh; border: 1px solid #ccc; background: #fff; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: 1rem; border: 1px solid #ddd; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!DOCTYPE html>\n"
        '<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _paris(entry: IndexEntry) -> str:
    return entry.received_at_paris().strftime("%d/%m/%Y %H:%M:%S")


def _index_page(entries: list[IndexEntry]) -> HTMLResponse:
    rows = "".join(
        "<tr>"
        f'<td><a href="messages/{_e(e.id)}">{_e(_paris(e))}</a></td>'
        f"<td>{_e(e.from_ or e.envelope_from)}</td>"
        f"<td>{_e(e.to or ', '.join(e.envelope_to))}</td>"
        f'<td><a href="messages/{_e(e.id)}">{_e(e.subject or "(sans objet)")}</a></td>'
        "</tr>"
        for e in entries
    )
    table = (
        "<table><thead><tr><th>Reçu le</th><th>De</th><th>À</th><th>Objet</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if entries
        else '<p class="empty">Aucun message.</p>'
    )
    count = f"{len(entries)} message" + ("s" if len(entries) > 1 else "")
    body = (
        "<h1>Boîte de réception locale</h1>"
        '<div class="toolbar">'
        f"<span>{count}</span>"
        '<a href="./">Actualiser</a>'
        '<form method="post" action="messages/delete">'
        '<button type="submit">Tout supprimer</button></form>'
        "</div>"
        f"{table}"
    )
    return _page("Boîte de réception locale", body)


def _message_page(entry: IndexEntry, msg: EmailMessage) -> HTMLResponse:
    fields: list[tuple[str, str | None]] = [
        ("Reçu le", _paris(entry)),
        ("De", entry.from_),
        ("À", entry.to),
        ("Cc", _header(msg, "Cc")),
        ("Objet", entry.subject),
        ("Date", entry.date),
        ("Message-ID", entry.message_id),
        ("List-Unsubscribe", _header(msg, "List-Unsubscribe")),
        ("Expéditeur SMTP", entry.envelope_from),
        ("Destinataires SMTP", ", ".join(entry.envelope_to)),
        ("Taille", f"{entry.size} octets"),
    ]
    details = "".join(
        f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in fields if value is not None
    )
    html_part = _part_text(msg, "html")
    text_part = _part_text(msg, "plain")
    sections = []
    if html_part is not None:
        # Empty sandbox: no scripts, no same-origin access, no forms; the page CSP
        # (inherited by srcdoc documents) forbids scripts as well.
        sections.append(
            "<h2>Version HTML</h2>"
            '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" '
            'referrerpolicy="no-referrer" title="Version HTML du message" '
            f'srcdoc="{_e(html_part)}"></iframe>'
        )
    if text_part is not None:
        sections.append(f"<h2>Version texte</h2><pre>{_e(text_part)}</pre>")
    if not sections:
        sections.append('<p class="empty">Ni partie texte ni partie HTML.</p>')
    body = (
        '<p><a href="../">← Boîte de réception locale</a></p>'
        f"<h1>{_e(entry.subject or '(sans objet)')}</h1>"
        f"<dl>{details}</dl>"
        f'<p><a href="{_e(entry.id)}.eml" download="{_e(entry.id)}.eml">'
        "Télécharger le message brut (.eml)</a></p>"
        f"{''.join(sections)}"
    )
    return _page(entry.subject or "(sans objet)", body)


def _not_found(message_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"Message inconnu : {message_id}")


def _headers_dict(msg: EmailMessage) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in _all_headers(msg):
        # Repeated headers (Received, …) are kept, one value per line.
        headers[name] = f"{headers[name]}\n{value}" if name in headers else value
    return headers


def create_app(store: MessageStore, faults: FaultInjector) -> FastAPI:
    app = FastAPI(
        title="Boîte de réception locale",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return _index_page(store.entries())

    @app.post("/messages/delete")
    async def delete_from_page(request: Request) -> Response:
        # Browsers tag cross-site form posts; refusing them keeps other sites from
        # emptying the mailbox.
        if request.headers.get("sec-fetch-site") == "cross-site":
            return JSONResponse({"detail": "Requête intersite refusée"}, status_code=403)
        await store.clear()
        return RedirectResponse("../", status_code=303)

    # Declared before /messages/{message_id} so that ".eml" is not taken as part of the id.
    @app.get("/messages/{message_id}.eml")
    async def raw_message(message_id: str) -> Response:
        data = await store.raw(message_id)
        if data is None:
            raise _not_found(message_id)
        return Response(
            data,
            media_type="message/rfc822",
            headers={"Content-Disposition": f'attachment; filename="{message_id}.eml"'},
        )

    @app.get("/messages/{message_id}", response_class=HTMLResponse)
    async def message_page(message_id: str) -> HTMLResponse:
        found = await store.message(message_id)
        if found is None:
            raise _not_found(message_id)
        return _message_page(*found)

    @app.get("/api/messages")
    async def list_messages(
        to: str | None = Query(default=None, description="Destinataire (enveloppe)"),
        since: str | None = Query(default=None, description="Seulement après cet id"),
    ) -> list[dict[str, Any]]:
        return [e.to_json() for e in store.entries(to=to, since=since)]

    @app.get("/api/messages/{message_id}")
    async def get_message(message_id: str) -> dict[str, Any]:
        found = await store.message(message_id)
        if found is None:
            raise _not_found(message_id)
        entry, msg = found
        return {
            **entry.to_json(),
            "headers": _headers_dict(msg),
            "text": _part_text(msg, "plain"),
            "html": _part_text(msg, "html"),
        }

    @app.delete("/api/messages")
    async def delete_messages() -> dict[str, int]:
        return {"deleted": await store.clear()}

    @app.get("/api/faults")
    async def get_faults() -> dict[str, Any]:
        return faults.setting.to_json()

    @app.post("/api/faults")
    async def set_faults(request: FaultRequest) -> dict[str, Any]:
        setting = faults.configure(request.mode, request.recipient, request.count)
        logger.info("faults set to %s", setting.to_json())
        return setting.to_json()

    return app


class _EmbeddedServer(uvicorn.Server):
    """uvicorn server that leaves signals to its owner and reports readiness."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class RunningMailbox:
    smtp_host: str
    smtp_port: int
    http_host: str
    http_port: int
    store_dir: Path
    store: MessageStore
    faults: FaultInjector

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.http_host)}:{self.http_port}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _bind(host: str, port: int) -> socket.socket:
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.create_server(address[:2], family=family)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def running_mailbox(
    store: Path,
    smtp_port: int = 0,
    http_port: int = 0,
    *,
    smtp_host: str = "127.0.0.1",
    http_host: str = "127.0.0.1",
) -> AsyncIterator[RunningMailbox]:
    """Run both servers on the current loop; port 0 picks a free port."""
    loop = asyncio.get_running_loop()
    message_store = MessageStore(store)
    await message_store.load()
    faults = FaultInjector()
    handler = _SmtpHandler(message_store, faults)
    sessions: set[_TrackedSMTP] = set()

    smtp_sock = _bind(smtp_host, smtp_port)
    try:
        http_sock = _bind(http_host, http_port)
    except BaseException:
        smtp_sock.close()
        raise
    smtp_server = await loop.create_server(lambda: _TrackedSMTP(sessions, handler), sock=smtp_sock)
    config = uvicorn.Config(
        create_app(message_store, faults),
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=_HTTP_GRACEFUL_SHUTDOWN_S,
    )
    http_server = _EmbeddedServer(config)
    http_task = asyncio.create_task(http_server.serve(sockets=[http_sock]))
    try:
        ready = asyncio.create_task(http_server.ready.wait())
        await asyncio.wait({ready, http_task}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if http_task.done():
            http_task.result()
            raise RuntimeError("HTTP server stopped during startup")
        yield RunningMailbox(
            smtp_host=smtp_host,
            smtp_port=smtp_sock.getsockname()[1],
            http_host=http_host,
            http_port=http_sock.getsockname()[1],
            store_dir=store,
            store=message_store,
            faults=faults,
        )
    finally:
        smtp_server.close()
        tasks = [t for t in (s.abort() for s in list(sessions)) if t is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=_SMTP_SHUTDOWN_S)
        http_server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await http_task
        http_sock.close()


async def serve(
    smtp_host: str, smtp_port: int, http_host: str, http_port: int, store: Path
) -> None:
    """Serve until cancelled."""
    async with running_mailbox(
        store, smtp_port, http_port, smtp_host=smtp_host, http_host=http_host
    ) as mailbox:
        logger.info(
            "listening smtp=%s:%d http=%s store=%s messages=%d",
            _url_host(mailbox.smtp_host),
            mailbox.smtp_port,
            mailbox.base_url,
            mailbox.store_dir,
            len(mailbox.store.entries()),
        )
        await asyncio.Event().wait()


async def _serve_until_signalled(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = asyncio.create_task(
        serve(args.smtp_host, args.smtp_port, args.http_host, args.http_port, args.store)
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({server, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if server.done():
        server.result()
        return
    server.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await server
    logger.info("stopped")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.mailbox",
        description="Local SMTP server that keeps every message, with a web UI and JSON API.",
    )
    parser.add_argument("--smtp-host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", type=Path, default=Path(".devstack/mailbox"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # aiosmtpd logs every command and uvicorn its lifecycle; one line per message
    # is what people read.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    try:
        asyncio.run(_serve_until_signalled(args))
    except OSError as exc:
        logger.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
