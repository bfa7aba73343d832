"""The catalog snapshot: the whole published catalog in one event."""

from __future__ import annotations

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import Event

_CODE_DESCRIPTION = (
    "Stable code, unique across themes, subjects and motifs; never reused, so a code an old "
    "message carries always resolves."
)
_ORDER = Field(description="Position among its siblings, from 1 (display order).", examples=[1])
_ACTIVE = Field(
    description="False once deactivated: no longer offered to members, still resolvable.",
    examples=[True],
)


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OnlineService(_Node):
    """A self-service page offered instead of writing."""

    title: str = Field(examples=["Déclarer un changement de situation"])
    description: str = Field(default="", description="One or two sentences shown with the offer.")
    url: AnyHttpUrl = Field(
        description="Default address of the service.",
        examples=["https://www.msa.fr/lfp/famille/changement-de-situation"],
    )
    fund_urls: dict[str, AnyHttpUrl] = Field(
        default_factory=dict,
        description="Address of the service on a fund's own site, by fund code; members of "
        "other funds get `url`.",
        examples=[{"NPC": "https://nord-pasdecalais.msa.fr/lfp/famille/changement-de-situation"}],
    )
    call_to_action: str = Field(
        default="J'utilise le service en ligne", description="Label of the button."
    )


class Motif(_Node):
    code: str = Field(description=_CODE_DESCRIPTION, examples=["af-changement-situation"])
    label: str = Field(examples=["Mon changement de situation"])
    order: int = _ORDER
    active: bool = _ACTIVE
    skill: str = Field(
        description="Routing: the skill of the agents who answer this motif.", examples=["famille"]
    )
    response_time_days: int = Field(
        ge=1,
        description="Target time to answer, in working days (French public holidays excluded).",
        examples=[10],
    )
    online_service: OnlineService | None = None


class Subject(_Node):
    code: str = Field(description=_CODE_DESCRIPTION, examples=["famille-allocations"])
    label: str = Field(examples=["Allocations familiales"])
    order: int = _ORDER
    active: bool = _ACTIVE
    online_service: OnlineService | None = None
    motifs: tuple[Motif, ...] = Field(description="Its motifs, in display order.")


class Theme(_Node):
    code: str = Field(description=_CODE_DESCRIPTION, examples=["famille"])
    label: str = Field(examples=["Famille, Allocations familiales, aides au logement"])
    order: int = _ORDER
    active: bool = _ACTIVE
    online_service: OnlineService | None = None
    subjects: tuple[Subject, ...] = Field(description="Its subjects, in display order.")


class CatalogPublished(Event):
    """A new version of the catalog was published. Inactive nodes are included, flagged."""

    version: int = Field(ge=1, description="Version number, one more at each publication.")
    published_at: AwareDatetime = Field(description="When it was published (UTC).")
    themes: tuple[Theme, ...] = Field(description="The whole catalog, themes in display order.")
