"""Emails from events: Jinja2 templates in French, HTML and plain text in one message.

One ``jinja2.Environment`` renders every template; HTML templates (``*.html.j2``) are
autoescaped, so a name such as ``<script>`` reaches the member as text, never as markup.
Each kind has three templates in ``notifier/templates``: ``<kind>.subject.j2``,
``<kind>.txt.j2`` and ``<kind>.html.j2`` (which extend the shared layouts).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2

from contracts import Event, get_fund
from contracts.events.auth import (
    AccountChanged,
    AccountLocked,
    ActivationCodeIssued,
    AgentAccountChanged,
    AgentPasswordResetRequested,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    PasswordResetRequested,
)
from contracts.events.messages import (
    DetailsReminderDue,
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    ThreadClosedUnanswered,
)
from notifier.adapters import mime
from notifier.domain.errors import PermanentFailure, TemplateFailure
from notifier.domain.model import DeliveryKind, Recipient, mask_email
from notifier.domain.preferences import UnsubscribeTokens
from servicekit.clock import date_fr, datetime_fr, time_fr

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
#: What an envelope address may look like: no spaces, no controls, one @ (events validate
#: addresses already; this keeps a bad one from reaching the SMTP command line).
_ADDRESS = re.compile(r"[^\s@<>\x00-\x1f\x7f]+@[^\s@<>\x00-\x1f\x7f]+")


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
                # How many files came with it, never their names.
                "attachment_count": event.attachment_count,
            }
        if isinstance(event, ReplyNotUnderstood | DetailsReminderDue | ThreadClosedUnanswered):
            context |= {
                "reference": event.reference,
                "thread_url": self.thread_url(event.thread_id),
                "messages_url": f"{base}/messages",
                "new_message_url": f"{base}/messages/nouveau",
                "unsubscribe_url": self.unsubscribe_page_url(event.member_id),
                "preferences_url": self.preferences_url,
            }
        if isinstance(event, ReplyNotUnderstood):
            context |= {
                "theme": event.theme.label,
                "subject_label": event.subject.label,
                "motif": event.motif.label,
                "due_date": event.due_date,
            }
        elif isinstance(event, DetailsReminderDue):
            context |= {"requested_at": event.requested_at, "closes_on": event.closes_on}
        elif isinstance(event, ThreadClosedUnanswered):
            context |= {"closed_at": event.closed_at}
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
        elif isinstance(event, AccountChanged):
            context |= {
                "change": event.change,
                "changed_at": event.changed_at,
                "new_email_masked": mask_email(event.new_email) if event.new_email else "",
                "forgotten_password_url": f"{base}/mot-de-passe/oubli",
                "account_url": f"{base}/compte",
                "register_url": f"{base}/inscription",
            }
        elif isinstance(event, AgentPasswordResetRequested):
            context |= {
                "reset_url": f"{base}/backoffice/mot-de-passe/nouveau#jeton={event.reset_token}",
                "expires_at": event.expires_at,
            }
        elif isinstance(event, AgentAccountChanged):
            context |= {
                "change": event.change,
                "changed_at": event.changed_at,
                "backoffice_url": f"{base}/backoffice/",
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
        parts as ``multipart/alternative``, quoted-printable, CRLF line endings."""
        parts = self.render_parts(kind, event, recipient)
        address = recipient.email
        if not _ADDRESS.fullmatch(address):
            raise PermanentFailure(f"Adresse du destinataire invalide : {address!r}")
        name = _CONTROL.sub(" ", f"{recipient.given_name} {recipient.family_name}").strip()[:200]
        try:
            to = Address(display_name=name, addr_spec=address)
        except (ValueError, IndexError, HeaderParseError) as error:  # defects are ValueErrors
            raise PermanentFailure(f"Adresse du destinataire invalide : {address!r}") from error
        headers = [
            ("From", mime.address(self.sender)),
            ("To", mime.address(to)),
            ("Subject", parts.subject),
            ("Date", format_datetime(now)),
            ("Message-ID", message_id),
            # Automatic messages: no out-of-office replies, please (RFC 3834).
            ("Auto-Submitted", "auto-generated"),
            ("X-Auto-Response-Suppress", "All"),
        ]
        if kind.about_a_thread:
            # Only notifications may be turned off; account-security emails never carry this.
            member_id: uuid.UUID = getattr(event, "member_id")  # noqa: B009 - thread events have one
            headers += [
                # One <URL> kept whole on its line (RFC 2369 headers are ASCII): folded as
                # text, a long URL would become encoded words, which no mail provider reads.
                ("List-Unsubscribe", f"<{self.one_click_unsubscribe_url(member_id)}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
        headers.append(("Content-Language", "fr"))
        return OutgoingEmail(
            message_id=message_id,
            subject=parts.subject,
            recipient=address,
            data=mime.compose(headers, text=parts.text, html=parts.html),
        )
