"""The project's fixed train / held-out split, and a fingerprint of a data set's content."""

from __future__ import annotations

import hashlib

import pandas as pd


def holdout_split(df: pd.DataFrame, n_test: int = 2404) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The project's fixed split: the last n_test rows (file order) are held out.

    Frames smaller than 5*n_test hold out the last 20% instead (at least 1
    row). Returns (train, test) with reset index.
    """
    if n_test < 1:
        raise ValueError(f"n_test must be at least 1, got {n_test}")
    n = len(df)
    if n < 2:
        raise ValueError(f"need at least 2 rows to split, got {n}")
    # A fixed tail split (not random) keeps scores comparable between runs
    # and between models without having to store a seed or an index list.
    k = n_test if n >= 5 * n_test else max(1, n // 5)
    return df.iloc[: n - k].reset_index(drop=True), df.iloc[n - k :].reset_index(drop=True)


def fingerprint(df: pd.DataFrame) -> str:
    """sha256 hex (first 16 chars) of the titles+tags content; stable across runs; used as a cache key."""
    h = hashlib.sha256()
    # Python's hash() is salted per process, so hash an explicit byte encoding;
    # the separators keep ("a b", []) and ("a", ["b"]) distinct.
    for title, tags in zip(df["title"], df["tags"], strict=False):
        h.update(title.encode("utf-8"))
        h.update(b"\x1f")
        h.update(" ".join(tags).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:16]
