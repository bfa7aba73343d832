"""The proof of deposit: what checking one takes and answers."""

from __future__ import annotations

import base64
import binascii

from pydantic import Field, field_validator, model_validator

from messages.domain.views import ReceiptCheck
from messages.entrypoints.http.schemas.common import Public, RequestBody

#: A proof of deposit is a few tens of kilobytes; a larger file is not one.
PDF_MAX_BYTES = 2_000_000


class ReceiptVerify(RequestBody):
    """A reference and the fingerprint printed on its proof of deposit, or the PDF itself
    (base64); one of ``sha256`` and ``pdf`` is required."""

    reference: str = Field(min_length=1, max_length=40, examples=["NPC-2026-000123"])
    sha256: str | None = Field(
        default=None,
        max_length=100,
        description="The 64 hexadecimal digits printed on the PDF (case and spaces ignored).",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )
    pdf: str | None = Field(
        default=None,
        max_length=PDF_MAX_BYTES * 4 // 3 + 4,
        description="The proof of deposit's PDF, base64-encoded; its fingerprint is read from it.",
    )

    @field_validator("pdf")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("Le fichier n'est pas encodé en base64.") from None
        return value

    @model_validator(mode="after")
    def _one_of(self) -> ReceiptVerify:
        if not self.sha256 and not self.pdf:
            raise ValueError("Indiquez l'empreinte (sha256) ou joignez le PDF (pdf).")
        return self

    def pdf_bytes(self) -> bytes | None:
        return base64.b64decode(self.pdf) if self.pdf is not None else None


class ReceiptVerification(Public):
    """Whether it matches what the fund received; nothing else is said (not even whether
    the reference exists)."""

    matches: bool

    @classmethod
    def domain_fields(cls, value: ReceiptCheck) -> dict[str, bool]:
        return {"matches": value.matches}
