"""Does a FranceConnect identity pivot describe this member?

The pivot (names, birth date, gender, place of birth) is compared with what the member's
account holds: birth date and names as registered, sex and place of birth as the NIR says
them. Names are compared without accents, case or hyphen differences; FranceConnect gives
every given name, the account the first one at least.

A match says the account was opened under this person's identity, not by them: anyone who
knows a person's number, birth date and names can open an account in their name with an
address of their own. The account speaks for the person only when its address (verified by
the activation or email-change code) is also the one FranceConnect verified.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from auth.domain.model import FranceConnectIdentity, Member

FRANCE = "99100"
_SEXES = {"male": frozenset("137"), "female": frozenset("248")}


def fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s'’-]+", " ", plain).strip().casefold()


def birth_date_of(identity: FranceConnectIdentity) -> date | None:
    try:
        return date.fromisoformat(identity.birthdate)
    except ValueError:
        return None  # FranceConnect writes unknown parts as 00


def matches(member: Member, identity: FranceConnectIdentity) -> bool:
    if birth_date_of(identity) != member.birth_date:
        return False
    if member.nir.sex not in _SEXES.get(identity.gender, frozenset()):
        return False
    if fold(member.family_name) != fold(identity.family_name):
        return False
    given = fold(identity.given_name).split(" ")
    if fold(member.given_name).split(" ")[0] != given[0]:
        return False
    if identity.birthcountry == FRANCE:
        return member.nir.place_code == identity.birthplace.upper()
    return member.nir.born_abroad and member.nir.commune == identity.birthcountry[-3:]


def same_verified_email(member: Member, identity: FranceConnectIdentity) -> bool:
    """Whether the account's address is the one FranceConnect verified (case aside)."""
    if not identity.email:
        return False
    return member.email.strip().casefold() == identity.email.strip().casefold()
