"""Events of the funds' systems: the people each fund covers (the registry), and the
postal letters the auth service asks for.

The registry is keyed by NIR: the funds' systems identify a person by it, and the auth
service checks an enrolment against it. It is the one place a NIR travels in an event; it
is personal data all the same, masked in every log.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from contracts.envelope import Event
from contracts.funds import FundCode


class PostalAddress(BaseModel):
    """A French postal address, as the post office reads it (norme AFNOR NF Z10-011): the
    lines between the recipient's name and the town, then the postal code and the town."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    lines: list[str] = Field(
        min_length=1,
        max_length=4,
        description="Building, street and locality lines, in order (at most 38 characters each).",
        examples=[
            ["12 rue des Tilleuls"],
            ["Bâtiment B", "3 chemin du Moulin", "Lieu-dit Herbeval"],
        ],
    )
    postal_code: str = Field(pattern=r"^[0-9]{5}$", examples=["59000"])
    city: str = Field(examples=["LILLE"])


class InsuredPersonRegistered(Event):
    """A person the fund covers, as its system knows them now (registered or updated): the
    latest state in full, one record per person on a compacted topic keyed by NIR. A person
    the fund no longer covers is a tombstone: the NIR as key, no value."""

    nir: str = Field(
        pattern=r"^[12378][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}$",
        description="The 13 characters of the social-security number, without the key (also "
        "the Kafka key).",
        examples=["1800359350123"],
    )
    fund: FundCode
    birth_date: date = Field(examples=["1980-03-15"])
    family_name: str = Field(description="Name at birth.", examples=["DURAND"])
    usage_name: str | None = Field(
        default=None, description="Name in use (a spouse's name...), if any.", examples=["LEROY"]
    )
    given_names: list[str] = Field(
        min_length=1, description="Every first name, in order.", examples=[["Paul", "Henri"]]
    )
    birthplace: str = Field(
        pattern=r"^(?:[0-9]{5}|2[AB][0-9]{3})$",
        description="INSEE code of the commune of birth, or of the country (99xxx) for a "
        "person born abroad.",
        examples=["59350"],
    )
    address: PostalAddress
    email: EmailStr | None = Field(
        default=None,
        description="An address the fund verified itself, if it holds one: the activation "
        "code is then sent there rather than by post.",
    )


class ActivationLetterRequested(Event):
    """Send a member's activation code by post, to the address the registry holds. Carries
    no NIR; the code is a one-time secret (never logged, dropped from the outbox once
    published)."""

    member_id: uuid.UUID = Field(description="The pending account (also the Kafka key).")
    fund: FundCode
    recipient: str = Field(
        description="The recipient's line: first names and name.", examples=["Paul DURAND"]
    )
    address: PostalAddress
    code: str = Field(description="One-time activation code.", examples=["482913"])
    expires_at: AwareDatetime
