"""What every request and response body shares: the bases, plain text, a catalog node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from messages.domain.text import has_control_characters


def _no_control_characters(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("Ce champ contient des caractères non autorisés : retirez-les.")
    return value


#: A short text field: no control characters (they cannot be stored nor typed).
PlainText = Annotated[str, AfterValidator(_no_control_characters)]

StatusLabel = Literal[
    "envoyé", "en cours de traitement", "répondu", "en attente de votre réponse", "clos"
]


class RequestBody(BaseModel):
    """A request body: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class Public(BaseModel):
    """A response body. Built from a domain object by ``domain_fields`` (by default its
    attributes of the same names); a mapping (a stored, replayed answer) is read as is."""

    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="before")
    @classmethod
    def _from_domain(cls, value: Any) -> Any:
        if isinstance(value, Mapping | BaseModel):
            return value
        return cls.domain_fields(value)

    @classmethod
    def domain_fields(cls, value: Any) -> Any:
        return value


class NodePublic(Public):
    code: str = Field(examples=["famille"])
    label: str = Field(examples=["Famille, Allocations familiales, aides au logement"])
