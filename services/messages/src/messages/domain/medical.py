"""Detection of likely medical content, to advise members before they send it.

The lexicon is data (``medical_terms.txt``): one French term per line, matched on word
boundaries regardless of case and accents; a term ending with ``*`` matches every word that
starts with it (``diabet*`` matches "diabète", "diabétique"). It only warns, never blocks.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import regex  # type: ignore[import-untyped]

MEDICAL_ADVISORY_CODE = "medical-data"
MEDICAL_ADVISORY_MESSAGE = (
    "Attention : votre message semble contenir des informations médicales. Nous vous "
    "conseillons de ne pas communiquer d'information relative à des données médicales : "
    "retirez-les avant d'envoyer votre message si elles ne sont pas indispensables."
)


def fold(text: str) -> str:
    """Lower case without accents: "Hôpital" and "HOPITAL" both become "hopital"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return without_marks.replace("œ", "oe").replace("æ", "ae")


@dataclass(frozen=True)
class Advisory:
    code: str
    message: str


class MedicalLexicon:
    def __init__(self, terms: list[str]) -> None:
        alternatives = []
        for raw in terms:
            term = raw.strip()
            if not term or term.startswith("#"):
                continue
            prefix = term.endswith("*")
            words = fold(term.rstrip("*")).split()
            body = r"[\s'’-]+".join(regex.escape(word) for word in words)
            alternatives.append(body + (r"\w*" if prefix else ""))
        # Longest first, so "examen sanguin" wins over a shorter term at the same place.
        alternatives.sort(key=len, reverse=True)
        self._pattern = regex.compile(
            r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", regex.UNICODE
        )

    def matches(self, text: str) -> list[str]:
        """The terms found in ``text``, folded, in order of appearance, without repeats."""
        found: list[str] = []
        for match in self._pattern.finditer(fold(text)):
            if match.group(0) not in found:
                found.append(match.group(0))
        return found

    def advisories(self, text: str) -> list[Advisory]:
        if self.matches(text):
            return [Advisory(MEDICAL_ADVISORY_CODE, MEDICAL_ADVISORY_MESSAGE)]
        return []


@cache
def medical_lexicon() -> MedicalLexicon:
    source = resources.files("messages.domain").joinpath("medical_terms.txt")
    return MedicalLexicon(source.read_text("utf-8").splitlines())
