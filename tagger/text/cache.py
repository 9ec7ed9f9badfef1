"""Many titles at once: POS tagging with an on-disk cache.

Tagging is the slow step of the token pipeline (~0.3-0.8 ms a title), and whole datasets are tagged
again and again (every training run, every filter compared on the Tokens page). The cache holds the
*tagged* words, not filtered tokens, keyed by a hash of the titles and the tagger's version, so every
filter config reuses one entry. A miss of many titles is tagged on every core (`pool.tag_stream`:
10,000 titles or more); only this process reads and writes the entry, whoever did the tagging, so the
pool and the single-process path share entries.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from tagger.core import atomic, paths
from tagger.text import pool
from tagger.text.tokens import MAX_BODY_CHARS, MAX_TITLE_CHARS, TokenConfig, filter_tagged, needs_pos, tag_body


def _tagger_version() -> str:
    import nltk

    return f"nltk-{nltk.__version__}-perceptron-eng-v1-max{MAX_TITLE_CHARS}"


def titles_hash(titles: Sequence[str], kind: str = "") -> str:
    h = hashlib.sha256((_tagger_version() + kind).encode())
    for t in titles:
        h.update(str(t).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def tag_titles(titles: Sequence[str], use_cache: bool = True, progress=None,
               processes: int | None = None) -> list[list[tuple[str, str]]]:
    """POS-tag many titles, reusing the on-disk cache when these exact titles were tagged before.

    Args:
        titles: raw titles.
        use_cache: read and write the on-disk entry for these exact titles.
        progress: called as `progress(done, total)` while tagging.
        processes: tagging processes for a miss (None: every core for 10,000 titles or more, see
            `pool.tag_stream`; 1: this process only).
    """
    titles = list(titles)
    key = titles_hash(titles)
    path = paths.cache_dir() / "tagged" / f"{key}.json.gz"
    cached = _read_cache(path, len(titles)) if use_cache else None
    if cached is not None:
        return cached
    report = None if progress is None else (lambda done: progress(done, len(titles)))
    tagged = pool.tag_many(titles, processes, progress=report)
    if use_cache:
        _write_cache(path, tagged)
    return tagged


def _read_cache(path: Path, n: int) -> list[list[tuple[str, str]]] | None:
    """The tagged rows in a cache entry, or None when it is missing, damaged or not `n` rows long (then it
    is simply rebuilt)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            cached = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(cached, list) or len(cached) != n:
        return None
    return [[tuple(wp) for wp in row] for row in cached]


def _write_cache(path: Path, tagged) -> None:
    def dump(tmp: Path) -> None:
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            json.dump(tagged, f)

    # Readers never see half a file, and two processes filling one key both write the same content:
    # whichever rename lands last, the entry is whole and right.
    try:
        atomic.write_file(path, dump)
    except OSError:
        pass  # the cache is an optimisation; a read-only or full disk must not break tagging


def tokens_many(titles: Sequence[str], config: TokenConfig, use_cache: bool = True,
                processes: int | None = None) -> list[list[str]]:
    """The tokens the model sees for many titles (cached tagging, on every core for large inputs)."""
    return [filter_tagged(t, config) for t in tag_titles(titles, use_cache=use_cache, processes=processes)]


def tag_bodies(bodies: Sequence[str], pos: bool = False, use_cache: bool = True,
               progress=None) -> list[list[tuple[str, str]]]:
    """Many bodies' words (POS-tagged when `pos`), with the same on-disk cache as titles, under its own key.
    Bodies are ~20 times longer than titles: tagging all 12,404 takes ~30 s with POS tags, ~15 s without."""
    bodies = list(bodies)
    kind = f"body-v1-{'pos' if pos else 'words'}-max{MAX_BODY_CHARS}-"  # v1: clean_body's rules
    path = paths.cache_dir() / "tagged" / f"{kind}{titles_hash(bodies, kind)}.json.gz"
    cached = _read_cache(path, len(bodies)) if use_cache else None
    if cached is not None:
        return cached
    tagged = []
    for i, body in enumerate(bodies):
        tagged.append(tag_body(body, pos))
        if progress is not None and (i % 500 == 0 or i == len(bodies) - 1):
            progress(i + 1, len(bodies))
    if use_cache:
        _write_cache(path, tagged)
    return tagged


def body_tokens_many(bodies: Sequence[str], config: TokenConfig, cap: int | None = None,
                     use_cache: bool = True) -> list[list[str]]:
    """The tokens a body-aware model sees for many bodies: the first `cap` its body filter keeps."""
    rows = (filter_tagged(t, config) for t in tag_bodies(bodies, needs_pos(config), use_cache=use_cache))
    return [row if cap is None else row[:cap] for row in rows]
