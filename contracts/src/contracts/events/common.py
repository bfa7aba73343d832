"""Small value types shared by several events."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CatalogNode(BaseModel):
    """A theme, subject or motif as it was when the event happened: its code and label."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str = Field(description="Stable code of the node.", examples=["famille"])
    label: str = Field(
        description="French label shown to the member.",
        examples=["Famille, Allocations familiales, aides au logement"],
    )
