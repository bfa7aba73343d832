"""The catalog snapshot: the whole published catalog in one event."""

from __future__ import annotations

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import Event


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OnlineService(_Node):
    """A self-service page offered instead of writing."""

    title: str = Field(examples=["Déclarer un changement de situation"])
    description: str = Field(default="")
    url: AnyHttpUrl = Field(description="Default address of the service.")
    fund_urls: dict[str, AnyHttpUrl] = Field(
        default_factory=dict, description="Address of the service on a fund's own site, by fund."
    )
    call_to_action: str = Field(default="J'utilise le service en ligne")


class Motif(_Node):
    code: str
    label: str
    order: int
    active: bool
    skill: str = Field(description="Routing: the skill of the agents who answer this motif.")
    response_time_days: int = Field(
        ge=1,
        description="Target time to answer, in working days (French public holidays excluded).",
    )
    online_service: OnlineService | None = None


class Subject(_Node):
    code: str
    label: str
    order: int
    active: bool
    online_service: OnlineService | None = None
    motifs: tuple[Motif, ...]


class Theme(_Node):
    code: str
    label: str
    order: int
    active: bool
    online_service: OnlineService | None = None
    subjects: tuple[Subject, ...]


class CatalogPublished(Event):
    """A new version of the catalog was published. Inactive nodes are included, flagged."""

    version: int = Field(ge=1, description="Version number, one more at each publication.")
    published_at: AwareDatetime
    themes: tuple[Theme, ...]
