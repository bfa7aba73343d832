"""The registry of the people each fund covers, and the rules that match an enrolment or a
FranceConnect identity against it.

An enrolment names a person by number, birth date and family name (at birth or in use); it
matches when all three are the registry's, names compared without accents, case, hyphens or
apostrophes. The comparison does the same work whether the number is registered or not (a
decoy stands in for an unknown number), so that neither the answer nor its timing tells.

A FranceConnect identity matches a registered person when its birth date, place of birth,
family name at birth, every first name and sex are the registry's.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date

from auth.domain.model import FranceConnectIdentity
from auth.domain.nir import Nir
from auth.domain.pivot import FRANCE, fold

_SEXES = {"male": frozenset("137"), "female": frozenset("248")}


@dataclass(frozen=True)
class PostalAddress:
    lines: tuple[str, ...]
    postal_code: str
    city: str


@dataclass(frozen=True)
class InsuredPerson:
    """A person a fund covers, as the funds' systems publish them."""

    nir: Nir
    fund: str
    birth_date: date
    family_name: str
    usage_name: str | None
    given_names: tuple[str, ...]
    birthplace: str
    address: PostalAddress
    #: An address the fund verified itself: the activation code goes there, not by post.
    email: str | None = None

    @property
    def first_name(self) -> str:
        return self.given_names[0]

    @property
    def name_in_use(self) -> str:
        return self.usage_name or self.family_name

    @property
    def recipient(self) -> str:
        """The first line of a letter to them."""
        return f"{' '.join(self.given_names)} {self.name_in_use.upper()}"


#: What an unknown number is compared with, so that it costs what a known one does.
DECOY = InsuredPerson(
    nir=Nir("1000000000000"),
    fund="NPC",
    birth_date=date(1900, 1, 1),
    family_name="\u2400",
    usage_name="\u2400",
    given_names=("\u2400",),
    birthplace="00000",
    address=PostalAddress(lines=("\u2400",), postal_code="00000", city="\u2400"),
)


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(fold(left).encode(), fold(right).encode())


def enrolment_matches(person: InsuredPerson | None, *, birth_date: date, family_name: str) -> bool:
    """Whether an enrolment's birth date and family name are those of the person registered
    under its number (None: nobody is); the same comparisons in every case."""
    compared = person or DECOY
    same_birth = compared.birth_date == birth_date
    same_family = _same(compared.family_name, family_name)
    same_usage = _same(compared.usage_name or compared.family_name, family_name)
    return person is not None and same_birth and (same_family or same_usage)


def franceconnect_matches(person: InsuredPerson, identity: FranceConnectIdentity) -> bool:
    """Whether FranceConnect's identity pivot is this registered person's."""
    if person.birth_date.isoformat() != identity.birthdate:
        return False
    if person.nir.sex not in _SEXES.get(identity.gender, frozenset()):
        return False
    if fold(person.family_name) != fold(identity.family_name):
        return False
    if fold(" ".join(person.given_names)) != fold(identity.given_name):
        return False
    return person.birthplace == franceconnect_birthplace(identity)


def franceconnect_birthplace(identity: FranceConnectIdentity) -> str:
    """The INSEE code a FranceConnect identity was born at: the commune in France, the
    country abroad."""
    if identity.birthcountry == FRANCE:
        return identity.birthplace.upper()
    return identity.birthcountry
