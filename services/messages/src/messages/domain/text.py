"""The rules a message, a reply or a note must follow, and the way characters are counted.

Characters are counted as a person counts them, and as the page's "N caractères restants."
counter does (``Intl.Segmenter`` over the NFC-normalised text): one user-perceived
character (an extended grapheme cluster) is one character, so an emoji, a letter with a
combining accent or a flag each count as one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex  # type: ignore[import-untyped]

from messages.domain.errors import InvalidText

_GRAPHEME = regex.compile(r"\X")

#: Line breaks are kept; every one of them is stored as "\n".
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85")

MESSAGE_MIN = 10
MESSAGE_MAX = 750
REPLY_MIN = 1
REPLY_MAX = 5000


def count_characters(text: str) -> int:
    """Number of user-perceived characters of ``text`` (NFC, extended grapheme clusters)."""
    return len(_GRAPHEME.findall(unicodedata.normalize("NFC", text)))


@dataclass(frozen=True)
class CheckedText:
    """A text that follows the rules: normalised, trimmed, and its character count."""

    text: str
    characters: int


def check_text(
    raw: str,
    *,
    minimum: int,
    maximum: int,
    what: str = "Votre message",
) -> CheckedText:
    """Normalise ``raw`` (NFC, line breaks as "\\n", trimmed) and check it; ``InvalidText`` if not.

    ``what`` names the text in the French error ("Votre message", "Votre réponse"...).
    """
    text = unicodedata.normalize("NFC", raw)
    for line_break in _LINE_BREAKS:
        text = text.replace(line_break, "\n")
    text = text.strip()
    refused = sorted({_describe(char) for char in text if _is_refused_control(char)})
    if refused:
        raise InvalidText(
            "control-characters",
            f"{what} contient des caractères non autorisés ({', '.join(refused)}) : "
            "retirez-les (par exemple en retapant le texte plutôt qu'en le collant) puis réessayez.",
        )
    characters = count_characters(text)
    if characters == 0:
        raise InvalidText("empty", f"{what} est vide : écrivez votre texte puis réessayez.")
    if characters < minimum:
        raise InvalidText(
            "too-short",
            f"{what} doit comporter au moins {minimum} caractères ; il en compte {characters}. "
            "Complétez-le puis réessayez.",
            characters=characters,
        )
    if characters > maximum:
        raise InvalidText(
            "too-long",
            f"{what} doit comporter au plus {_thousands(maximum)} caractères ; il en compte "
            f"{_thousands(characters)}. Raccourcissez-le de {_thousands(characters - maximum)} "
            "caractères puis réessayez.",
            characters=characters,
        )
    return CheckedText(text=text, characters=characters)


def _is_refused_control(char: str) -> bool:
    """Control characters (except the line break) and lone surrogates, which no keyboard types."""
    return char != "\n" and unicodedata.category(char) in ("Cc", "Cs")


def has_control_characters(text: str) -> bool:
    """For short fields (names, search words): any control character at all."""
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in text)


def _describe(char: str) -> str:
    if char == "\t":
        return "tabulation"
    return f"U+{ord(char):04X}"


def _thousands(number: int) -> str:
    """5000 as "5 000", the French way (with a narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")
