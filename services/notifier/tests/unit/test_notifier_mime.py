"""The email's bytes as the notifier writes them, read back by the standard library's
parsers: what a mail client shows must be what the templates rendered."""

from __future__ import annotations

import email.policy
import re
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.parser import BytesParser
from email.utils import parseaddr

import pytest

from notifier.adapters import mime

TEXTS = [
    "Bonjour,\n\nVotre message a bien été envoyé.\n",
    "une ligne très longue " * 20 + "\nfin",
    "égal = signe, 100 % = 3D, tabulation\tici, espaces en fin   \n.\n. point seul\nFrom là",
    "emoji 📨 et guillemets « français »\r\nfin de ligne Windows\r\n",
    "",
]


def decoded(data: bytes, name: str) -> str:
    """A header's value as RFC 5322 and 2047 read it: unfolded, then its encoded words
    decoded, the whitespace between two of them not being text (the standard library's
    newer parser keeps it: ``compat32`` and ``make_header`` follow the RFC)."""
    raw = BytesParser(policy=email.policy.compat32).parsebytes(data)[name]
    return str(make_header(decode_header(re.sub(r"\r?\n(?=[ \t])", "", raw))))


def parse(data: bytes) -> email.message.EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(message, email.message.EmailMessage)
    return message


@pytest.mark.parametrize("text", TEXTS)
def test_both_parts_read_back_as_written(text: str) -> None:
    html = f"<p>{text}</p>"
    data = mime.compose([("Subject", "Sujet")], text=text, html=html)

    message = parse(data)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert rich is not None

    def lines(value: str) -> str:  # the text as a client shows it, whatever its line endings
        return value.replace("\r\n", "\n").rstrip("\n")

    assert lines(plain.get_content()) == lines(text)
    assert lines(rich.get_content()) == lines(html)
    assert all(len(line) <= 76 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF line endings only


@pytest.mark.parametrize(
    "subject",
    [
        "Votre message a bien été envoyé",
        "Réponse disponible : " + "é" * 150,
        "ASCII only but long " * 8,
        "Un sujet — avec un tiret cadratin et des « guillemets »",
    ],
)
def test_subjects_survive_encoding_and_folding(subject: str) -> None:
    data = mime.compose([("Subject", subject)], text="x", html="x")
    assert decoded(data, "Subject") == subject
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Camille MARTIN", "Camille MARTIN"),
        ("Dupont, Jean", '"Dupont, Jean"'),
        ('Le "grand" Jean', '"Le \\"grand\\" Jean"'),
        ("Hélène NOËL-LEFÈVRE", None),
        ("Marie-Ange Élodie Françoise Hélène Bénédicte Zoé Chloé Agnès Anaïs NOËL", None),
    ],
)
def test_addresses_keep_their_name_and_mailbox(name: str, shown: str | None) -> None:
    mailbox = Address(display_name=name, addr_spec="camille@example.fr")
    data = mime.compose([("To", mime.address(mailbox))], text="x", html="x")

    assert parseaddr(decoded(data, "To")) == (name, "camille@example.fr")
    if shown is not None:
        assert mime.address(mailbox) == f"{shown} <camille@example.fr>"
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))


def test_a_long_link_stays_whole_on_its_line() -> None:
    link = "<https://mes-messages.msa.fr/api/notifier/unsubscribe?token=" + "a" * 120 + ">"
    data = mime.compose([("List-Unsubscribe", link)], text="x", html="x")
    assert f"List-Unsubscribe: {link}\r\n".encode() in data
    assert parse(data)["List-Unsubscribe"] == link


def test_the_boundary_is_new_for_each_email_and_absent_from_the_parts() -> None:
    first = parse(mime.compose([], text="==a==", html="b")).get_boundary()
    second = parse(mime.compose([], text="==a==", html="b")).get_boundary()
    assert first
    assert first != second
