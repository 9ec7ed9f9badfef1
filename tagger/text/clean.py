"""Cleaning text before it is tokenised: HTML stripped with BeautifulSoup, entities decoded,
control characters dropped, whitespace collapsed, length capped."""

from __future__ import annotations

import unicodedata
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

MAX_TITLE_CHARS = 500


def collapse(text: str) -> str:
    return " ".join(text.split())


def clean_html(html_text: str) -> str:
    """Plain text from HTML: BeautifulSoup (html.parser), drop <code> and <pre> blocks, unescape entities,
    collapse whitespace, strip."""
    if not html_text:
        return ""
    # Most titles and many bodies contain no markup at all; skipping the parser
    # for them keeps loading large dumps fast.
    if "<" not in html_text and "&" not in html_text:
        return collapse(html_text)
    with warnings.catch_warnings():
        # Short strings that look like URLs or file names trigger a warning
        # meant for people passing a path instead of markup; here it is noise.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html_text, "html.parser")
    # Code samples are mostly identifiers and punctuation: they say little
    # about the topic and would swamp the vocabulary.
    for block in soup.find_all(["code", "pre"]):
        block.decompose()
    # get_text already decodes entities; a separator keeps words from
    # adjacent paragraphs apart.
    return collapse(soup.get_text(" "))


def clean_text(text: str, max_chars: int = MAX_TITLE_CHARS) -> str:
    """User or dataset text -> one clean line: HTML stripped, control characters dropped, capped."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # Markup can hide a long title in a longer string, but not without bound: parsing megabytes of HTML
    # takes seconds, so only a generous prefix is parsed before the cap below applies.
    text = text[: max_chars * 20]
    if "<" in text or "&" in text:
        text = clean_html(text)
    # Control and format characters (NUL, bidi overrides, zero-width joiners) only confuse the tagger.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    return collapse(text)[:max_chars]
