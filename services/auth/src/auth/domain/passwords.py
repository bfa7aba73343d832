"""The minimum strength of a password, after ANSSI's and CNIL's advice.

With the number of tries limited (see ``throttling``), a password must hold at least 12
characters mixing three of the four kinds (lower case, upper case, digits, other signs), or
be a passphrase of at least 16 characters of any kind; it must not repeat the person's names,
numbers or email, nor be a well-known password. Spaces are allowed and count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from auth.domain.common_passwords import common_passwords, fold

MIN_LENGTH = 12
PASSPHRASE_LENGTH = 16
MAX_LENGTH = 128

#: French passwords and patterns seen in leaks, lower-cased, besides the big list of
#: common and breached passwords (``common_passwords``: 437,651 entries).
_COMMON = frozenset(
    {
        "azertyuiop",
        "azertyuiop123",
        "azerty123456",
        "motdepasse123",
        "motdepasse1234",
        "password1234",
        "password123!",
        "qwertyuiop123",
        "123456789abc",
        "abc123456789",
        "bonjour12345",
        "soleil123456",
        "doudou123456",
        "marseille1234",
        "jetaime123456",
        "administrateur",
        "azertyuiopqsdfghjklm",
    }
)


def _kinds(password: str) -> int:
    lower = any(char.islower() for char in password)
    upper = any(char.isupper() for char in password)
    digit = any(char.isdigit() for char in password)
    other = any(not char.isalnum() for char in password)
    return sum((lower, upper, digit, other))


def _is_sequence(password: str) -> bool:
    """One character repeated, or a run such as ``abcdef`` / ``123456`` over most of it."""
    if len(set(password)) <= 3:
        return True
    steps = [ord(b) - ord(a) for a, b in pairwise(password)]
    return len(set(steps)) == 1 and abs(steps[0]) <= 1


def problems(password: str, *, personal: Iterable[str] = ()) -> list[str]:
    """What is wrong with ``password``, in French; empty when it is strong enough.

    ``personal`` holds what the person's password must not contain (names, NIR, email
    local part, birth date...)."""
    found: list[str] = []
    if len(password) > MAX_LENGTH:
        return [f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères."]
    if len(password) < MIN_LENGTH:
        found.append(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    elif len(password) < PASSPHRASE_LENGTH and _kinds(password) < 3:
        found.append(
            "Le mot de passe doit mélanger au moins 3 types de caractères parmi : minuscules, "
            f"majuscules, chiffres et caractères spéciaux (ou compter au moins "
            f"{PASSPHRASE_LENGTH} caractères)."
        )
    folded = fold(password)
    if folded in _COMMON or folded in common_passwords(MIN_LENGTH) or _is_sequence(folded):
        found.append("Ce mot de passe est trop courant ou trop simple : choisissez-en un autre.")
    for item in personal:
        piece = fold(re.sub(r"[\s.]", "", item))
        if len(piece) >= 4 and piece in fold(re.sub(r"[\s.]", "", password)):
            found.append(
                "Le mot de passe ne doit pas contenir vos nom, prénom, numéro de sécurité "
                "sociale, date de naissance ou adresse électronique."
            )
            break
    return found
