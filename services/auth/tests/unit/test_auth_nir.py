"""The NIR validator, on the issue's examples and on numbers hypothesis makes up."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auth.domain import nir

pytestmark = pytest.mark.unit

VALID_MONTHS = [*range(1, 13), *range(20, 43), *range(50, 100)]
INVALID_MONTHS = [0, 13, 14, 19, 43, 44, 49]


@st.composite
def places(draw: st.DrawFn) -> str:
    """Department and commune: metropolitan, Corsican, overseas or abroad (5 characters)."""
    kind = draw(st.sampled_from(["metropole", "corse", "outre-mer", "etranger"]))
    if kind == "metropole":
        department = f"{draw(st.integers(1, 95)):02d}"
        return department + f"{draw(st.integers(1, 990)):03d}"
    if kind == "corse":
        return draw(st.sampled_from(["2A", "2B"])) + f"{draw(st.integers(1, 990)):03d}"
    if kind == "outre-mer":
        department = draw(st.sampled_from([*range(971, 979), *range(984, 990)]))
        return f"{department}{draw(st.integers(1, 90)):02d}"
    return "99" + f"{draw(st.integers(1, 990)):03d}"


@st.composite
def valid_thirteen(draw: st.DrawFn, month: int | None = None) -> str:
    sex = draw(st.sampled_from(sorted(nir.SEX_VALUES)))
    year = draw(st.integers(0, 99))
    month = month if month is not None else draw(st.sampled_from(VALID_MONTHS))
    order = draw(st.integers(1, 999))
    return f"{sex}{year:02d}{month:02d}{draw(places())}{order:03d}"


def with_key(thirteen: str) -> str:
    return f"{thirteen}{nir.key_of(thirteen):02d}"


@pytest.mark.parametrize(
    "number", ["295109912611193", "253072B07300470", "253072A07300443", "255081416802538"]
)
def test_the_issues_examples_are_valid(number: str) -> None:
    parsed = nir.parse_with_key(number)
    assert parsed.value == number[:13]
    assert parsed.key == number[13:]


def test_corsica_counts_as_19_and_18_in_the_key() -> None:
    assert nir.key_of("253072A073004") == 97 - 2530719073004 % 97
    assert nir.key_of("253072B073004") == 97 - 2530718073004 % 97


@given(valid_thirteen())
def test_every_well_formed_number_with_its_key_is_accepted(thirteen: str) -> None:
    assert nir.parse_with_key(with_key(thirteen)).value == thirteen
    assert nir.parse(thirteen).value == thirteen
    assert nir.parse_login(thirteen) == nir.Nir(thirteen)


@given(valid_thirteen(), st.integers(1, 97))
def test_any_other_key_is_refused_as_a_wrong_key(thirteen: str, key: int) -> None:
    if key == nir.key_of(thirteen):
        return
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse_with_key(f"{thirteen}{key:02d}")
    assert refused.value.part == "key"
    assert "clé" in refused.value.message


@given(valid_thirteen(), st.integers(10, 12), st.integers(1, 9))
def test_a_mistyped_order_digit_is_caught_by_the_key(
    thirteen: str, position: int, shift: int
) -> None:
    digit = (int(thirteen[position]) + shift) % 10
    typo = thirteen[:position] + str(digit) + thirteen[position + 1 :]
    if typo[10:13] == "000":
        return
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse_with_key(f"{typo}{nir.key_of(thirteen):02d}")
    assert refused.value.part == "key"


@given(valid_thirteen(), st.lists(st.sampled_from([" ", ".", "  "]), min_size=6, max_size=6))
def test_spaces_and_dots_between_groups_are_accepted(thirteen: str, separators: list[str]) -> None:
    cuts = [1, 3, 5, 7, 10, 13]
    pieces, start = [], 0
    for cut, separator in zip(cuts, separators, strict=True):
        pieces.append(thirteen[start:cut] + separator)
        start = cut
    typed = "".join(pieces) + with_key(thirteen)[13:]
    assert nir.parse_with_key(typed).value == thirteen
    assert nir.parse_login("".join(pieces).strip()) == nir.Nir(thirteen)


@given(valid_thirteen(), st.sampled_from("0569ABX"))
def test_a_wrong_sex_digit_is_named(thirteen: str, sex: str) -> None:
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse(sex + thirteen[1:])
    assert refused.value.part == "sex"
    assert "sexe" in refused.value.message


@given(valid_thirteen(), st.sampled_from(INVALID_MONTHS))
def test_an_impossible_month_is_named(thirteen: str, month: int) -> None:
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse(thirteen[:3] + f"{month:02d}" + thirteen[5:])
    assert refused.value.part == "month"
    assert "mois" in refused.value.message


@given(valid_thirteen(month=20))
def test_the_unknown_month_values_are_accepted(thirteen: str) -> None:
    assert nir.parse(thirteen).month == 20


@given(valid_thirteen(), st.sampled_from(["00", "96", "2C", "AB", "970", "979", "983", "98A"]))
def test_an_unknown_department_is_named(thirteen: str, department: str) -> None:
    number = (thirteen[:5] + department + "00001")[:10] + thirteen[10:]
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse(number)
    assert refused.value.part == "department"


@given(valid_thirteen())
def test_a_zero_order_number_is_named(thirteen: str) -> None:
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse(thirteen[:10] + "000")
    assert refused.value.part == "order"


@given(
    st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) not in (13, 15))
)
def test_a_wrong_length_is_named_with_the_count(text: str) -> None:
    with pytest.raises(nir.InvalidNir) as refused:
        nir.parse(text)
    assert refused.value.part == "length"
    assert str(len(text)) in refused.value.message


@given(st.text(max_size=40))
def test_login_never_fails_on_garbage_it_only_refuses(text: str) -> None:
    result = nir.parse_login(text)
    assert result is None or len(result.value) == 13


def test_the_birth_date_must_agree_with_year_and_month() -> None:
    camille = nir.parse("2951099126111")
    assert camille.matches_birth_date(date(1995, 10, 12))
    assert not camille.matches_birth_date(date(1995, 11, 12))
    assert not camille.matches_birth_date(date(1996, 10, 12))
    unknown_month = nir.parse("2952099126111")
    assert unknown_month.matches_birth_date(date(1995, 4, 1))


def test_places_read_as_insee_writes_them() -> None:
    assert nir.parse("253072B073004").place_code == "2B073"
    assert nir.parse("2951099126111").born_abroad
    assert nir.parse("2951099126111").commune == "126"
    overseas = nir.parse("1800397105123")
    assert overseas.department == "971"
    assert overseas.commune == "05"


def test_only_the_sex_digit_and_the_end_are_shown() -> None:
    assert nir.parse("2951099126111").masked == "2*********111"
