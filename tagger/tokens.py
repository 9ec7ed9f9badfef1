"""The one preprocessing function: question title -> the tokens the model sees.

Pipeline, exactly as in the original question: clean the text (HTML stripped with BeautifulSoup),
`word_tokenize(text, preserve_line=True)` -> `nltk.pos_tag` -> keep tokens whose part-of-speech tag
is in the configured set (default nouns NN/NNS and gerunds VBG) -> lowercase -> drop English stop
words and punctuation-only tokens.

Training, inference and the token browser all call `filter_tagged` with the `TokenConfig` saved in
the model's metadata, so "the tokens the model sees" is always what the model really saw.
Tagging is the slow step (~0.3-0.8 ms a title), so whole datasets go through `tag_titles`, which
keeps the tagged titles in an on-disk cache keyed by the titles' content hash.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from tagger import paths

MAX_TITLE_CHARS = 500
DEFAULT_POS = ("NN", "NNS", "VBG")

# Named filters used across the app; None means "keep every word".
FILTERS: dict[str, tuple[str, ...] | None] = {
    "nouns + gerunds (NN, NNS, VBG)": DEFAULT_POS,
    "+ proper nouns, adjectives, verbs": (
        "NN", "NNS", "NNP", "NNPS", "VBG", "JJ", "JJR", "JJS", "VB", "VBD", "VBN", "VBP", "VBZ",
    ),
    "all words": None,
}

_PUNCT_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)


class TokenizerError(RuntimeError):
    """NLTK's data is missing or unusable; the message says how to fix it."""


@dataclass(frozen=True)
class TokenConfig:
    """What the filter keeps. Saved with every model so inference repeats training exactly."""

    pos_tags: tuple[str, ...] | None = DEFAULT_POS  # None: all words
    lowercase: bool = True
    drop_stop_words: bool = True

    @classmethod
    def from_pos(cls, spec: str, **kwargs) -> "TokenConfig":
        """'NN,NNS,VBG' or 'all' -> a config."""
        spec = (spec or "").strip()
        if spec.lower() in ("all", "*", "all words"):
            return cls(pos_tags=None, **kwargs)
        tags = tuple(t.strip().upper() for t in spec.split(",") if t.strip())
        if not tags or not all(re.fullmatch(r"[A-Z$]{2,5}", t) for t in tags):
            raise ValueError(f"invalid POS tag set {spec!r}: use e.g. 'NN,NNS,VBG' or 'all'")
        return cls(pos_tags=tags, **kwargs)

    @property
    def label(self) -> str:
        return "all words" if self.pos_tags is None else ",".join(self.pos_tags)

    def to_dict(self) -> dict:
        return {
            "pos_tags": None if self.pos_tags is None else list(self.pos_tags),
            "lowercase": self.lowercase,
            "drop_stop_words": self.drop_stop_words,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "TokenConfig":
        pos = d.get("pos_tags", list(DEFAULT_POS))
        return cls(
            pos_tags=None if pos is None else tuple(pos),
            lowercase=bool(d.get("lowercase", True)),
            drop_stop_words=bool(d.get("drop_stop_words", True)),
        )


@dataclass(frozen=True)
class TokenView:
    """One word of a title as the filter judged it, for showing people what was kept and why."""

    word: str
    pos: str
    kept: bool
    token: str | None  # what the model sees, when kept
    reason: str = field(default="kept")


def clean_text(text: str) -> str:
    """User or dataset text -> one clean line: HTML stripped, control characters dropped, capped."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # Markup can hide a long title in a longer string, but not without bound: parsing megabytes of HTML
    # takes seconds, so only a generous prefix is parsed before the cap below applies.
    text = text[: MAX_TITLE_CHARS * 20]
    if "<" in text or "&" in text:
        from tagger.data import clean_html  # BeautifulSoup is only needed when there is markup

        text = clean_html(text)
    # Control and format characters (NUL, bidi overrides, zero-width joiners) only confuse the tagger.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    return " ".join(text.split())[:MAX_TITLE_CHARS]


def _nltk():
    paths.setup_nltk_data()
    import nltk

    try:
        nltk.data.find("taggers/averaged_perceptron_tagger_eng/")
    except LookupError:
        raise TokenizerError(
            "NLTK's English POS tagger (averaged_perceptron_tagger_eng) is missing: set NLTK_DATA to "
            "a folder that holds it (e.g. ../shared/nltk_data), or run "
            "`python -m nltk.downloader averaged_perceptron_tagger_eng`."
        ) from None
    return nltk


def tag_title(title: str) -> list[tuple[str, str]]:
    """Clean, tokenize and POS-tag one title."""
    text = clean_text(title)
    if not text:
        return []
    nltk = _nltk()
    words = nltk.word_tokenize(text, preserve_line=True)
    return [(w, p) for w, p in nltk.pos_tag(words)] if words else []


def judge(word: str, pos: str, config: TokenConfig) -> TokenView:
    """Keep or drop one tagged word, and say why."""
    if config.pos_tags is not None and pos not in config.pos_tags:
        return TokenView(word, pos, False, None, f"{pos} is not in the filter")
    if _PUNCT_ONLY.match(word):
        return TokenView(word, pos, False, None, "punctuation")
    token = word.lower() if config.lowercase else word
    if config.drop_stop_words and token.lower() in ENGLISH_STOP_WORDS:
        return TokenView(word, pos, False, None, "stop word")
    return TokenView(word, pos, True, token)


def filter_tagged(tagged: Sequence[tuple[str, str]], config: TokenConfig) -> list[str]:
    """The filter every path uses: tagged words -> kept tokens."""
    out = []
    for word, pos in tagged:
        view = judge(word, pos, config)
        if view.kept:
            out.append(view.token)
    return out


def analyze(title: str, config: TokenConfig) -> list[TokenView]:
    """Every word of the title with its POS tag and whether the model sees it."""
    return [judge(w, p, config) for w, p in tag_title(title)]


def tokens(title: str, config: TokenConfig) -> list[str]:
    """The tokens the model sees for one title."""
    return filter_tagged(tag_title(title), config)


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
    """POS-tag many titles, reusing the on-disk cache when these exact titles were tagged before.

    The cache holds tagged words, not filtered tokens, so every filter config reuses one entry.
    """
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
