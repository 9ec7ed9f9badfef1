"""Many titles at once: POS tagging with an on-disk cache.

Tagging is the slow step of the token pipeline (~0.3-0.8 ms a title), and whole datasets are tagged
again and again (every training run, every filter compared on the Tokens page). The cache holds the
*tagged* words, not filtered tokens, keyed by a hash of the titles and the tagger's version, so every
filter config reuses one entry.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tagger.core import paths
from tagger.text.tokens import MAX_TITLE_CHARS, TokenConfig, filter_tagged, tag_title


def _tagger_version() -> str:
    import nltk

    return f"nltk-{nltk.__version__}-perceptron-eng-v1-max{MAX_TITLE_CHARS}"


def titles_hash(titles: Sequence[str]) -> str:
    h = hashlib.sha256(_tagger_version().encode())
    for t in titles:
        h.update(str(t).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def tag_titles(titles: Sequence[str], use_cache: bool = True, progress=None) -> list[list[tuple[str, str]]]:
    """POS-tag many titles, reusing the on-disk cache when these exact titles were tagged before."""
    titles = list(titles)
    key = titles_hash(titles)
    path = paths.cache_dir() / "tagged" / f"{key}.json.gz"
    if use_cache and path.exists():
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                cached = json.load(f)
            if len(cached) == len(titles):
                return [[tuple(wp) for wp in row] for row in cached]
        except (OSError, ValueError):
            pass  # a damaged cache entry is simply rebuilt
    tagged = []
    for i, title in enumerate(titles):
        tagged.append(tag_title(title))
        if progress is not None and (i % 500 == 0 or i == len(titles) - 1):
            progress(i + 1, len(titles))
    if use_cache:
        _write_cache(path, tagged)
    return tagged


def _write_cache(path: Path, tagged) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as f:
            json.dump(tagged, f)
        os.replace(tmp, path)  # readers never see half a file
    except OSError:
        pass  # the cache is an optimisation; a read-only disk must not break tagging


def tokens_many(titles: Sequence[str], config: TokenConfig, use_cache: bool = True) -> list[list[str]]:
    """The tokens the model sees for many titles (cached tagging)."""
    return [filter_tagged(t, config) for t in tag_titles(titles, use_cache=use_cache)]
