"""Dependencies of the catalog routes: the message bus, and the request's headers and path
parameters as the routes read them."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, Path

from servicekit.deps import BusDep as BusDep
from servicekit.problems import Problem

CodePath = Annotated[str, Path(max_length=200, description="Code of a theme, subject or motif.")]
FundPath = Annotated[str, Path(max_length=3, description="Fund code.", examples=["NPC"])]
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Version number.")]


def draft_etag(revision: int) -> str:
    return f'"draft-{revision}"'


# ASCII only: ``str.isdigit`` would take "²" or "٣" for digits. Quotes, ``W/`` and the
# ``draft-`` prefix are tolerated; nine digits at most (a revision is a 32-bit integer).
_DRAFT_TAG = re.compile(r'(?:W/)?"*(?:draft-)?([0-9]{1,9})"*', re.ASCII)


def draft_revision(if_match: str | None) -> int | None:
    """The draft revision an ``If-Match`` names (``"draft-12"``), or ``None`` without one.

    Called in the route body, so a malformed request body is reported (422) first; a
    malformed ``If-Match`` is a 412, as a stale one is, and nothing is written."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return None
    matched = _DRAFT_TAG.fullmatch(if_match.strip())
    if matched is None:
        raise Problem(
            412,
            "precondition-failed",
            "L'en-tête If-Match ne désigne pas une révision du brouillon : rechargez le "
            'brouillon et renvoyez son ETag (par exemple "draft-12").',
        )
    return int(matched.group(1))


IfMatch = Annotated[
    str | None,
    Header(
        description='ETag of the draft the change is based on (e.g. "draft-12"); when it is '
        "no longer current the change is refused with 412 and nothing is written. A value "
        'that names no draft revision (neither `*` nor `"draft-"` followed by ASCII '
        "digits) is refused with 412 too.",
        examples=['"draft-12"'],
    ),
]
