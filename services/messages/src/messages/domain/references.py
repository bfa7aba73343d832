"""A thread's reference as an agent types it while the member reads it out on the phone.

A reference is ``<FUND>-<YEAR>-<NUMBER>`` (``NPC-2026-000123``): the fund, the year of
sending in Europe/Paris and that fund's counter for that year, at least six digits. The agent
may type:

- the whole reference, in any case, with spaces or dashes between its parts
  (``npc 2026 000123``);
- the year and the number (``2026-000123``): the agent's fund;
- the number alone (``000123``, or ``123`` without its leading zeros): the agent's fund and
  **the current year** in Europe/Paris. Numbers start again each year, so last year's
  ``000123`` is another thread: type its year.

Whatever is typed becomes one whole reference, looked up exactly (the unique index on
``threads.reference``) among the threads of the agent's fund. A reference of another fund is
looked up the same way and finds nothing, like a reference nobody has.
"""

from __future__ import annotations

import re

from messages.domain.errors import InvalidReference
from messages.domain.model import format_reference

#: What separates the parts: spaces, dashes (and the dashes a word processor puts instead).
_SEPARATOR = r"[\s\-\u2010-\u2015\u2212]"
#: ``[FUND] YEAR NUMBER``, ``YEAR NUMBER`` or ``NUMBER`` (a fund without a year is not one).
_TYPED = re.compile(
    rf"(?:(?:(?P<fund>[A-Z]{{3}}){_SEPARATOR}*)?(?P<year>[0-9]{{4}}){_SEPARATOR}+)?"
    r"(?P<number>[0-9]{1,9})"
)

#: The longest text worth reading (a whole reference with a few spaces too many).
MAX_LENGTH = 40

INVALID_REFERENCE = (
    "Saisissez la référence de la demande, par exemple NPC-2026-000123, ou son numéro : "
    "2026-000123, ou 000123 pour une demande de cette année."
)


def typed_reference(typed: str, *, fund: str, year: int) -> str:
    """The whole reference an agent of ``fund`` means by ``typed`` in ``year``.

    Raises ``InvalidReference`` when the text is no reference nor number of one."""
    text = typed.strip().upper()
    match = _TYPED.fullmatch(text) if len(text) <= MAX_LENGTH else None
    if match is None:
        raise InvalidReference(
            "invalid-reference",
            INVALID_REFERENCE,
            field="reference",
        )
    return format_reference(
        match["fund"] or fund,
        int(match["year"]) if match["year"] else year,
        int(match["number"]),
    )
