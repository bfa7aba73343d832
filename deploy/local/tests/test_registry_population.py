"""The local registry's population: the same fictitious people every time, valid numbers that
agree with their birth dates and places, several funds, and the demo members."""

from __future__ import annotations

from collections import Counter

import pytest

from auth.domain import nir as nir_rules
from devstack.registry import everyone, load_spec

pytestmark = pytest.mark.unit


def test_the_population_is_the_same_every_time_with_the_same_ids() -> None:
    first, second = everyone(), everyone()
    assert [p.model_dump() for p in first] == [p.model_dump() for p in second]
    assert len({person.event_id for person in first}) == len(first)


def test_a_few_thousand_people_across_several_funds_with_valid_numbers() -> None:
    people = everyone()
    assert len(people) >= 3000
    assert len(Counter(person.fund for person in people)) >= 6
    assert len({person.nir for person in people}) == len(people), "one record per number"
    for person in people:
        parsed = nir_rules.parse(person.nir)
        assert parsed.matches_birth_date(person.birth_date), person.nir
        assert person.birthplace == parsed.place_code or parsed.born_abroad, person.nir
    with_email = [person for person in people if person.email]
    assert 0 < len(with_email) < len(people) / 5, "most codes go by post, some by email"


def test_the_demo_members_are_registered_as_their_accounts_say() -> None:
    spec = load_spec()
    people = {person.nir: person for person in everyone()}
    for fifteen in spec["demo_members"]:
        person = people[fifteen[:13]]
        assert nir_rules.key_of(person.nir) == int(fifteen[13:])
    paul = people["1800359350123"]
    assert (paul.family_name, paul.usage_name) == ("DURAND", "DURAND-LEROY")
