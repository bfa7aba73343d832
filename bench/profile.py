"""Sums py-spy's folded stacks (``--format raw``) by function and by library: where a
process spends its samples, self and inclusive, as shares.

    python -m bench.profile .bench/profile/messages.txt [--top 30]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def library(file: str) -> str:
    """``site-packages/sqlalchemy/orm/session.py`` → ``sqlalchemy``; our code by service."""
    parts = Path(file).parts
    for marker in ("site-packages", "src"):
        if marker in parts:
            index = parts.index(marker)
            if index + 1 < len(parts):
                return parts[index + 1].removesuffix(".py")
    return parts[-1] if parts else file


def fold(path: Path) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        seen: set[str] = set()
        for frame in frames:
            if frame not in seen:
                inclusive[frame] += samples
                seen.add(frame)
        own[frames[-1]] += samples
        match = FRAME.match(frames[-1])
        libraries[library(match["file"]) if match else frames[-1]] += samples
    return total, own, inclusive, libraries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args()
    for path in arguments.files:
        total, own, inclusive, libraries = fold(path)
        print(f"\n## {path.stem}: {total} samples")
        for title, counter in (("by library (self)", libraries), ("self", own)):
            print(f"\n{title}")
            for name, samples in counter.most_common(arguments.top):
                print(f"{100 * samples / max(1, total):6.1f} %  {name}")
        print("\ninclusive")
        for name, samples in inclusive.most_common(arguments.top * 2):
            print(f"{100 * samples / max(1, total):6.1f} %  {name}")


if __name__ == "__main__":
    main()
