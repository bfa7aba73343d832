"""An email's bytes, written directly: headers, then a text and an HTML part as
``multipart/alternative``, quoted-printable UTF-8, CRLF line endings (RFC 5322, 2045-2047).

The standard library's ``EmailMessage`` builds the same message through its header registry
and generator, parsing every header it is given and folding it again: about a millisecond
per email, the notifier's largest cost after the network. What an email needs here is
narrow (a fixed set of headers, two text parts), so it is written out: non-ASCII header text
as RFC 2047 encoded words, bodies through ``binascii.b2a_qp``. The tests
read the result back with the standard library's parsers."""

from __future__ import annotations

import binascii
import functools
import secrets
from collections.abc import Sequence
from email.headerregistry import Address
from email.utils import quote

#: RFC 5322 recommends lines of at most 78 characters; RFC 2047 encoded words of at most 75.
MAX_LINE = 76
CRLF = "\r\n"


def header(name: str, value: str) -> str:
    """``Name: value`` and its CRLF, folded; encoded words where ``value`` is not ASCII."""
    if value.isascii():
        return _fold_ascii(name, value)
    return _fold_ascii(name, " ".join(encoded_words(value)))


#: What a Q-encoded word may carry as it is (RFC 2047 5.3, the strictest of its contexts).
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="


@functools.lru_cache(maxsize=4096)
def _q(character: str) -> str:
    if character in _PLAIN:
        return character
    if character == " ":
        return "_"
    return "".join(f"={byte:02X}" for byte in character.encode("utf-8"))


def encoded_words(text: str, limit: int = MAX_LINE - len("Subject: ")) -> list[str]:
    """``text`` as Q-encoded UTF-8 words of ``limit`` characters at most, a character never
    split between two (RFC 2047: the whitespace between encoded words is not text, so the
    spaces of ``text`` are encoded within them)."""
    room = limit - len(_PREFIX) - len(_SUFFIX)
    words: list[str] = []
    current: list[str] = []
    size = 0
    for character in text:
        encoded = _q(character)
        if size + len(encoded) > room and current:
            words.append(_PREFIX + "".join(current) + _SUFFIX)
            current, size = [], 0
        current.append(encoded)
        size += len(encoded)
    if current:
        words.append(_PREFIX + "".join(current) + _SUFFIX)
    return words


def _fold_ascii(name: str, value: str) -> str:
    """At the spaces, in lines of ``MAX_LINE`` at most where words allow (a word longer than
    a line, a URL, stays whole: lines may reach 998). Unfolding gives ``value`` back."""
    lines: list[str] = []
    line = f"{name}:"
    for word in value.split(" "):
        # a break only before a word, so that no line is made of spaces alone
        if word and len(line) + 1 + len(word) > MAX_LINE and line.strip(" ") != f"{name}:":
            lines.append(line)
            line = ""
        line = f"{line} {word}"
    lines.append(line)
    return CRLF.join(lines) + CRLF


def address(mailbox: Address) -> str:
    """``Name <local@domain>``: the name quoted where RFC 5322 asks it, encoded where it is
    not ASCII (several encoded words for a long one)."""
    if not mailbox.display_name:
        return mailbox.addr_spec
    return f"{display_name(mailbox.display_name)} <{mailbox.addr_spec}>"


@functools.lru_cache(maxsize=64)
def display_name(name: str) -> str:
    if name.isascii():
        if any(c in name for c in '()<>@,;:\\".[]'):
            return f'"{quote(name)}"'
        return name
    return " ".join(encoded_words(name, MAX_LINE - len("From: ")))


def quoted_printable(text: str) -> str:
    """``text`` in UTF-8, quoted-printable, in lines of 76 at most, CRLF line endings."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return encoded.decode("ascii").replace("\n", CRLF)


def boundary() -> str:
    """Cannot occur in a quoted-printable part: ``=`` is always written ``=3D`` there."""
    return f"=={secrets.token_hex(12)}=="


def compose(headers: Sequence[tuple[str, str]], *, text: str, html: str) -> bytes:
    """The message: ``headers`` (their values as text, not yet encoded), then the parts."""
    mark = boundary()
    out = [header(name, value) for name, value in headers]
    out.append(f'MIME-Version: 1.0{CRLF}Content-Type: multipart/alternative; boundary="{mark}"')
    out.append(CRLF + CRLF)
    for subtype, body in (("plain", text), ("html", html)):
        out.append(
            f"--{mark}{CRLF}"
            f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        )
        out.append(quoted_printable(body))
        out.append(CRLF)
    out.append(f"--{mark}--{CRLF}")
    return "".join(out).encode("ascii")
