"""The field types and base models the catalog's bodies share.

Texts PostgreSQL cannot store (NUL, half a UTF-16 pair) never reach these models: every
service's request guard (``servicekit.guard``) refuses them first, naming the field."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.domain.model import (
    CODE_MAX_LENGTH,
    CODE_PATTERN,
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    RESPONSE_TIME_RANGE,
)

Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=CODE_MAX_LENGTH,
        pattern=CODE_PATTERN,
        description="Stable code: lowercase letters, digits and hyphens; unique at every level.",
        examples=["af-changement-situation"],
    ),
]
Label = Annotated[
    str,
    Field(
        min_length=1,
        max_length=LABEL_MAX_LENGTH,
        description="French label shown to members (no NUL character).",
        examples=["Mon changement de situation"],
    ),
]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH)]
ResponseTimeDays = Annotated[
    int,
    Field(
        ge=RESPONSE_TIME_RANGE.start,
        le=RESPONSE_TIME_RANGE.stop - 1,
        description="Target time to answer, in working days (weekends and French public "
        "holidays excluded).",
        examples=[10],
    ),
]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="An absolute http(s) address.",
        examples=["https://www.msa.fr/lfp/famille/changement-de-situation"],
    ),
]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str | None = None) -> Any:
    """A public field left out when it has no value: optional, never ``null``."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


class Body(BaseModel):
    """A request body: a field it does not know is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Whole(BaseModel):
    """An answer sent whole: every field is present, ``null`` when it has no value."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
