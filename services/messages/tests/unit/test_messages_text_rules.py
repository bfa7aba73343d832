"""Text rules at their boundaries, counted as the page's counter counts."""

from __future__ import annotations

import pytest

from messages.domain.errors import InvalidText
from messages.domain.text import MESSAGE_MAX, MESSAGE_MIN, check_text, count_characters

pytestmark = pytest.mark.unit


def check(text: str) -> str:
    return check_text(text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX).text


@pytest.mark.parametrize("length", [10, 11, 749, 750])
def test_ten_to_750_characters_are_accepted(length: int) -> None:
    assert len(check("a" * length)) == length


@pytest.mark.parametrize(("length", "code"), [(9, "too-short"), (751, "too-long")])
def test_one_character_too_few_or_too_many_is_refused_with_what_to_do(
    length: int, code: str
) -> None:
    with pytest.raises(InvalidText) as refused:
        check("a" * length)
    assert refused.value.code == code
    assert f"il en compte {length}" in refused.value.detail
    assert "réessayez" in refused.value.detail


def test_trimming_happens_before_counting() -> None:
    assert check("   " + "a" * 10 + " \n ") == "a" * 10
    with pytest.raises(InvalidText, match="au moins 10"):
        check("  " + "a" * 9 + "          ")
    assert len(check("  " + "a" * 750 + "    ")) == 750


@pytest.mark.parametrize("blank", ["", " " * 20, "\n\n\n", " \n \u00a0 \u3000 "])
def test_only_spaces_is_an_empty_message(blank: str) -> None:
    with pytest.raises(InvalidText) as refused:
        check(blank)
    assert refused.value.code == "empty"
    assert "est vide" in refused.value.detail


def test_one_emoji_is_one_character_even_when_made_of_several_code_points() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧 : 5 code points
    flag = "\U0001f1eb\U0001f1f7"  # 🇫🇷 : 2 code points
    thumbs = "\U0001f44d\U0001f3fd"  # 👍🏽 : 2 code points
    assert count_characters(family) == 1
    assert count_characters(flag) == 1
    assert count_characters(thumbs) == 1
    assert count_characters("\U0001f600" * 10) == 10
    assert check(family * 10) == family * 10
    with pytest.raises(InvalidText):
        check(family * 9)
    assert check(thumbs * 750) == thumbs * 750
    with pytest.raises(InvalidText):
        check(thumbs * 751)


def test_combining_accents_count_once_and_are_stored_composed() -> None:
    decomposed = "e\u0301" * 10  # "é" written as e + combining acute
    assert count_characters(decomposed) == 10
    assert check(decomposed) == "\u00e9" * 10
    # A letter with two combining marks that has no composed form still counts once.
    assert count_characters("q\u0301\u0323") == 1
    with pytest.raises(InvalidText):
        check("e\u0301" * 9)


def test_line_breaks_are_kept_and_count_like_the_browser() -> None:
    text = "Bonjour,\r\nmon adresse change.\rMerci."
    assert check(text) == "Bonjour,\nmon adresse change.\nMerci."
    assert count_characters("ab\ncd") == 5


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\t", "\x7f", "\x9f", "\ud800"])
def test_control_characters_other_than_line_breaks_are_refused(control: str) -> None:
    with pytest.raises(InvalidText) as refused:
        check(f"Bonjour{control}, je déménage bientôt.")
    assert refused.value.code == "control-characters"
    assert "retirez-les" in refused.value.detail


def test_replies_allow_one_to_five_thousand_characters() -> None:
    assert check_text("a", minimum=1, maximum=5000).characters == 1
    assert check_text("é" * 5000, minimum=1, maximum=5000).characters == 5000
    with pytest.raises(InvalidText) as refused:
        check_text("a" * 5001, minimum=1, maximum=5000, what="Votre réponse")
    assert refused.value.detail.startswith("Votre réponse doit comporter au plus 5\u202f000")
