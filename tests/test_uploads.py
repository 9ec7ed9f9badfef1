"""Batch CSV uploads: every bad file gets its own clear message; good files get suggestions."""

import pytest

from tagger.app import uploads
from tagger.app.uploads import UploadError


def test_reads_titles_and_keeps_other_columns():
    df = uploads.read_titles("\ufeffid,Title\n1,How do I store basil?\n2,  \n3,<b>Bread</b> too dense\n".encode())
    # Blank titles are dropped; the rest stay as uploaded, since tagging cleans them (once).
    assert df["title"].tolist() == ["How do I store basil?", "<b>Bread</b> too dense"]
    assert df["id"].tolist() == ["1", "3"]


@pytest.mark.parametrize("raw, expected", [
    (b"", "The file is empty"),
    (b"   \n\n", "The file is empty"),
    (b"name,tags\nbasil,herbs\n", "No `title` column. Columns found: `name`, `tags`"),
    (b"PK\x03\x04\x14\x00binary", "not a CSV file: it looks like an Excel workbook"),
    (b"title\nabc\x00def\n", "not a CSV file: it contains binary data"),
    ("title\nCrème brûlée\n".encode("latin-1"), "not UTF-8 text (byte 0xe8"),
    (b'title,x\n"unbalanced,1\n', "could not be read as CSV"),
    (b"title\n \n\n", "has no text in any row"),
])
def test_bad_files_get_a_clear_message(raw, expected):
    with pytest.raises(UploadError) as err:
        uploads.read_titles(raw)
    assert expected in str(err.value)


def test_column_names_from_the_file_are_quoted_as_code_never_markdown():
    raw = b"name,a`![pixel](http://203.0.113.9/x.png)`\n1,2\n"
    with pytest.raises(UploadError) as err:
        uploads.read_titles(raw)
    message = str(err.value)
    found = message.split("Columns found: ")[1].split(". Name the column")[0]
    assert found.startswith("`name`, `a ![pixel](http")
    assert found.count("`") == 4  # two code spans; the file's own backticks are gone


def test_size_and_row_limits():
    with pytest.raises(UploadError, match="the limit is 1.0 MB"):
        uploads.read_titles(b"title\n" + b"How do I cook rice?\n" * 60_000)
    with pytest.raises(UploadError, match="has 11 titles; the limit is 10"):
        uploads.read_titles(b"title\n" + b"rice\n" * 11, max_rows=10)


def test_suggest_all_with_a_real_model(scratch_registry):
    tagger = scratch_registry.load(scratch_registry.active_name())
    rows = uploads.read_titles(b"id,title\n7,How long can I keep cooked rice in the fridge?\n8,What is this?\n")
    out = uploads.suggest_all(tagger, rows, k=3)
    assert out.columns.tolist() == ["id", "title", "tokens", "suggested tags", "top 3", "note"]
    assert out.loc[0, "id"] == "7" and "rice" in out.loc[0, "tokens"].split()
    assert out.loc[0, "top 3"].count("(") == 3
    assert out.loc[1, "tokens"] == "" and out.loc[1, "top 3"] == "" and "no suggestion" in out.loc[1, "note"]


def test_download_defuses_spreadsheet_formulas():
    import pandas as pd

    csv = uploads.to_csv_bytes(pd.DataFrame({"title": ["=HYPERLINK(1)", "plain"]})).decode()
    assert "'=HYPERLINK(1)" in csv and "\nplain" in csv
