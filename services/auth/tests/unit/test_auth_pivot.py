"""Matching a FranceConnect identity pivot with an account."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from auth.domain import nir, pivot
from auth.domain.model import FranceConnectIdentity, Member, MemberStatus
from auth.seed import demo_accounts

pytestmark = pytest.mark.unit

IDENTITIES = Path(__file__).parents[4] / "deploy" / "local" / "oidc" / "identities.json"


def identity(row: dict[str, str]) -> FranceConnectIdentity:
    return FranceConnectIdentity(
        subject=row["sub"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        birthdate=row["birthdate"],
        gender=row["gender"],
        birthplace=row["birthplace"],
        birthcountry=row["birthcountry"],
        email=row["email"],
    )


def members() -> dict[str, Member]:
    found = {}
    for row in demo_accounts()["members"]:
        found[row["given_name"]] = Member(
            id=uuid.uuid4(),
            nir=nir.parse_with_key(row["nir"]),
            birth_date=row["birth_date"],
            given_name=row["given_name"],
            family_name=row["family_name"],
            email=row["email"],
            fund=row["fund"],
            password_hash="",
            status=MemberStatus.ACTIVE,
            created_at=datetime.now(UTC),
        )
    return found


def test_demo_identities_match_their_accounts_except_pauls_family_name() -> None:
    accounts = members()
    for row in json.loads(IDENTITIES.read_text()):
        person = identity(row)
        matched = [name for name, member in accounts.items() if pivot.matches(member, person)]
        expected = [] if row["login"] == "paul" else [row["given_name"]]
        assert matched == expected, row["login"]
        # The demo accounts' emails are their identities': the ones that match link at once.
        assert all(pivot.same_verified_email(accounts[name], person) for name in matched)


def test_a_different_birth_date_or_place_does_not_match() -> None:
    camille = members()["Camille"]
    row = json.loads(IDENTITIES.read_text())[0]
    assert pivot.matches(camille, identity(row))
    assert not pivot.matches(camille, identity(row | {"birthdate": "1995-10-13"}))
    assert not pivot.matches(camille, identity(row | {"birthcountry": "99127"}))
    assert not pivot.matches(camille, identity(row | {"gender": "male"}))


def test_accents_case_and_hyphens_do_not_matter() -> None:
    marie = members()["Marie-Ange"]
    row = json.loads(IDENTITIES.read_text())[2]
    assert pivot.matches(
        marie, identity(row | {"given_name": "marie ange", "family_name": "Santoni"})
    )
    assert pivot.birth_date_of(identity(row | {"birthdate": "1953-00-00"})) is None
    assert date(1953, 7, 21) == marie.birth_date


def test_only_the_address_franceconnect_verified_makes_the_account_the_persons() -> None:
    camille = members()["Camille"]
    row = json.loads(IDENTITIES.read_text())[0]
    assert pivot.same_verified_email(camille, identity(row))
    assert pivot.same_verified_email(
        camille, identity(row | {"email": " Camille.MARTIN@example.fr"})
    )
    assert not pivot.same_verified_email(camille, identity(row | {"email": "autre@example.fr"}))
    assert not pivot.same_verified_email(camille, identity(row | {"email": ""}))
