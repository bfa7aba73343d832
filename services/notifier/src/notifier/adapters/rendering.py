"""Emails from events: Jinja2 templates in French, HTML and plain text in one message.

One ``jinja2.Environment`` renders every template; HTML templates (``*.html.j2``) are
autoescaped, so a name such as ``<script>`` reaches the member as text, never as markup.
Each kind has three templates in ``notifier/templates``: ``<kind>.subject.j2``,
``<kind>.txt.j2`` and ``<kind>.html.j2`` (which extend the shared layouts).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from contracts import Event, get_fund
from contracts.events.auth import (
    AccountLocked,
    ActivationCodeIssued,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    PasswordResetRequested,
)
from contracts.events.messages import MessageSubmitted, ReplyPosted
from notifier.domain.errors import PermanentFailure, TemplateFailure
from notifier.domain.model import DeliveryKind, Recipient
from notifier.domain.preferences import UnsubscribeTokens

PARIS = ZoneInfo("Europe/Paris")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
#: Bytes of text per encoded word: 45 bytes make 60 in base64, and the whole word
#: ``=?utf-8?b?...?=`` stays within the 75 characters RFC 2047 allows.
_WORD_BYTES = 45
#: A word that may appear as it is in a display name (RFC 5322 atext).
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
#: What an envelope address may look like: no spaces, no controls, one @ (events validate
#: addresses already; this keeps a bad one from reaching the SMTP command line).
_ADDRESS = re.compile(r"[^\s@<>\x00-\x1f\x7f]+@[^\s@<>\x00-\x1f\x7f]+")


def date_fr(value: date | datetime) -> str:
    """``mercredi 10 décembre 2026``; a date and time is shown as the day in Paris."""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    day = "1er" if value.day == 1 else str(value.day)
    return f"{_DAYS[value.weekday()]} {day} {_MONTHS[value.month - 1]} {value.year}"


def time_fr(value: datetime) -> str:
    """``14 h 05``, in Paris."""
    local = value.astimezone(PARIS)
    return f"{local.hour} h {local.minute:02d}"


def datetime_fr(value: datetime) -> str:
    """``mercredi 10 décembre 2026 à 14 h 05``, in Paris."""
    return f"{date_fr(value)} à {time_fr(value)}"


@dataclass(frozen=True)
class OutgoingEmail:
    """An email as it goes on the wire."""

    message_id: str
    subject: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    def __init__(
        self,
        *,
        public_base_url: str,
        sender: Address,
        unsubscribe_tokens: UnsubscribeTokens,
        templates: Path = TEMPLATES,
    ) -> None:
        self.public_base_url = public_base_url.rstrip("/")
        self.sender = sender
        self.unsubscribe_tokens = unsubscribe_tokens
        self._from = _mailbox(sender.display_name, sender.addr_spec)
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2",), default_for_string=True, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=False,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.environment.filters.update(date_fr=date_fr, time_fr=time_fr, datetime_fr=datetime_fr)

    # --- links, as the portal names its pages

    def thread_url(self, thread_id: object) -> str:
        return f"{self.public_base_url}/messages/{thread_id}"

    @property
    def preferences_url(self) -> str:
        return f"{self.public_base_url}/compte#notifications"

    def unsubscribe_page_url(self, member_id: uuid.UUID) -> str:
        """The portal page that explains, then turns thread emails off; the token is in the
        fragment, so it never reaches a server's log."""
        return (
            f"{self.public_base_url}/desabonnement#jeton={self.unsubscribe_tokens.issue(member_id)}"
        )

    def one_click_unsubscribe_url(self, member_id: uuid.UUID) -> str:
        """``List-Unsubscribe``: where mail clients POST ``List-Unsubscribe=One-Click`` (RFC 8058)."""
        token = self.unsubscribe_tokens.issue(member_id)
        return f"{self.public_base_url}/api/notifier/unsubscribe?token={token}"

    def context(self, kind: DeliveryKind, event: Event, recipient: Recipient) -> dict[str, Any]:
        """What the templates of ``kind`` may use."""
        base = self.public_base_url
        fund = get_fund(getattr(event, "fund"))  # noqa: B009 - every event we mail has a fund
        context: dict[str, Any] = {"fund": fund, "recipient": recipient, "kind": kind.value}
        if isinstance(event, MessageSubmitted | ReplyPosted):
            context |= {
                "reference": event.reference,
                "theme": event.theme.label,
                "subject_label": event.subject.label,
                "motif": event.motif.label,
                "thread_url": self.thread_url(event.thread_id),
                "messages_url": f"{base}/messages",
                "unsubscribe_url": self.unsubscribe_page_url(event.member_id),
                "preferences_url": self.preferences_url,
            }
        if isinstance(event, MessageSubmitted):
            context |= {"submitted_at": event.submitted_at, "due_date": event.due_date}
        elif isinstance(event, ReplyPosted):
            context |= {"posted_at": event.posted_at}
        elif isinstance(event, ActivationCodeIssued):
            context |= {
                "code": event.code,
                "expires_at": event.expires_at,
                "activation_url": f"{base}/inscription/activation",
            }
        elif isinstance(event, PasswordResetRequested):
            context |= {
                "reset_url": f"{base}/mot-de-passe/nouveau#jeton={event.reset_token}",
                "expires_at": event.expires_at,
            }
        elif isinstance(event, AccountLocked):
            context |= {
                "locked_until": event.locked_until,
                "forgotten_password_url": f"{base}/mot-de-passe/oubli",
            }
        elif isinstance(event, EmailChangeCodeIssued):
            context |= {
                "code": event.code,
                "expires_at": event.expires_at,
                "account_url": f"{base}/compte",
            }
        elif isinstance(event, FranceConnectLinked):
            context |= {
                "linked_at": event.linked_at,
                "confirmed_by": event.confirmed_by,
                "forgotten_password_url": f"{base}/mot-de-passe/oubli",
            }
        return context

    def render_parts(self, kind: DeliveryKind, event: Event, recipient: Recipient) -> RenderedEmail:
        """Subject, text and HTML of one email; a template that fails is a permanent failure
        (retrying will not fix it), never a crash of the worker."""
        try:
            context = self.context(kind, event, recipient)
            subject = " ".join(
                self.environment.get_template(f"{kind.value}.subject.j2").render(context).split()
            )
            context["subject"] = subject
            text = self.environment.get_template(f"{kind.value}.txt.j2").render(context)
            html = self.environment.get_template(f"{kind.value}.html.j2").render(context)
        except (jinja2.TemplateError, LookupError, AttributeError, TypeError, ValueError) as error:
            raise TemplateFailure(
                f"Modèle d'e-mail {kind.value} inutilisable : {type(error).__name__}: {error}"
            ) from error
        return RenderedEmail(subject=subject, text=text, html=html)

    def render(
        self,
        *,
        kind: DeliveryKind,
        event: Event,
        recipient: Recipient,
        message_id: str,
        now: datetime,
    ) -> OutgoingEmail:
        """The whole email, ready for the SMTP DATA command: headers, then the text and HTML
        parts as ``multipart/alternative``, quoted-printable, CRLF line endings.

        Written out directly rather than through ``email.message.EmailMessage``, whose
        header parsing and folding cost twenty times the rendering itself."""
        parts = self.render_parts(kind, event, recipient)
        address = recipient.email
        if not _ADDRESS.fullmatch(address):
            raise PermanentFailure(f"Adresse du destinataire invalide : {address!r}")
        name = _CONTROL.sub(" ", f"{recipient.given_name} {recipient.family_name}").strip()[:200]
        boundary = f"=_{uuid.uuid4().hex}"
        headers = [
            ("From", self._from),
            ("To", _mailbox(name, address)),
            ("Subject", _encoded(parts.subject)),
            ("Date", format_datetime(now)),
            ("Message-ID", message_id),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            ("Content-Language", "fr"),
            # Automatic messages: no out-of-office replies, please (RFC 3834).
            ("Auto-Submitted", "auto-generated"),
            ("X-Auto-Response-Suppress", "All"),
        ]
        if kind.about_a_thread:
            # Only notifications may be turned off; account-security emails never carry this.
            member_id: uuid.UUID = getattr(event, "member_id")  # noqa: B009 - thread events have one
            headers += [
                ("List-Unsubscribe", f"<{self.one_click_unsubscribe_url(member_id)}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
        lines = [f"{header}: {value}" for header, value in headers]
        for subtype, content in (("plain", parts.text), ("html", parts.html)):
            lines += [
                "",
                f"--{boundary}",
                f'Content-Type: text/{subtype}; charset="utf-8"',
                "Content-Transfer-Encoding: quoted-printable",
                "",
                _quoted_printable(content),
            ]
        lines += [f"--{boundary}--", ""]
        return OutgoingEmail(
            message_id=message_id,
            subject=parts.subject,
            recipient=address,
            data="\r\n".join(lines).encode("ascii"),
        )


def _encoded(value: str) -> str:
    """Text as RFC 2047 encoded words (base64), one per folded line; a character is never
    split across two words. Plain ASCII stays as it is."""
    if value.isascii() and "=?" not in value:
        return value
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for character in value:
        width = len(character.encode("utf-8"))
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(character)
        size += width
    words.append("".join(chunk))
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words
    )


def _mailbox(name: str, address: str) -> str:
    """``Name <address>``, the name quoted or encoded as it needs."""
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    # Plain words stay as they are and runs of the others become encoded words: readers
    # show "Marie-Ange SANTONI-ÇÀ" whether or not they keep the space between two words.
    words: list[str] = []
    run: list[str] = []
    for word in name.split():
        if _ATOM.fullmatch(word):
            if run:
                words.append(_encoded(" ".join(run)))
                run = []
            words.append(word)
        else:
            run.append(word)
    if run:
        words.append(_encoded(" ".join(run)))
    return f"{' '.join(words)} <{address}>"


def _quoted_printable(text: str) -> str:
    crlf = "\r\n".join(text.splitlines())
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True).decode("ascii")
