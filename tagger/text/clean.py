"""Cleaning text before it is tokenised: HTML stripped with BeautifulSoup, entities decoded,
control characters dropped, whitespace collapsed, length capped. `clean_text` for titles (one line),
`clean_body` for question bodies (HTML, Markdown or plain text -> one line of sentences)."""

from __future__ import annotations

import html as html_module
import re
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


# --- question bodies ------------------------------------------------------------------------------
# A body is HTML as the site stores it, or whatever a visitor pastes: plain text, Markdown (the site's
# editor source) or HTML. `clean_body` turns any of them into one line of sentences for the tokenizer.

MAX_BODY_CHARS = 5000  # the cleaned body is cut here (at a word); longer bodies in the data: under 2 %
_MAX_BODY_INPUT = MAX_BODY_CHARS * 20  # markup parsed before the cap applies (the longest body: 21,606)

_BLOCK_TAGS = frozenset(
    "p li br hr blockquote h1 h2 h3 h4 h5 h6 ul ol dl dt dd div table thead tbody tr td th caption "
    "section article header footer aside nav figure figcaption address details summary main center".split())
_DROP_TAGS = frozenset("pre img script style iframe svg object embed video audio noscript template head title "
                       "input button select textarea".split())
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_CUT_TAG = re.compile(r"<[a-zA-Z/!][^<>]*$")  # a tag cut off at the end, which html.parser keeps as text
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)
_MD_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(^[ \t]*\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_MD_REF = re.compile(r"^\s*\[[^\]\n]+\]:\s*\S+.*$", re.MULTILINE)  # "[1]: http://..." link definitions
_MD_LINE = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d{1,3}[.)]\s+)+")  # a block's heading, quote or list mark
_MD_MARKS = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")  # emphasis and code-span marks ("snake_case" keeps its _)
# After cleaning, a '<' or '&' that could start a tag or an entity gets a space, so the text reads the
# same when cleaned again (clean_body(clean_body(x)) == clean_body(x)) and never turns into markup.
_REPARSE = re.compile(r"([<&])(?=[#a-zA-Z/!?])")
_END_PUNCT = frozenset(".!?:;…")
_BREAK = object()


def _looks_like_url(text: str) -> bool:
    text = text.strip().strip("<>()[]")
    return bool(text) and _URL.fullmatch(text) is not None


def _walk_html(html: str) -> list:
    """Text pieces of the HTML in document order, with _BREAK between blocks. Iterative: html.parser
    nests unclosed tags, so the depth of a broken document has no bound."""
    from bs4 import CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    skip = (Comment, CData, Declaration, Doctype, ProcessingInstruction)
    out: list = []
    stack, closers = [iter(soup.children)], [None]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            if closers.pop() is _BREAK:
                out.append(_BREAK)
            continue
        if isinstance(child, NavigableString):
            if not isinstance(child, skip):
                out.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = (child.name or "").lower()
        if name in _DROP_TAGS:  # <pre> takes its <code> with it
            out.append(_BREAK)
            continue
        if name == "code" and "\n" in child.get_text():  # a code block without <pre>
            out.append(_BREAK)
            continue
        if name == "a" and _looks_like_url(child.get_text()):  # a link whose text is its URL
            continue
        block = name in _BLOCK_TAGS
        if block:
            out.append(_BREAK)
        stack.append(iter(child.children))
        closers.append(_BREAK if block else None)
    return out


def _walk_text(text: str) -> list:
    """Plain text or Markdown: fenced code blocks out, each line a block (lists, headings, paragraphs)."""
    text = _MD_FENCE.sub("\n", text)
    text = _MD_REF.sub("", text)
    out: list = []
    for line in text.splitlines():
        out.extend((html_module.unescape(line), _BREAK))
    return out


def _inline(text: str) -> str:
    """What is left of inline markup in either kind of input: Markdown images, links, emphasis and code
    spans, bare URLs, control characters."""
    text = _MD_IMAGE.sub(" ", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARKS.sub("", text)
    text = _URL.sub(" ", text)
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def clean_body(body, max_chars: int = MAX_BODY_CHARS) -> str:
    """A question body (HTML, Markdown or plain text) -> one line of plain text, one sentence per block.

    - HTML is parsed with BeautifulSoup (html.parser, which never raises on broken markup); `<pre>`
      blocks (with their `<code>`), multi-line `<code>` blocks, images, scripts, styles and comments are
      dropped. A short inline `<code>` is kept: on cooking.stackexchange it highlights ingredient and
      dish names ("<code>ghee</code> instead of butter"), not code.
    - Links keep their text, never their URL; a link whose text is a URL is dropped, and so is every
      bare URL. Entities are decoded (`&amp;` `&deg;` `&frac12;` ...).
    - Markdown: fenced code blocks, images and link definitions are dropped; `[text](url)` keeps its
      text; emphasis and code-span markers go.
    - Paragraphs, list items, line breaks, headings, quotes and table cells end sentences ("." added
      where none ends them), so list items don't run into one sentence and words on either side of a
      boundary never glue together; inline elements (em, a, sup) are not boundaries.
    - Whitespace is collapsed; the result is cut at `max_chars` (at a word boundary), and cleaning it
      again changes nothing. Empty or None input -> "".
    """
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    elif not isinstance(body, str):
        body = str(body)
    body = body[:_MAX_BODY_INPUT]
    if not body.strip():
        return ""
    if _HTML_TAG.search(body) or "<!--" in body:
        pieces = _walk_html(_CUT_TAG.sub("", body))
    else:
        pieces = _walk_text(body)

    sentences: list[str] = []
    current: list[str] = []

    def flush():
        text = collapse(_MD_LINE.sub("", _inline("".join(current))))
        current.clear()
        if text and any(ch.isalnum() for ch in text):
            sentences.append(text if text[-1] in _END_PUNCT else text + ".")

    for piece in pieces:
        if piece is _BREAK:
            flush()
        else:
            current.append(piece)
    flush()
    text = _REPARSE.sub(r"\1 ", " ".join(sentences))
    if len(text) > max_chars:
        cut = text[:max_chars]  # one character kept free for the full stop
        text = cut[:cut.rfind(" ")].rstrip() if " " in cut else cut[:max_chars - 1]
        text = text if text[-1:] in _END_PUNCT else text + "."
    return text
