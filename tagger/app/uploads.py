"""Batch suggestions: an uploaded CSV of titles (and, optionally, bodies) in, a table of suggested tags out.

Uploads come from strangers, so every way a file can be wrong gets its own plain message
(`UploadError`), and the titles are tagged without the on-disk cache: users' text is not kept.
No Streamlit here.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from tagger.text import cache
from tagger.text.clean import clean_text

MAX_BYTES = 1_000_000
MAX_ROWS = 2_000

# Signatures of files people upload by mistake, so the message can say what the file looks like.
_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel or Word file",
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


class UploadError(ValueError):
    """A file that can't be used; the message says why and what to do.

    Messages are Markdown (the page shows them with st.error): anything taken from the file appears only
    inside a code span, with its own backticks replaced, so it is always shown as text.
    """


def _code_text(text: str, limit: int = 40) -> str:
    """Text from the file to quote inside a Markdown code span. A backtick or a line break in it would end
    the span and let the rest render as Markdown (a link, an image), so both become spaces."""
    return " ".join(text[:limit].replace("`", " ").split())


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def read_titles(raw: bytes, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """CSV bytes -> a DataFrame with a clean `title` column (and the file's other columns)."""
    if not raw or not raw.strip():
        raise UploadError("The file is empty. Upload a CSV with a header row and a `title` column.")
    if len(raw) > max_bytes:
        raise UploadError(f"The file is {_size(len(raw))}; the limit is {_size(max_bytes)}. "
                          "Split it into smaller files.")
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            raise UploadError(f"This is not a CSV file: it looks like {kind}. "
                              "Save it as 'CSV UTF-8' and upload that.")
    if b"\x00" in raw[:8192]:
        raise UploadError("This is not a CSV file: it contains binary data. Save it as 'CSV UTF-8' and upload that.")
    try:
        text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as e:
        raise UploadError(f"The file is not UTF-8 text (byte 0x{raw[e.start]:02x} at position {e.start:,}). "
                          "Save it as 'CSV UTF-8' and upload it again.") from None
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise UploadError("The file is empty. Upload a CSV with a header row and a `title` column.") from None
    except (pd.errors.ParserError, csv.Error, ValueError) as e:
        raise UploadError(f"This file could not be read as CSV (`{_code_text(str(e), 200)}`). Check that it is "
                          "comma-separated and that quotes are balanced.") from None

    names = [str(c).strip() for c in df.columns]
    lowered = [n.lower() for n in names]
    if "title" not in lowered:
        shown = ", ".join(f"`{_code_text(n)}`" for n in names[:10]) + (" …" if len(names) > 10 else "")
        raise UploadError(f"No `title` column. Columns found: {shown}. "
                          "Name the column that holds the question titles `title`.")
    df.columns = names
    title_col = names[lowered.index("title")]
    df = df.rename(columns={title_col: "title"})
    if "body" in lowered:  # optional: read by a model that reads titles and bodies (`bodies.choose`)
        df = df.rename(columns={names[lowered.index("body")]: "body"})
        df["body"] = df["body"].map(lambda b: "" if pd.isna(b) else str(b))
    # Titles stay as uploaded: tagging cleans them, and cleaning twice would unescape entities twice.
    df["title"] = df["title"].map(lambda t: "" if pd.isna(t) else str(t))
    df = df[df["title"].map(clean_text) != ""].reset_index(drop=True)
    if df.empty:
        raise UploadError("The `title` column has no text in any row.")
    if len(df) > max_rows:
        raise UploadError(f"The file has {len(df):,} titles; the limit is {max_rows:,} per upload. "
                          "Split it into smaller files.")
    return df


def has_bodies(df: pd.DataFrame) -> bool:
    """Whether an upload has a `body` column with text in some row."""
    return "body" in df and bool(df["body"].str.strip().ne("").any())


def suggest_all(tagger, df: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """One row per title: the tokens the model saw, the tags above its threshold, and the top k. A model
    that reads bodies reads the `body` column too (its tokens in "body tokens"); a title-only one ignores it."""
    titles = df["title"].tolist()
    token_lists = cache.tokens_many(titles, tagger.config, use_cache=False)  # uploads are one-off: no disk cache
    reads_body = tagger.uses_body and has_bodies(df)
    body_lists = (tagger.body_tokens_many(df["body"].tolist(), use_cache=False) if reads_body
                  else [[] for _ in titles])
    probs = tagger.predict_proba(token_lists, body_lists if tagger.uses_body else None)
    rows = []
    for title, tokens, body_tokens, p in zip(titles, token_lists, body_lists, probs, strict=True):
        silence = tagger.silence(tokens, body_tokens)
        ranked = [] if silence else tagger.ranked(p, k)
        rows.append({
            "title": clean_text(title),  # shown as the tagger read it; tagging cleaned the raw text
            "tokens": " ".join(tokens),
            **({"body tokens": " ".join(body_tokens)} if reads_body else {}),
            "suggested tags": " ".join(t for t, prob in ranked if prob >= tagger.threshold),
            f"top {k}": "; ".join(f"{t} ({prob:.2f})" for t, prob in ranked),
            "note": f"{silence}: no suggestion" if silence else "",
        })
    out = pd.DataFrame(rows)
    others = df.drop(columns=["title"])
    return pd.concat([others.reset_index(drop=True), out], axis=1)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for download; cells that a spreadsheet would run as a formula are quoted with a leading '."""
    def defuse(value):
        return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value

    return df.map(defuse).to_csv(index=False).encode("utf-8")
