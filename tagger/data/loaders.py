"""Load Stack Exchange questions from CSV, Kaggle CSV, fastText or Posts.xml files, plain or gzip-compressed.

Every format ends up as the same normalised rows ``{id, title, body, tags}``;
``iter_questions`` streams them and ``load_questions`` collects them into a
pandas DataFrame. Bad input raises ``DataError`` with a one-line message that
names the file, the row or line, and the problem.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import os
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from tagger.core import paths
from tagger.text.clean import clean_body, collapse

FORMATS = ("csv", "kaggle", "fasttext", "posts_xml")

# utf-8-sig decodes plain UTF-8 unchanged and also strips a leading BOM, which
# Excel-saved CSVs carry and which would otherwise end up glued to the first
# column name ("\ufeffid").
_ENCODING = "utf-8-sig"
_LABEL = "__label__"
_GZIP_MAGIC = b"\x1f\x8b"


class DataError(ValueError):
    """Bad data. str(err) is one line naming the file, the row (where it applies) and the problem."""


@dataclass
class LoadReport:
    path: str
    format: str  # "csv" | "kaggle" | "fasttext" | "posts_xml"
    rows_read: int = 0
    rows_kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def keep(self, title: str, tags: list[str]) -> bool:
        """The one rule every format follows: a question needs a title and at least one tag.
        Counts the row as kept, or as skipped with its reason (a row lacking both: "no title")."""
        if not title:
            self.skip("no title")
        elif not tags:
            self.skip("no tags")
        else:
            self.rows_kept += 1
            return True
        return False


def _error(path, problem: str, where: str | None = None) -> DataError:
    # Messages end up in a Streamlit banner and in logs, so keep them to one line.
    problem = " ".join(str(problem).split())
    prefix = f"{path}, {where}" if where else f"{path}"
    return DataError(f"{prefix}: {problem}")


def _clean_title(title: str | None) -> str:
    # Some dumps escape titles ("Salt &amp; pepper") even though they are
    # plain text, so unescape rather than parse them as HTML.
    return collapse(html.unescape(title)) if title else ""


def parse_tags(raw: str) -> list[str]:
    """'baking bread' or '<baking><bread>' or '|baking|bread|' -> ['baking','bread'].

    Lowercased, duplicates dropped keeping the first, empties dropped."""
    if not raw:
        return []
    # Tag names never contain '<', '>', '|' or spaces, so all three styles
    # reduce to whitespace-separated names once the delimiters become spaces.
    spaced = raw.replace("<", " ").replace(">", " ").replace("|", " ")
    return list(dict.fromkeys(t.lower() for t in spaced.split()))


def _check_file(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise _error(path, "file not found")
    if not p.is_file():
        raise _error(path, "not a regular file")
    if p.stat().st_size == 0:
        raise _error(path, "empty file")
    return p


def _open_bytes(path):
    """The file's bytes, decompressed when it is gzip. Recognised by its first two bytes, not its name: a
    renamed or downloaded file ("cooking.csv" that is really gzip, "data.gz" that is plain) reads the same."""
    with open(path, "rb") as f:
        compressed = f.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _open_text(path, newline: str | None = None):
    return io.TextIOWrapper(_open_bytes(path), encoding=_ENCODING, newline=newline)


def _damaged(path, err: Exception) -> DataError:
    if isinstance(err, (gzip.BadGzipFile, EOFError, zlib.error)):
        return _error(path, f"damaged gzip file ({err or 'cut short'}); download or compress it again")
    return _error(path, f"could not read the file ({err})")


def _undecodable(path, err: UnicodeDecodeError) -> DataError:
    # The text reader only reports a byte offset inside its buffer; rescan
    # the raw bytes line by line to tell the user which line to fix.
    bad = err.object[err.start : err.start + 1].hex()
    with _open_bytes(path) as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                raw.decode(_ENCODING)
            except UnicodeDecodeError:
                return _error(path, f"file is not UTF-8 text (invalid byte 0x{bad}); re-save it as UTF-8",
                              f"line {lineno}")
    return _error(path, f"file is not UTF-8 text (invalid byte 0x{bad}); re-save it as UTF-8")


def _normalise_header(names) -> list[str]:
    return [(n or "").strip().lower() for n in names]


def detect_format(path) -> str:
    """The format, by extension and first line: .xml (or .xml.gz) -> posts_xml; a line starting with
    '__label__' -> fasttext; a CSV header with a 'content' column -> kaggle; a CSV header with title and
    tags -> csv. Gzip-compressed files are read through. Anything else -> DataError."""
    p = _check_file(path)
    if p.name.lower().removesuffix(".gz").endswith(".xml"):
        return "posts_xml"
    try:
        with _open_text(p, newline="") as f:
            first = f.readline()
    except UnicodeDecodeError as err:
        raise _undecodable(path, err) from None
    except (OSError, EOFError, zlib.error) as err:
        raise _damaged(path, err) from None
    stripped = first.strip()
    if not stripped:
        raise _error(path, "first line is blank; expected a CSV header, a __label__ line or XML", "line 1")
    if stripped.startswith(_LABEL):
        return "fasttext"
    if stripped.startswith(("<?xml", "<posts")):
        return "posts_xml"
    header = _normalise_header(next(csv.reader([first])))
    if "content" in header:
        return "kaggle"
    if "title" in header and "tags" in header:
        return "csv"
    raise _error(
        path,
        "unrecognised format: expected a CSV header with title and tags, "
        f"__label__ lines or a Posts.xml (found columns: {', '.join(header)})",
        "line 1",
    )


def _iter_csv(path, fmt: str, report: LoadReport) -> Iterator[dict]:
    with _open_text(path, newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise _error(path, f"bad CSV header ({err})", "line 1") from None
        if not header or not any(h.strip() for h in header):
            raise _error(path, "empty file (no CSV header)")
        names = _normalise_header(header)
        required = ("title", "content", "tags") if fmt == "kaggle" else ("title", "tags")
        missing = [c for c in required if c not in names]
        if missing:
            raise _error(
                path,
                f"missing required column(s) {', '.join(missing)}; found columns: {', '.join(names)}",
                "line 1",
            )
        col = {name: i for i, name in reversed(list(enumerate(names)))}
        i_id, i_title, i_tags = col.get("id"), col["title"], col["tags"]
        i_body = col.get("body", col.get("content"))

        def cell(row: list[str], i: int | None) -> str:
            return row[i] if i is not None and i < len(row) else ""

        rowno = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                raise _error(path, f"malformed CSV ({err})", f"line {reader.line_num}") from None
            if not row:  # blank line between records
                continue
            rowno += 1
            report.rows_read += 1
            if i_id is None:
                qid = rowno
            else:
                raw_id = cell(row, i_id)
                try:
                    qid = int(raw_id)
                except ValueError:
                    raise _error(
                        path, f"id {raw_id!r} is not an integer", f"row {rowno} (line {reader.line_num})"
                    ) from None
            title = _clean_title(cell(row, i_title))
            tags = parse_tags(cell(row, i_tags))
            if not report.keep(title, tags):
                continue
            yield {"id": qid, "title": title, "body": clean_body(cell(row, i_body)), "tags": tags}


def _iter_fasttext(path, report: LoadReport) -> Iterator[dict]:
    with _open_text(path) as f:
        for lineno, line in enumerate(f, start=1):
            words = line.split()
            if not words:
                continue
            report.rows_read += 1
            n_labels = 0
            while n_labels < len(words) and words[n_labels].startswith(_LABEL):
                n_labels += 1
            tags = parse_tags(" ".join(w[len(_LABEL):] for w in words[:n_labels]))
            title = _clean_title(" ".join(words[n_labels:]))
            if not report.keep(title, tags):
                continue
            yield {"id": lineno, "title": title, "body": "", "tags": tags}


def _iter_posts_xml(path, report: LoadReport) -> Iterator[dict]:
    with _open_bytes(path) as f:
        # Binary input lets expat honour the XML declaration's encoding.
        context = ET.iterparse(f, events=("start", "end"))
        root = None
        n_elements = 0
        try:
            for event, elem in context:
                if root is None:
                    root = elem
                    continue
                if event != "end" or elem.tag != "row":
                    continue
                n_elements += 1
                attrs = dict(elem.attrib)
                # Clearing both the row and the root's child list is what keeps
                # memory flat: iterparse otherwise keeps every parsed row.
                elem.clear()
                root.clear()
                if attrs.get("PostTypeId") != "1":
                    continue
                report.rows_read += 1
                raw_id = attrs.get("Id", "")
                try:
                    qid = int(raw_id)
                except ValueError:
                    raise _error(path, f"Id {raw_id!r} is not an integer", f"row {n_elements}") from None
                title = _clean_title(attrs.get("Title"))
                tags = parse_tags(attrs.get("Tags", ""))
                if not report.keep(title, tags):
                    continue
                yield {"id": qid, "title": title, "body": clean_body(attrs.get("Body", "")), "tags": tags}
        except ET.ParseError as err:
            line, column = err.position
            reason = str(err).rsplit(": line", 1)[0]
            raise _error(path, f"malformed XML ({reason})", f"line {line}, column {column}") from None


def iter_questions(path, format: str | None = None, report: LoadReport | None = None) -> Iterator[dict]:
    """Streams questions one by one as dicts {id:int, title:str, body:str, tags:list[str]}, in file order.

    Memory stays constant for every format: CSV and fastText are read line by
    line, Posts.xml with ElementTree.iterparse (only PostTypeId="1" rows are
    questions). Rows without a title or without tags are skipped and counted
    in ``report.skipped`` (a row lacking both counts as "no title").
    ``report.rows_read``/``rows_kept`` are updated as rows go by. Raises
    DataError for unreadable files and when no row at all is usable.
    """
    if format is None:
        format = detect_format(path)
    elif format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    else:
        _check_file(path)
    if report is None:
        report = LoadReport(path=str(path), format=format)
    else:
        report.path, report.format = str(path), format

    if format == "fasttext":
        rows = _iter_fasttext(path, report)
    elif format == "posts_xml":
        rows = _iter_posts_xml(path, report)
    else:
        rows = _iter_csv(path, format, report)
    try:
        yield from rows
    except UnicodeDecodeError as err:
        raise _undecodable(path, err) from None
    except (OSError, EOFError, zlib.error) as err:
        raise _damaged(path, err) from None

    if report.rows_kept == 0:
        if report.rows_read == 0:
            raise _error(path, "no usable questions: the file has no question rows")
        reasons = ", ".join(f"{k}: {v}" for k, v in report.skipped.items())
        raise _error(path, f"no usable questions: {report.rows_read} rows skipped ({reasons})")


def load_questions(path, format: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """All questions as a DataFrame with columns id (int64), title (str), body (str, '' when absent), tags (list[str]).

    df.attrs['report'] holds the LoadReport. limit: stop after that many kept rows.
    """
    report = LoadReport(path=str(path), format=format or "")
    ids, titles, bodies, tags = [], [], [], []
    if limit is None or limit > 0:
        for q in iter_questions(path, format, report):
            ids.append(q["id"])
            titles.append(q["title"])
            bodies.append(q["body"])
            tags.append(q["tags"])
            if limit is not None and len(ids) >= limit:
                break
    elif not report.format:
        report.format = detect_format(path)
    df = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype="int64"),
            "title": pd.Series(titles, dtype=str),
            "body": pd.Series(bodies, dtype=str),
            "tags": pd.Series(tags, dtype=object),
        }
    )
    df.attrs["report"] = report
    return df


def default_data_path(cli_value: str | None = None) -> Path | None:
    """--data value, else env TAGGER_DATA, else the repository's data/cooking.csv.gz if it exists, else None."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("TAGGER_DATA")
    if env:
        return Path(env).expanduser()
    return paths.DATA_FILE if paths.DATA_FILE.is_file() else None
