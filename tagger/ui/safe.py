"""Text shown as text: anything a visitor typed or uploaded that reaches the page goes through here."""

from __future__ import annotations

import html
import re


def escape(text) -> str:
    """Text for st.html: every character shown as itself, never markup."""
    return html.escape(str(text), quote=True)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")
# GitHub-flavoured Markdown turns bare URLs and e-mail addresses into links even when escaped; an
# invisible word joiner inside "http:", "www." and after "@" stops it and reads the same.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www|mailto)(?=\\?[:.])|(@)")
_WORD_JOINER = "\u2060"


def plain(text) -> str:
    """Text for Streamlit's Markdown (st.error, st.caption, ...): every Markdown character backslash-escaped
    and bare URLs defused, so a name, a path or a typed value quoted in a message can't become a link, an
    image or LaTeX."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _AUTOLINK.sub(lambda m: m.group(0) + _WORD_JOINER, escaped)
