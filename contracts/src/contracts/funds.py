"""The 35 MSA funds: the shared vocabulary behind every ``fund`` field."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated

import yaml
from pydantic import AfterValidator, Field


@dataclass(frozen=True)
class Fund:
    code: str
    name: str
    site: str
    #: Postal code and town of the address the fund's letters come from.
    postal_city: str = ""

    @property
    def postal_address(self) -> tuple[str, ...]:
        """The fund's address as printed at the top of its letters."""
        lines = [self.name, "Service relation adhérents"]
        if self.postal_city:
            lines.append(f"{self.postal_city} CEDEX")
        return tuple(lines)


@cache
def all_funds() -> dict[str, Fund]:
    """Every fund by code, in the order of the reference file."""
    text = resources.files("contracts.reference").joinpath("funds.yaml").read_text("utf-8")
    return {row["code"]: Fund(**row) for row in yaml.safe_load(text)}


def get_fund(code: str) -> Fund:
    try:
        return all_funds()[code]
    except KeyError:
        raise LookupError(f"unknown fund {code!r}") from None


def _known_fund(code: str) -> str:
    if code not in all_funds():
        raise ValueError(f"unknown fund code {code!r}")
    return code


FundCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="Code of one of the 35 MSA funds.",
        examples=["NPC"],
    ),
    AfterValidator(_known_fund),
]
