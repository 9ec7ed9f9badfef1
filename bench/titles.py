"""Generated question titles: real titles recombined, any number of them, reproducibly.

Dependency-free (the standard library only), so the standalone tagging benchmark can use it on a
machine without TensorFlow or pandas.
"""

from __future__ import annotations

import csv
import gzip
import random
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path


def recombine(words: Sequence[Sequence[str]], rng: random.Random) -> tuple[int, int, str]:
    """(a, b, title): the first half of real title a joined with the second half of real title b."""
    a, b = rng.randrange(len(words)), rng.randrange(len(words))
    wa, wb = words[a], words[b]
    return a, b, " ".join(list(wa[: max(1, len(wa) // 2)]) + list(wb[len(wb) // 2:]))


def recombined_titles(real: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """`n` titles made by `recombine` from the `real` ones."""
    words = [t.split() for t in real]
    rng = random.Random(seed)
    return [recombine(words, rng)[2] for _ in range(n)]


def read_titles(path) -> list[str]:
    """The titles of a CSV with a title column (the project's or Kaggle's; gzipped too, as the repository
    ships `data/cooking.csv.gz`) or of a Posts.xml dump."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    return [t for t in (_xml_titles(path) if path.suffix.lower() == ".xml" else _csv_titles(path)) if t.strip()]


def _csv_titles(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        if "title" not in header:
            raise ValueError(f"{path}: no 'title' column in the header")
        column = header.index("title")
        for row in reader:
            if len(row) > column:
                yield row[column]


def _xml_titles(path: Path) -> Iterator[str]:
    for _, elem in ET.iterparse(path):
        if elem.tag == "row":
            if elem.get("PostTypeId") == "1":
                yield elem.get("Title") or ""
            elem.clear()
