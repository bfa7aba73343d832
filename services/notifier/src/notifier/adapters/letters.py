"""Postal letters: printed as PDF (fpdf2) and dropped in the outgoing mail.

The outgoing mail is a folder (``NOTIFIER_LETTERS_DIR``): the hand-off to whoever prints and
posts the letters (a hybrid-mail provider's drop folder, or, locally, the folder the
devstack's letters page lists). Each letter is written once under its event's id, atomically
(a temporary file renamed), so a letter written again after a crash is the same file.

The letter is set in the core font Helvetica (Windows-1252: every French letter, « œ »
included), which needs no embedding; a character outside it prints as « ? ».
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events.registry import ActivationLetterRequested
from contracts.funds import get_fund
from notifier.adapters.orm import LETTERS
from servicekit.clock import date_fr, datetime_fr

# The State design system's blue France and grey text.
_BLUE = (0, 0, 145)
_GREY = (58, 58, 58)
_MARGIN = 20.0

ACTIVATION_PATH = "/inscription/activation"


def latin(text: str) -> str:
    """``text`` as the core font prints it (Windows-1252), anything else as « ? »."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


def activation_letter_pdf(
    letter: ActivationLetterRequested, *, posted_at: datetime, public_base_url: str
) -> bytes:
    """The French letter that carries an activation code to the registry's address."""
    fund = get_fund(letter.fund)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(posted_at)
    pdf.set_lang("fr-FR")
    pdf.set_title("Votre code d'activation")
    pdf.set_author(fund.name)
    pdf.set_creator("Mes messages et mes réponses")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.add_page()
    width = pdf.epw

    # The sender, top left.
    pdf.set_text_color(*_BLUE)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(width, 6, latin(fund.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_GREY)
    pdf.set_font("Helvetica", "", 10)
    for line in fund.postal_address[1:]:
        pdf.cell(width, 5, latin(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # The recipient, in the window of a DL envelope (right, about 45 mm from the top).
    pdf.set_xy(110, 45)
    pdf.set_font("Helvetica", "", 11)
    recipient = [letter.recipient, *letter.address.lines]
    recipient.append(f"{letter.address.postal_code} {letter.address.city.upper()}")
    for line in recipient:
        pdf.set_x(110)
        pdf.cell(80, 5.5, latin(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_xy(_MARGIN, 85)
    pdf.set_font("Helvetica", "", 10)
    town = fund.postal_city.split(" ", 1)[-1].title() if fund.postal_city else ""
    dated = f"{town}, le {date_fr(posted_at)}" if town else f"Le {date_fr(posted_at)}"
    pdf.cell(width, 5, latin(dated), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(
        width,
        5.5,
        latin("Objet : votre code d'activation de l'espace « Mes messages et mes réponses »"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(5)
    pdf.set_font("Helvetica", "", 11)
    paragraphs = [
        "Madame, Monsieur,",
        "Une demande de création de votre espace privé « Mes messages et mes réponses » a été "
        "faite avec votre numéro de sécurité sociale. Pour l'activer, saisissez le code "
        "ci-dessous avec votre numéro de sécurité sociale :",
    ]
    for paragraph in paragraphs:
        pdf.multi_cell(width, 5.5, latin(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    pdf.ln(2)
    pdf.set_text_color(*_BLUE)
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(width, 12, f"Code d'activation : {letter.code}", align="C")
    pdf.ln(16)
    pdf.set_text_color(*_GREY)
    pdf.set_font("Helvetica", "", 11)
    site = public_base_url.rstrip("/") + ACTIVATION_PATH
    closing = [
        f"Ce code est valable jusqu'au {datetime_fr(letter.expires_at)} (heure de Paris). "
        "Après 5 essais erronés, il n'est plus accepté : vous pouvez alors en demander un "
        "nouveau sur la même page.",
        f"Page d'activation : {site}",
        "Si vous n'êtes pas à l'origine de cette demande, ne faites rien : sans ce code, "
        "personne ne peut ouvrir d'espace à votre nom. Vous pouvez le signaler à votre caisse.",
        "Nous vous prions d'agréer, Madame, Monsieur, nos salutations distinguées.",
        f"{fund.name}",
    ]
    for paragraph in closing:
        pdf.multi_cell(width, 5.5, latin(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    return bytes(pdf.output())


class OutgoingMail:
    """The folder letters are dropped in for printing and posting."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def file_name(self, letter_id: uuid.UUID) -> str:
        return f"courrier-{letter_id}.pdf"

    def drop(self, letter_id: uuid.UUID, content: bytes) -> str:
        """Write the letter (atomically; the same name if written again); its file name."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = self.file_name(letter_id)
        temporary = self.folder / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(content)
        os.replace(temporary, self.folder / name)
        return name


class LetterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        letter_id: uuid.UUID,
        kind: str,
        member_id: uuid.UUID,
        fund: str,
        postal_code: str,
        city: str,
        file_name: str,
        posted_at: datetime,
    ) -> None:
        await self._session.execute(
            pg_insert(LETTERS)
            .values(
                id=letter_id,
                kind=kind,
                member_id=member_id,
                fund=fund,
                postal_code=postal_code,
                city=city,
                file_name=file_name,
                posted_at=posted_at,
            )
            .on_conflict_do_nothing(index_elements=[LETTERS.c.id])
        )

    async def count(self) -> int:
        counted = await self._session.scalar(select(func.count()).select_from(LETTERS))
        return int(counted or 0)
