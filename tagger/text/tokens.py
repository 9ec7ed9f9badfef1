"""The one preprocessing function: question title -> the tokens the model sees.

Pipeline, exactly as in the original question: clean the text (`clean.clean_text`: HTML stripped
with BeautifulSoup), `word_tokenize(text, preserve_line=True)` -> `nltk.pos_tag` -> keep tokens whose
part-of-speech tag is in the configured set (default nouns NN/NNS and gerunds VBG) -> lowercase ->
drop English stop words and punctuation-only tokens.

Training, inference and the token browser all call `filter_tagged` with the `TokenConfig` saved in
the model's metadata, so "the tokens the model sees" is always what the model really saw. Tagging is
the slow step (~0.3-0.8 ms a title): many titles go through `cache.tag_titles`.

Bodies go the same way with their own `TokenConfig` (a body-aware model saves it beside the title's):
`clean.clean_body` -> sentences -> `word_tokenize` -> `pos_tag_sents` (only when the body filter keeps
some POS tags) -> the same `judge`; a model reads the first `body_len` kept body tokens
(`body_tokens`, `analyze_body`), and `cache.tag_bodies` does many bodies with the on-disk cache.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from tagger.core import paths
from tagger.text.clean import MAX_BODY_CHARS, MAX_TITLE_CHARS, clean_body, clean_text

__all__ = ["MAX_TITLE_CHARS", "MAX_BODY_CHARS", "DEFAULT_POS", "FILTERS", "TokenConfig", "TokenView",
           "TokenizerError", "tag_title", "judge", "filter_tagged", "analyze", "tokens", "tag_body", "body_tokens",
           "analyze_body"]
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
# clean_body ends every block with punctuation; word_tokenize(preserve_line=True) only splits a full stop
# off the last word of its input, so a body is cut into sentences first ("bread. Then" -> "bread", ".").
# (NLTK's own sentence splitter, Punkt, needs data this project doesn't ship.)
_SENTENCE_END = re.compile(r"(?<=[.!?;:…])\s+")


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


# The settings under which NLTK's tagger was last found. `nltk.data.find` walks the data folders and checks
# their permissions on every call, a sixth of a title's tagging time; once per setting is enough.
_FOUND_WITH: tuple | None = None


def _nltk():
    global _FOUND_WITH
    import nltk

    setting = (os.environ.get("NLTK_DATA", ""), paths.NLTK_DIR, id(nltk.data.path))
    if setting == _FOUND_WITH:
        return nltk
    paths.setup_nltk_data()
    try:
        nltk.data.find("taggers/averaged_perceptron_tagger_eng/")
    except LookupError:
        raise TokenizerError(
            "NLTK's English POS tagger (averaged_perceptron_tagger_eng) is missing: set NLTK_DATA to "
            f"a folder that holds it (this checkout's copy, {paths.NLTK_DIR}, is missing), or run "
            "`python -m nltk.downloader averaged_perceptron_tagger_eng`."
        ) from None
    _FOUND_WITH = setting
    return nltk


def tag_title(title: str) -> list[tuple[str, str]]:
    """Clean, tokenize and POS-tag one title."""
    text = clean_text(title)
    if not text:
        return []
    nltk = _nltk()
    words = nltk.word_tokenize(text, preserve_line=True)
    return [(w, p) for w, p in nltk.pos_tag(words)] if words else []


def body_sentences(body: str) -> list[list[str]]:
    """Clean a body (`clean.clean_body`: HTML, Markdown or plain text) and word-tokenize it, sentence by
    sentence."""
    text = clean_body(body)
    if not text:
        return []
    nltk = _nltk()
    return [w for w in (nltk.word_tokenize(s, preserve_line=True) for s in _SENTENCE_END.split(text)) if w]


def tag_body(body: str, pos: bool = False) -> list[tuple[str, str]]:
    """A body's words, POS-tagged sentence by sentence when `pos` (what a body filter with POS tags
    needs); otherwise with an empty tag, which is all an all-words filter reads and 3x faster."""
    sentences = body_sentences(body)
    if not pos:
        return [(w, "") for s in sentences for w in s]
    return [(w, p) for s in _nltk().pos_tag_sents(sentences) for w, p in s]


def needs_pos(config: TokenConfig) -> bool:
    return config.pos_tags is not None


def cap_views(views: Sequence[TokenView], cap: int | None) -> list[TokenView]:
    """Views after the first `cap` kept words are dropped with the reason: the model reads no further."""
    if cap is None:
        return list(views)
    out, kept = [], 0
    for v in views:
        if v.kept:
            kept += 1
            if kept > cap:
                v = TokenView(v.word, v.pos, False, None, f"past the first {cap} body tokens the model reads")
        out.append(v)
    return out


def analyze_body(body: str, config: TokenConfig, cap: int | None = None) -> list[TokenView]:
    """Every word of the body with why the model sees it or not (the filter, or past `cap` tokens)."""
    return cap_views([judge(w, p, config) for w, p in tag_body(body, needs_pos(config))], cap)


def body_tokens(body: str, config: TokenConfig, cap: int | None = None) -> list[str]:
    """The tokens a body-aware model sees for one body: the first `cap` the filter keeps."""
    kept = filter_tagged(tag_body(body, needs_pos(config)), config)
    return kept if cap is None else kept[:cap]


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
