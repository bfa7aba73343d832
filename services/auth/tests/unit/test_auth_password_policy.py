"""The minimum password strength."""

from __future__ import annotations

import pytest

from auth.domain.passwords import problems

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "password",
    ["Bleuet-Colza-2026", "tournesol ble orge seigle", "Verger#Pommier9", "ÉtéIndien-1976"],
)
def test_strong_passwords_pass(password: str) -> None:
    assert problems(password) == []


def test_too_short_says_how_long() -> None:
    assert problems("Ab1-xyz") == ["Le mot de passe doit compter au moins 12 caractères."]


def test_a_short_password_needs_three_kinds_of_characters() -> None:
    [message] = problems("bleuetcolza2")
    assert "3 types de caractères" in message


def test_a_long_passphrase_needs_no_mix() -> None:
    assert problems("bleuets et coquelicots") == []


def test_common_and_trivial_passwords_are_refused() -> None:
    assert problems("Azertyuiop123")
    assert problems("aaaaaaaaaaaaaaaa")
    assert problems("abcdefghijklmnop")


def test_names_and_numbers_of_the_person_are_refused() -> None:
    found = problems("Camille-Jardin-2026", personal=["Camille", "MARTIN", "2951099126111"])
    assert any("nom, prénom" in message for message in found)
    assert problems("Jardin-2951099126111", personal=["2951099126111"])


def test_an_overlong_password_is_refused() -> None:
    assert problems("Aa1-" * 40) == ["Le mot de passe ne doit pas dépasser 128 caractères."]
