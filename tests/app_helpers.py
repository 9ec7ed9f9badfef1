"""Small helpers the app tests share (importable, unlike conftest.py)."""

from __future__ import annotations

import re

TINY = "tiny-all-words"  # a small saved (not shipped) model that keeps every word; see conftest.py
TINY_NOUNS = "tiny-nouns"  # the stand-in default before any model ships


def shown(markdown: str) -> str:
    """What a reader sees of a message the app backslash-escaped for Markdown (`ui.plain`)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def assert_clean(at) -> None:
    """No traceback and no catch-all error on the page."""
    assert not at.exception, [e.value for e in at.exception]
    unexpected = [e.value for e in at.error if "Something went wrong" in e.value]
    assert not unexpected, unexpected
