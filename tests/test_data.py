"""Tests for tagger.data: every input format, the error messages, and the split/fingerprint helpers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from tagger.core import paths
from tagger.data.loaders import (
    FORMATS,
    DataError,
    LoadReport,
    default_data_path,
    detect_format,
    iter_questions,
    load_questions,
    parse_tags,
)
from tagger.data.split import fingerprint, holdout_split
from tagger.text.clean import clean_html

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO / "data" / "cooking.csv.gz"  # shipped with the repository
REAL_POSTS = REPO / "data" / "cooking-posts.csv.gz"

POSTS_XML = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" Title="Salt &amp;amp; pepper: when?" Body="&lt;p&gt;Before &lt;i&gt;searing&lt;/i&gt;&lt;/p&gt;&lt;pre&gt;&lt;code&gt;secret_code()&lt;/code&gt;&lt;/pre&gt;" Tags="&lt;Seasoning&gt;&lt;steak&gt;" />
  <row Id="2" PostTypeId="2" ParentId="1" Body="&lt;p&gt;An answer&lt;/p&gt;" />
  <row Id="3" PostTypeId="1" Title="Knead   bread
 dough" Body="" Tags="|baking|bread|" />
  <row Id="4" PostTypeId="1" Title="Untagged question" Body="x" />
</posts>
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


# --- parse_tags / clean_html -------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("baking bread", ["baking", "bread"]),
        ("<baking><bread>", ["baking", "bread"]),
        ("|baking|bread|", ["baking", "bread"]),
        ("  Baking   BREAD\tbaking ", ["baking", "bread"]),
        ("<food-safety><c++><food-safety>", ["food-safety", "c++"]),
        ("", []),
        ("||", []),
        ("<>", []),
    ],
)
def test_parse_tags(raw, expected):
    assert parse_tags(raw) == expected


@pytest.mark.parametrize(
    "html_text, expected",
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one two"),
        ("Tom &amp; Jerry &lt;3 &eacute;", "Tom & Jerry <3 é"),
        ("<p>Use</p><pre><code>rm -rf /\nls</code></pre><p>this</p>", "Use this"),
        ("inline <code>x = 1</code> code", "inline code"),
        ("  lots \n\n of\t space  ", "lots of space"),
        ("", ""),
        ("http://example.com", "http://example.com"),
    ],
)
def test_clean_html(html_text, expected):
    assert clean_html(html_text) == expected


# --- csv ----------------------------------------------------------------------


def test_csv_basic_and_types(tmp_path):
    p = write(
        tmp_path,
        "q.csv",
        'id,title,tags\n10,"Crispy, golden fries?",frying potatoes\n'
        "11,Tom &amp; Jerry   cake,<baking><cake>\n",
    )
    df = load_questions(p)
    assert list(df.columns) == ["id", "title", "body", "tags"]
    assert df["id"].dtype == "int64"
    assert df["id"].tolist() == [10, 11]
    assert df["title"].tolist() == ["Crispy, golden fries?", "Tom & Jerry cake"]
    assert df["body"].tolist() == ["", ""]
    assert df["tags"].tolist() == [["frying", "potatoes"], ["baking", "cake"]]
    report = df.attrs["report"]
    assert isinstance(report, LoadReport)
    assert (report.format, report.rows_read, report.rows_kept, report.skipped) == ("csv", 2, 2, {})


def test_csv_without_id_uses_row_number_and_cleans_body(tmp_path):
    p = write(
        tmp_path,
        "q.csv",
        'Title,Body,Tags\nFirst,"<p>Hi</p><pre><code>x</code></pre>",a\n,no title here,b\nThird,,c d\n',
    )
    df = load_questions(p)
    # The skipped second row still counts: ids are row numbers, not kept-row numbers.
    assert df["id"].tolist() == [1, 3]
    assert df["body"].tolist() == ["Hi.", ""]
    assert df.attrs["report"].skipped == {"no title": 1}


def test_csv_with_bom_is_read(tmp_path):
    p = write(tmp_path, "bom.csv", "\ufeffid,title,tags\n5,Bread,baking\n".encode("utf-8"))
    df = load_questions(p)
    assert df["id"].tolist() == [5]


def test_csv_skipped_rows_are_counted(tmp_path):
    p = write(
        tmp_path,
        "q.csv",
        "id,title,tags\n1,Good,a\n2,,b\n3,No tags,\n4,Also no tags,  \n5,   ,\n6,Fine,b c\n",
    )
    report = LoadReport(path="", format="")
    rows = list(iter_questions(p, report=report))
    assert [r["id"] for r in rows] == [1, 6]
    assert report.format == "csv"
    assert report.rows_read == 6
    assert report.rows_kept == 2
    assert report.skipped == {"no title": 2, "no tags": 2}


def test_csv_non_integer_id(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,tags\n1,Ok,a\nabc,Bad,b\n")
    with pytest.raises(DataError) as err:
        load_questions(p)
    msg = one_line(err)
    assert str(p) in msg and "row 2" in msg and "'abc'" in msg


def test_limit_stops_after_kept_rows(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,tags\n1,A,a\n2,,b\n3,C,c\n4,D,d\n")
    df = load_questions(p, limit=2)
    assert df["id"].tolist() == [1, 3]
    assert df.attrs["report"].rows_kept == 2
    assert df.attrs["report"].rows_read == 3


# --- kaggle / fasttext --------------------------------------------------------


def test_kaggle_format(tmp_path):
    p = write(
        tmp_path,
        "kaggle.csv",
        'id,title,content,tags\n1,How to boil an egg?,"<p>Water &amp; heat</p><pre>code</pre>",eggs boiling\n',
    )
    assert detect_format(p) == "kaggle"
    df = load_questions(p)
    assert df.attrs["report"].format == "kaggle"
    assert df.iloc[0]["body"] == "Water & heat."
    assert df.iloc[0]["tags"] == ["eggs", "boiling"]


def test_fasttext_format(tmp_path):
    p = write(
        tmp_path,
        "train.txt",
        "__label__baking __label__Bread How do I knead   dough?\n"
        "\n"
        "__label__eggs\n"
        "A title without labels\n"
        "__label__eggs __label__eggs Why do __label__x eggs crack?\n",
    )
    assert detect_format(p) == "fasttext"
    report = LoadReport(path="", format="")
    rows = list(iter_questions(p, report=report))
    assert rows == [
        {"id": 1, "title": "How do I knead dough?", "body": "", "tags": ["baking", "bread"]},
        # Only leading labels are tags; a label-like word later is part of the title.
        {"id": 5, "title": "Why do __label__x eggs crack?", "body": "", "tags": ["eggs"]},
    ]
    assert report.skipped == {"no title": 1, "no tags": 1}


# --- posts_xml ----------------------------------------------------------------


def test_posts_xml(tmp_path):
    p = write(tmp_path, "Posts.xml", POSTS_XML)
    df = load_questions(p)
    assert df["id"].tolist() == [1, 3]  # the answer (2) is ignored, 4 has no tags
    assert df.iloc[0]["title"] == "Salt & pepper: when?"
    assert df.iloc[0]["body"] == "Before searing."
    assert "secret_code" not in " ".join(df["body"])
    assert df.iloc[0]["tags"] == ["seasoning", "steak"]
    assert df.iloc[1]["title"] == "Knead bread dough"
    assert df.iloc[1]["tags"] == ["baking", "bread"]
    report = df.attrs["report"]
    assert (report.format, report.rows_read, report.rows_kept) == ("posts_xml", 3, 2)
    assert report.skipped == {"no tags": 1}


def test_posts_xml_streams_many_rows(tmp_path):
    n = 20_000
    p = tmp_path / "Posts.xml"
    with open(p, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        for i in range(1, n + 1):
            f.write(f'  <row Id="{i}" PostTypeId="1" Title="Question {i}" Tags="&lt;t{i % 7}&gt;" />\n')
        f.write("</posts>\n")
    it = iter_questions(p)
    first = next(it)
    assert first == {"id": 1, "title": "Question 1", "body": "", "tags": ["t1"]}
    count, last = 1, first
    for row in it:
        count, last = count + 1, row
    assert count == n
    assert last["id"] == n


# --- errors -------------------------------------------------------------------


def test_missing_file(tmp_path):
    p = tmp_path / "nope.csv"
    with pytest.raises(DataError) as err:
        load_questions(p)
    assert "file not found" in one_line(err) and str(p) in str(err.value)


@pytest.mark.parametrize("name", ["empty.csv", "empty.txt", "empty.xml"])
def test_empty_file(tmp_path, name):
    p = write(tmp_path, name, "")
    with pytest.raises(DataError, match="empty file"):
        load_questions(p)


def test_empty_file_with_explicit_format(tmp_path):
    p = write(tmp_path, "empty.csv", "")
    with pytest.raises(DataError, match="empty file"):
        list(iter_questions(p, format="csv"))


def test_header_only_csv(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,tags\n")
    with pytest.raises(DataError, match="no usable questions"):
        load_questions(p)


def test_missing_tags_column(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,body\n1,Hi,there\n")
    with pytest.raises(DataError) as err:
        load_questions(p, format="csv")
    msg = one_line(err)
    assert "missing required column(s) tags" in msg
    assert "found columns: id, title, body" in msg


def test_unknown_header_is_not_detected(tmp_path):
    p = write(tmp_path, "q.csv", "question,labels\nHi,a\n")
    with pytest.raises(DataError, match="unrecognised format.*found columns: question, labels"):
        detect_format(p)


def test_latin1_bytes(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,tags\n1,Ok,a\n2,Cr\xe8me br\xfbl\xe9e,dessert\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        load_questions(p)
    msg = one_line(err)
    assert "not UTF-8" in msg and "line 3" in msg and str(p) in msg


# --- gzip ---------------------------------------------------------------------


CSV_TEXT = "id,title,tags\n1,How do I store basil?,herbs storage\n2,Why is my bread dense?,baking bread\n"


@pytest.mark.parametrize("name", ["q.csv.gz", "q.csv", "download"])
def test_gzip_is_recognised_by_content_not_name(tmp_path, name):
    plain = load_questions(write(tmp_path, "plain.csv", CSV_TEXT))
    packed = load_questions(write(tmp_path, name, gzip.compress(CSV_TEXT.encode())))
    assert packed[["id", "title", "tags"]].equals(plain[["id", "title", "tags"]])
    assert packed.attrs["report"].format == "csv"


def test_plain_file_named_gz_is_read_as_plain(tmp_path):
    df = load_questions(write(tmp_path, "q.csv.gz", CSV_TEXT))
    assert df.title.tolist() == ["How do I store basil?", "Why is my bread dense?"]


def test_gzip_fasttext_and_posts_xml(tmp_path):
    text = write(tmp_path, "q.txt", gzip.compress(b"__label__baking __label__bread Why is my bread dense?\n"))
    assert detect_format(text) == "fasttext"
    assert load_questions(text).tags.tolist() == [["baking", "bread"]]
    xml = write(tmp_path, "Posts.xml.gz", gzip.compress(POSTS_XML.encode()))
    assert detect_format(xml) == "posts_xml"
    assert load_questions(xml)["id"].tolist() == [1, 3]


def test_damaged_gzip_says_so(tmp_path):
    raw = gzip.compress((CSV_TEXT * 200).encode())
    cut = write(tmp_path, "cut.csv.gz", raw[: len(raw) // 2])
    with pytest.raises(DataError) as err:
        load_questions(cut)
    msg = one_line(err)
    assert str(cut) in msg and "damaged gzip file" in msg
    garbage = write(tmp_path, "garbage.csv.gz", b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(DataError, match="damaged gzip file"):
        load_questions(garbage)


def test_gzip_latin1_names_the_line(tmp_path):
    p = write(tmp_path, "q.csv.gz", gzip.compress("id,title,tags\n1,Ok,a\n2,Cr\xe8me,dessert\n".encode("latin-1")))
    with pytest.raises(DataError) as err:
        load_questions(p)
    msg = one_line(err)
    assert "not UTF-8" in msg and "line 3" in msg


def test_broken_xml(tmp_path):
    p = write(
        tmp_path,
        "Posts.xml",
        '<?xml version="1.0"?>\n<posts>\n  <row Id="1" PostTypeId="1" Title="A" Tags="&lt;a&gt;" />\n'
        '  <row Id="2" PostTypeId="1" Title="B Tags="x" />\n</posts>\n',
    )
    with pytest.raises(DataError) as err:
        load_questions(p)
    msg = one_line(err)
    assert "malformed XML" in msg and "line 4" in msg


def test_all_rows_lack_tags(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,tags\n1,A,\n2,B,\n3,,\n")
    with pytest.raises(DataError) as err:
        load_questions(p)
    msg = one_line(err)
    assert "no usable questions: 3 rows skipped" in msg
    assert "no tags: 2" in msg and "no title: 1" in msg


def test_unknown_format_argument(tmp_path):
    p = write(tmp_path, "q.csv", "id,title,tags\n1,A,a\n")
    with pytest.raises(ValueError, match="unknown format"):
        list(iter_questions(p, format="json"))


# --- detect_format ------------------------------------------------------------


def test_detect_format(tmp_path):
    assert FORMATS == ("csv", "kaggle", "fasttext", "posts_xml")
    assert detect_format(write(tmp_path, "a.csv", "id,title,tags\n")) == "csv"
    assert detect_format(write(tmp_path, "b.csv", " Title , Tags \n")) == "csv"
    assert detect_format(write(tmp_path, "c.csv", "id,title,content,tags\n")) == "kaggle"
    assert detect_format(write(tmp_path, "d.txt", "__label__a some text\n")) == "fasttext"
    assert detect_format(write(tmp_path, "Posts.xml", POSTS_XML)) == "posts_xml"
    assert detect_format(write(tmp_path, "posts.dump", POSTS_XML)) == "posts_xml"


# --- default_data_path ----------------------------------------------------------


def test_default_data_path(monkeypatch, tmp_path):
    monkeypatch.setenv("TAGGER_DATA", str(tmp_path / "env.csv"))
    assert default_data_path("cli.csv") == Path("cli.csv")
    assert default_data_path() == tmp_path / "env.csv"
    monkeypatch.delenv("TAGGER_DATA")
    # Without a setting, the data shipped inside the repository, wherever the process runs from.
    monkeypatch.chdir(tmp_path)
    assert default_data_path() == paths.DATA_FILE == REAL_DATA
    assert REAL_DATA.is_file()


# --- holdout_split / fingerprint ----------------------------------------------


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": range(n), "title": [f"t{i}" for i in range(n)], "tags": [["x"]] * n})


@pytest.mark.parametrize(
    "n, n_test, expected_test",
    [(12404, 2404, 2404), (12020, 2404, 2404), (12019, 2404, 2403), (100, 2404, 20), (3, 2404, 1), (2, 2404, 1)],
)
def test_holdout_split_sizes(n, n_test, expected_test):
    train, test = holdout_split(frame(n), n_test)
    assert len(test) == expected_test
    assert len(train) == n - expected_test


def test_holdout_split_keeps_file_order():
    df = frame(50).iloc[::-1]  # a non-default index must not leak through
    train, test = holdout_split(df, n_test=5)
    assert test["id"].tolist() == list(range(4, -1, -1))
    assert train["id"].tolist() == list(range(49, 4, -1))
    assert list(train.index) == list(range(45)) and list(test.index) == list(range(5))


def test_holdout_split_too_small():
    with pytest.raises(ValueError):
        holdout_split(frame(1))


def test_fingerprint_stable_and_sensitive():
    df = frame(10)
    fp = fingerprint(df)
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert fingerprint(frame(10)) == fp
    changed_title = df.copy()
    changed_title.loc[3, "title"] = "other"
    changed_tags = df.copy()
    changed_tags["tags"] = [["x"]] * 9 + [["y"]]
    assert fingerprint(changed_title) != fp
    assert fingerprint(changed_tags) != fp
    assert fingerprint(df.iloc[::-1]) != fp
    # Moving a word between title and tags must change the key.
    a = pd.DataFrame({"title": ["a b"], "tags": [["c"]]})
    b = pd.DataFrame({"title": ["a"], "tags": [["b", "c"]]})
    assert fingerprint(a) != fingerprint(b)


def test_fingerprint_known_value():
    # Pinned so an accidental change of the hashing scheme (which would silently
    # invalidate every cache) shows up as a test failure.
    df = pd.DataFrame({"title": ["Bread"], "tags": [["baking"]]})
    assert fingerprint(df) == "8dce8ab4118df27b"


# --- real data ----------------------------------------------------------------


def test_real_cooking_csv():
    df = load_questions(REAL_DATA)
    assert len(df) == 12404
    assert df["id"].dtype == "int64"
    assert df["id"].is_unique
    assert df["tags"].map(len).min() >= 1
    assert (df["title"].str.len() > 0).all()
    report = df.attrs["report"]
    assert (report.format, report.rows_read, report.rows_kept, report.skipped) == ("csv", 12404, 12404, {})
    train, test = holdout_split(df)
    assert (len(train), len(test)) == (10000, 2404)


def test_shipped_posts_match_the_questions():
    """The bodies file ships for title + body work: same questions, in the same order, with bodies."""
    n = 1000  # cleaning every body's HTML takes a while; the first rows show the files line up
    posts = load_questions(REAL_POSTS, limit=n)
    questions = load_questions(REAL_DATA, limit=n)
    assert posts[["id", "title", "tags"]].equals(questions[["id", "title", "tags"]])
    assert (posts.body.str.len() > 0).mean() > 0.95
    assert "<p>" not in posts.body.iloc[0] and posts.body.iloc[0].startswith("I'm following this recipe")


# --- bodies through every format ---------------------------------------------


def _real_body(qid: int) -> str:
    posts = pd.read_csv(REAL_POSTS, keep_default_na=False).set_index("id")
    return posts.body[qid]


@pytest.mark.parametrize("fmt", ["csv", "kaggle", "posts_xml"])
def test_every_format_cleans_bodies_with_clean_body(tmp_path, fmt):
    """The same real body (a list, a link whose text is its URL, a code block) reads the same from the
    project CSV's `body`, a Kaggle CSV's `content` and a Posts.xml's `Body`: clean_body's text."""
    import html as html_module

    from tagger.text.clean import clean_body

    raw = _real_body(69005) + _real_body(58206) + "<pre><code>secret_code()</code></pre>"
    if fmt == "posts_xml":
        p = write(tmp_path, "Posts.xml", '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
                  f'<row Id="7" PostTypeId="1" Title="Meatloaf" Body="{html_module.escape(raw, quote=True)}" '
                  'Tags="&lt;meat&gt;" />\n</posts>\n')
    else:
        column = "content" if fmt == "kaggle" else "body"
        p = tmp_path / "q.csv"
        pd.DataFrame({"id": [7], "title": ["Meatloaf"], column: [raw], "tags": ["meat"]}).to_csv(p, index=False)
    df = load_questions(p)
    assert df.attrs["report"].format == fmt
    body = df.body.iloc[0]
    assert body == clean_body(raw)
    assert "1 egg. 1 cup cheese. 1/2 cup oats." in body and "cheese sauce: While purchasing" in body
    assert "youtube" not in body and "secret_code" not in body and "<" not in body


def test_fasttext_has_no_body(tmp_path):
    p = write(tmp_path, "train.txt", "__label__eggs How do I boil eggs?\n")
    assert load_questions(p).body.tolist() == [""]
