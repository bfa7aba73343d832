"""The social-security number (NIR): 13 characters and a 2-digit key.

Layout: sex (1), year (2), month (2), place of birth (5: department and commune, or 99 and
the country code for people born abroad), order (3), then the key (2). Corsica's departments
are 2A and 2B; overseas departments take 3 digits (97x, 98x) and their communes 2.

The key is ``97 - (N mod 97)`` where N is the 13 characters read as a number, with 2A read
as 19 and 2B as 18. Members log in with the 13 characters only, as MSA asks; the key is
checked when an account is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

#: Spaces and dots typed between digit groups are accepted.
_SEPARATORS = re.compile(r"[\s.]+")

SEX_VALUES = frozenset("123478")
#: 01-12 real months; 20-42 and 50-99 are given when the civil record has no month.
_UNKNOWN_MONTHS = frozenset({*range(20, 43), *range(50, 100)})


class InvalidNir(ValueError):
    """The number is not a valid NIR; ``part`` names what is wrong, ``message`` says it in French."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part
        self.message = message


def normalize(raw: str) -> str:
    """Drop spaces and dots, upper-case the Corsican letters."""
    return _SEPARATORS.sub("", raw).upper()


def _numeric(thirteen: str) -> int:
    corsica = {"2A": "19", "2B": "18"}.get(thirteen[5:7])
    if corsica is not None:
        thirteen = thirteen[:5] + corsica + thirteen[7:]
    return int(thirteen)


def key_of(thirteen: str) -> int:
    """The control key of the 13 characters (no validation of the parts)."""
    return 97 - _numeric(thirteen) % 97


@dataclass(frozen=True)
class Nir:
    """A validated NIR, without its key (``value`` has 13 characters)."""

    value: str

    @property
    def sex(self) -> str:
        return self.value[0]

    @property
    def year(self) -> int:
        return int(self.value[1:3])

    @property
    def month(self) -> int:
        return int(self.value[3:5])

    @property
    def department(self) -> str:
        return self.value[5:8] if self.value[5:7] in ("97", "98") else self.value[5:7]

    @property
    def commune(self) -> str:
        """The commune code within the department, or the country code when born abroad."""
        return self.value[8:10] if self.value[5:7] in ("97", "98") else self.value[7:10]

    @property
    def place_code(self) -> str:
        """Department and commune as INSEE writes a commune (``14168``, ``2B073``, ``97105``)."""
        return self.value[5:10]

    @property
    def born_abroad(self) -> bool:
        return self.value[5:7] == "99"

    @property
    def key(self) -> str:
        return f"{key_of(self.value):02d}"

    @property
    def masked(self) -> str:
        """What may be shown back: the sex digit and the last three of the order number."""
        return self.value[0] + "*" * 9 + self.value[10:13]

    def matches_birth_date(self, birth_date: date) -> bool:
        if self.year != birth_date.year % 100:
            return False
        return not 1 <= self.month <= 12 or self.month == birth_date.month


def _check_parts(thirteen: str) -> None:
    """Raise ``InvalidNir`` naming the first wrong part of the 13 characters."""
    if len(thirteen) != 13:
        raise InvalidNir(
            "length",
            f"Le numéro de sécurité sociale compte 13 caractères (sans la clé) : "
            f"vous en avez saisi {len(thirteen)}.",
        )
    if thirteen[0] not in SEX_VALUES:
        raise InvalidNir(
            "sex",
            "Le 1er chiffre (sexe) doit être 1 ou 2 (3, 4, 7 ou 8 pour un numéro provisoire).",
        )
    if not thirteen[1:3].isdigit():
        raise InvalidNir(
            "year", "Les 2e et 3e chiffres (année de naissance) doivent être des chiffres."
        )
    month = thirteen[3:5]
    if not month.isdigit() or not (1 <= int(month) <= 12 or int(month) in _UNKNOWN_MONTHS):
        raise InvalidNir(
            "month",
            "Les 4e et 5e chiffres (mois de naissance) doivent aller de 01 à 12 "
            "(ou 20 à 42, 50 à 99 quand le mois est inconnu).",
        )
    department = thirteen[5:7]
    if department in ("2A", "2B"):
        commune = thirteen[7:10]
    elif department in ("97", "98"):
        overseas = thirteen[5:8]
        if not overseas.isdigit() or not ("971" <= overseas <= "978" or "984" <= overseas <= "989"):
            raise InvalidNir(
                "department",
                "Le département de naissance d'outre-mer (6e à 8e chiffres) doit aller "
                "de 971 à 978 ou de 984 à 989.",
            )
        commune = thirteen[8:10]
    elif department.isdigit() and ("01" <= department <= "95" or department == "99"):
        commune = thirteen[7:10]
    else:
        raise InvalidNir(
            "department",
            "Les 6e et 7e caractères (département de naissance) doivent aller de 01 à 95, "
            "valoir 2A ou 2B (Corse), 97 ou 98 (outre-mer) ou 99 (né à l'étranger).",
        )
    if not commune.isdigit() or int(commune) == 0:
        where = "pays de naissance" if department == "99" else "commune de naissance"
        raise InvalidNir(
            "commune",
            f"Le code de la {where} (8e à 10e chiffres) doit être un nombre différent de zéro.",
        )
    order = thirteen[10:13]
    if not order.isdigit() or order == "000":
        raise InvalidNir(
            "order",
            "Les 11e à 13e chiffres (numéro d'ordre) doivent aller de 001 à 999.",
        )


def parse(raw: str) -> Nir:
    """The 13 characters a member types to log in (spaces and dots allowed)."""
    thirteen = normalize(raw)
    _check_parts(thirteen)
    return Nir(thirteen)


def parse_with_key(raw: str) -> Nir:
    """The 15 characters (13 and the key) given when an account is created."""
    fifteen = normalize(raw)
    if len(fifteen) != 15:
        raise InvalidNir(
            "length",
            "Saisissez les 15 caractères du numéro de sécurité sociale : les 13 caractères "
            f"et la clé de 2 chiffres (vous en avez saisi {len(fifteen)}).",
        )
    nir = parse(fifteen[:13])
    key = fifteen[13:]
    if not key.isdigit() or not 1 <= int(key) <= 97:
        raise InvalidNir("key", "La clé (les 2 derniers chiffres) doit aller de 01 à 97.")
    if key != nir.key:
        raise InvalidNir(
            "key",
            "La clé ne correspond pas au numéro saisi : vérifiez le numéro et la clé "
            "sur votre carte Vitale.",
        )
    return nir


def parse_login(raw: str) -> Nir | None:
    """The number typed at login: 13 characters, or 15 with a correct key. None when it
    cannot be a NIR (the login then fails like any other, without saying why)."""
    value = normalize(raw)
    try:
        if len(value) == 15:
            return parse_with_key(value)
        return parse(value)
    except InvalidNir:
        return None
