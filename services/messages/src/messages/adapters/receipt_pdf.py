"""The proof of deposit as a PDF (fpdf2): French, sober, in the colours of the State design
system, the same bytes every time for the same message.

What it prints: the fund's name, « Accusé de dépôt », the reference, the date and time of
sending to the second in Europe/Paris, theme / subject / motif, the message's text, the
expected answer date, and the SHA-256 fingerprint in full with how to check it on the page
« Vérifier un accusé de dépôt ». The fingerprint is also in the document's keywords
(``sha256:<hex>``), where ``fingerprint_in_pdf`` finds it when a PDF is sent for checking.

What the member chose and wrote is set in DejaVu Sans (``fonts/``, cut down by
``scripts/subset_receipt_fonts.py``): every French letter (« œ », the narrow no-break space...),
punctuation, currency and common symbols. A character the font lacks (an emoji, Greek...) is
printed as « � » (the fingerprint is computed on the text as received, never on what is
printed). Headings and labels are in the core font Helvetica Bold (Windows-1252: the French
letters, « œ » included), which needs no embedding: a second embedded font cost a third more
time (``bench/bench_receipt.py``). Deterministic: the creation date is the sending time and fpdf2's
file identifier is derived from the content, so the PDF's own bytes can be hashed too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from messages.domain import calendar
from messages.domain.views import Receipt
from servicekit.clock import PARIS, date_fr

FONTS = Path(__file__).parent / "fonts"
REGULAR = FONTS / "DejaVuSans-receipt.ttf"

#: Where the portal's page « Vérifier un accusé de dépôt » is, under PUBLIC_BASE_URL.
VERIFY_PAGE_PATH = "/verifier-un-accuse-de-depot"

_KEYWORD = re.compile(rb"sha256:([0-9a-f]{64})")
_REPLACEMENT = "\N{REPLACEMENT CHARACTER}"

# The State design system's colours: blue France, grey text, light grey background.
_BLUE = (0, 0, 145)
_GREY = (58, 58, 58)
_LIGHT = (246, 246, 246)
_MARGIN = 20.0


@cache
def _printable() -> frozenset[int]:
    """The code points the embedded font draws."""
    font = TTFont(REGULAR, lazy=True)
    return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """``text`` with each character the font cannot draw replaced by « � »."""
    known = _printable()
    return "".join(
        character if ord(character) in known or character == "\n" else _REPLACEMENT
        for character in text
    )


def latin(text: str) -> str:
    """``text`` as the core font can print it (Windows-1252), anything else as « ? »."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


def paris_datetime_to_the_second(moment: datetime) -> str:
    """``lundi 2 février 2026 à 10:30:00 (heure de Paris)``."""
    local = moment.astimezone(PARIS)
    return f"{date_fr(local)} à {local:%H:%M:%S} (heure de Paris)"


def verify_page_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + VERIFY_PAGE_PATH


def fingerprint_in_pdf(content: bytes) -> str | None:
    """The fingerprint a proof of deposit carries in its keywords, if it is one of ours."""
    found = _KEYWORD.search(content)
    return found.group(1).decode("ascii") if found else None


def wrapped_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` cut into lines no wider than ``width``: at its line breaks, then between
    words, and inside a word longer than a line. Each word is measured once (fpdf2's
    ``multi_cell`` measures the whole line again at each character: three times slower)."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = measure(word)
            if line and line_width + space + word_width <= width:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            line, line_width = word, word_width
            while line_width > width and len(line) > 1:  # a word longer than a line
                cut, used = 0, 0.0
                for character in line:
                    used += measure(character)
                    if cut and used > width:
                        break
                    cut += 1
                lines.append(line[:cut])
                line = line[cut:]
                line_width = measure(line)
        lines.append(line)
    return lines


def _text_block(pdf: FPDF, text: str, width: float) -> None:
    """The member's text on a light grey background, line by line (pages break between lines)."""
    padding, line_height = 3.0, 5.5
    pdf.set_fill_color(*_LIGHT)
    pdf.cell(width, padding, "", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    margin = pdf.c_margin
    pdf.c_margin = padding
    for line in wrapped_lines(text, width - 2 * padding, pdf.get_string_width):
        pdf.cell(width, line_height, line, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.c_margin = margin
    pdf.cell(width, padding, "", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class _Document(FPDF):
    def __init__(self, reference: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.reference = reference

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", size=8)
        self.set_text_color(*_GREY)
        self.cell(
            0,
            5,
            f"Accusé de dépôt {self.reference} — page {self.page_no()}/{{nb}}",
            align="C",
        )


class ReceiptPrinter:
    """Prints proofs of deposit; ``public_base_url`` tells where the verification page is."""

    def __init__(self, public_base_url: str) -> None:
        self.verify_url = verify_page_url(public_base_url)

    def filename(self, receipt: Receipt) -> str:
        return f"accuse-de-depot-{receipt.thread.reference}.pdf"

    def render(self, receipt: Receipt) -> bytes:
        thread, message = receipt.thread, receipt.message
        pdf = _Document(thread.reference)
        pdf.set_creation_date(message.created_at)
        pdf.set_lang("fr-FR")
        pdf.set_title(f"Accusé de dépôt {thread.reference}")
        pdf.set_author(receipt.fund_name)
        pdf.set_subject("Accusé de dépôt d'un message - Mes messages et mes réponses")
        pdf.set_keywords(f"sha256:{receipt.digest}")
        pdf.set_creator("Mes messages et mes réponses")
        pdf.core_fonts_encoding = "windows-1252"
        pdf.add_font("DejaVu", "", REGULAR)
        pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        pdf.set_auto_page_break(True, margin=22)
        pdf.add_page()
        width = pdf.epw

        # The fund, as the header of a State site: its name over a blue rule.
        pdf.set_text_color(*_GREY)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(width, 7, latin(receipt.fund_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", size=9)
        pdf.cell(width, 5, "Mes messages et mes réponses", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*_BLUE)
        pdf.set_line_width(0.8)
        pdf.line(_MARGIN, pdf.get_y() + 3, _MARGIN + width, pdf.get_y() + 3)
        pdf.ln(9)

        pdf.set_text_color(*_BLUE)
        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(width, 10, "Accusé de dépôt", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*_GREY)
        pdf.set_font("DejaVu", size=10)
        received = (
            "Votre caisse a bien reçu le message complémentaire ci-dessous."
            if message.follow_up
            else "Votre caisse a bien reçu le message ci-dessous."
        )
        pdf.multi_cell(width, 5, received, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.ln(4)

        due = calendar.due_date(message.created_at, thread.response_time_days)
        rows = [
            ("Référence", thread.reference),
            ("Déposé le", paris_datetime_to_the_second(message.created_at)),
            ("Thème", thread.theme.label),
            ("Sujet", thread.subject.label),
            ("Motif", thread.motif.label),
            ("Réponse attendue", f"au plus tard le {date_fr(due)}"),
        ]
        label_width = 42.0
        for label, value in rows:
            pdf.set_font("Helvetica", "B", 10)
            pdf.cell(label_width, 6, label)
            pdf.set_font("DejaVu", size=10)
            pdf.multi_cell(
                width - label_width,
                6,
                printable(value),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
                align="L",
            )
        pdf.ln(4)

        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(width, 7, "Votre message", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", size=10)
        pdf.set_fill_color(*_LIGHT)
        _text_block(pdf, printable(message.body), width)
        pdf.ln(5)

        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(width, 7, "Empreinte numérique (SHA-256)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Courier", size=9.5)
        pdf.cell(width, 6, receipt.digest, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(
            width,
            4.5,
            "Pour vérifier que ce document correspond au message reçu par votre caisse, "
            "saisissez la référence et cette empreinte sur la page « Vérifier un accusé de "
            f"dépôt » : {self.verify_url}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            align="L",
        )
        pdf.ln(2)
        pdf.set_font("DejaVu", size=8)
        pdf.multi_cell(
            width,
            4,
            "L'empreinte est calculée sur le message tel que votre caisse l'a reçu ; "
            "un caractère que ce document ne peut pas afficher y est remplacé par « � ».",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            align="L",
        )
        return bytes(pdf.output())
