"""Bad input: hundreds of generated titles and broken uploads, through the tagger API and the Suggest page.

`generated_inputs()` is a deterministic (seeded) generator of hostile titles: empty, whitespace, 10,000+
characters, HTML and <script>, Markdown, emoji, control and bidi characters, right-to-left and other
scripts, numbers only, and mixtures of all of these. All of them go through the tagger API; a stratified
sample (every category, `PAGE_INPUTS` of them) goes through the Suggest page's code in AppTest, which
costs ~0.5 s a rerun. `TAGGER_FUZZ_PAGE=all` sends every input through the page as well (a few minutes).

Nothing may raise, a title the filter empties gets the plain message, nothing the user typed becomes HTML,
and every broken upload gets a plain message instead of a crash.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from tagger.app import uploads
from tagger.app.uploads import UploadError
from tagger.text import tokens as tok

REPO = Path(__file__).resolve().parents[1]
SEED = 20_240_604
N_INPUTS = 500
PAGE_INPUTS = 100
EMPTY_MESSAGE = "The model sees no tokens in this question, so it has no tags to suggest."
UNKNOWN_MESSAGE = "The model knows none of these words, so it has no tags to suggest."
PROMPT = "Enter a question title above, or try an example:"

# --- the generator ------------------------------------------------------------------------------
COOKING = ("rice", "bread", "sourdough", "baking", "soda", "powder", "garlic", "frying", "pan", "eggs",
           "butter", "freezing", "chicken", "stock", "knife", "oven", "temperature", "cheese", "sauce")
HTML = ("<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", "<b>bold</b>", "<i>", "</div>",
        "<svg onload=alert(1)>", "<iframe src='javascript:alert(1)'></iframe>", "<a href='javascript:x()'>a</a>",
        "<style>body{display:none}</style>", "<!-- comment", "&lt;script&gt;", "&amp;", "&#x3C;b&#x3E;",
        "<p onclick=\"x()\">p</p>", "<<>>", "<", ">", "\"'><script>x</script>", "<details open ontoggle=x()>")
MARKDOWN = ("![img](http://203.0.113.9/x.png)", "[link](javascript:alert(1))", "# heading", "**bold**",
            "`code`", "$$x^2$$", ":material/home:", "> quote", "| a | b |", "~~strike~~", ":red[text]")
EMOJI = ("🍞", "🥖🧀", "👩‍🍳", "🇫🇷", "👍🏽", "🍳🔥", "❤️", "🧂" * 30, "\U0001F9C8")
CONTROL = ("\x00", "\x01", "\x07", "\x08", "\x1b[31m", "\x7f", "\x85", "\u200b", "\u200d", "\u202e", "\u2066",
           "\ufeff", "\ufffd", "\ufffe", "\r", "\t", "\n", "\u2028", "\u2029", "\U000E0041")
RTL = ("كيف أطبخ الأرز؟", "איך לאפות לחם?", "چگونه نان بپزم", "ما هو الخبز rice", "\u202bbread\u202c")
SCRIPTS = ("米饭怎么煮？", "パンの焼き方", "밥 짓는 법", "Как варить рис?", "Πώς να ψήσω ψωμί;", "रोटी कैसे बनाएं",
           "วิธีหุงข้าว", "crème brûlée à la française", "Zwiebelkuchen backen", "ça va? Ñandú", "Z̷̢a̶l̵g̸o̶ bread")
NUMBERS = ("0", "123", "3.14159", "-0", "1e308", "½ ¾ ⅓", "٣٤٥", "१२३", "12:30", "350°F 180°C", "NaN", "inf",
           "0x1F", "9" * 60)
WHITESPACE = ("", " ", "   ", "\t", "\n\n", " \r\n ", "\u00a0", "\u3000", "\u2003\u2009", "\u200b\u200b")


def _mixture(rng: random.Random) -> str:
    pools = (COOKING, COOKING, HTML, MARKDOWN, EMOJI, CONTROL, RTL, SCRIPTS, NUMBERS, WHITESPACE)
    return " ".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 12)))


def _long(rng: random.Random) -> str:
    """10,001 to 60,000 characters: words, markup, one repeated character, or a long mixture."""
    n = rng.choice((10_001, 12_000, 25_000, 60_000))
    kind = rng.randrange(4)
    if kind == 0:
        text = " ".join(rng.choice(COOKING) for _ in range(n // 4))
    elif kind == 1:
        text = "".join(rng.choice(HTML) for _ in range(n // 10))
    elif kind == 2:
        text = rng.choice(("a", "🍞", "米", "\u200b", "<", " ")) * n
    else:
        text = _mixture(rng)
    while len(text) < n:
        text += " " + text
    return text[:n]


def _random_char(rng: random.Random) -> str:
    """Any code point a browser can send (UTF-8 on the wire has no lone surrogates)."""
    while True:
        cp = rng.choice((rng.randint(0, 0x2FF), rng.randint(0x370, 0xFFFD), rng.randint(0x10000, 0x1FAFF)))
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


CATEGORIES = {
    "whitespace": lambda rng: rng.choice(WHITESPACE) * rng.randint(1, 4),
    "long": _long,
    "html": lambda rng: rng.choice(HTML) + " " + rng.choice(COOKING) + " " + rng.choice(HTML),
    "markdown": lambda rng: f"How do I cook {rng.choice(COOKING)} {rng.choice(MARKDOWN)}",
    "emoji": lambda rng: " ".join(rng.choice(EMOJI + COOKING) for _ in range(rng.randint(1, 6))),
    "control": lambda rng: rng.choice(COOKING) + "".join(rng.choice(CONTROL) for _ in range(rng.randint(1, 8)))
    + rng.choice(COOKING),
    "rtl": lambda rng: rng.choice(RTL) + rng.choice(("", " ", " rice ", "\u202e", " 123")),
    "scripts": lambda rng: rng.choice(SCRIPTS) + rng.choice(("", "?", " bread", "!!!")),
    "numbers": lambda rng: " ".join(rng.choice(NUMBERS) for _ in range(rng.randint(1, 4))),
    "random-unicode": lambda rng: "".join(_random_char(rng) for _ in range(rng.randint(1, 80))),
    "cooking": lambda rng: " ".join(rng.choice(COOKING) for _ in range(rng.randint(1, 10))) + "?",
    "mixture": _mixture,
}
FIXED = [
    ("whitespace", ""), ("whitespace", " "), ("whitespace", "\n"), ("long", "rice " * 2001),
    ("long", "x" * 10_001), ("long", "<b>" * 5000), ("html", "<script>alert(document.cookie)</script>"),
    ("html", "<img src=x onerror=alert(1)> bread & <b>butter</b>"), ("html", "<textarea>"),
    ("markdown", "![x](http://203.0.113.9/x.png)"), ("emoji", "🍞🍞🍞"), ("control", "\x00\x00\x00"),
    ("control", "rice\u202eecir"), ("rtl", "كيف أطبخ الأرز؟"), ("scripts", "米饭怎么煮？"), ("numbers", "123"),
    ("numbers", "3.5 4.5"), ("cooking", "What is this?"), ("cooking", "How long can I keep cooked rice in the fridge?"),
]


def generated_inputs(n: int = N_INPUTS, seed: int = SEED) -> list[tuple[str, str]]:
    """`n` (category, title) pairs, the same every run: the fixed cases, then round-robin over categories."""
    rng = random.Random(seed)
    out = list(FIXED)
    names = list(CATEGORIES)
    i = 0
    while len(out) < n:
        name = names[i % len(names)]
        out.append((name, CATEGORIES[name](rng)))
        i += 1
    return out


def page_sample(inputs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The inputs that go through the page: all of them with TAGGER_FUZZ_PAGE=all, else a stratified sample."""
    if os.environ.get("TAGGER_FUZZ_PAGE") == "all":
        return inputs
    by_category: dict[str, list] = {}
    for item in inputs:
        by_category.setdefault(item[0], []).append(item)
    out, i = [], 0
    while len(out) < PAGE_INPUTS:
        for items in by_category.values():
            if i < len(items) and len(out) < PAGE_INPUTS:
                out.append(items[i])
        i += 1
    return out


def test_the_generator_covers_every_kind_of_bad_input():
    inputs = generated_inputs()
    assert len(inputs) == N_INPUTS and inputs == generated_inputs()  # deterministic
    kinds = {k for k, _ in inputs}
    assert kinds == set(CATEGORIES)
    assert any(t == "" for _, t in inputs) and any(len(t) > 10_000 for _, t in inputs)
    assert sum(len(t) > 10_000 for _, t in inputs) >= 30
    assert any("<script>" in t for _, t in inputs)
    sample = page_sample(inputs)
    assert len(sample) >= min(PAGE_INPUTS, N_INPUTS) and {k for k, _ in sample} == kinds


# --- the tagger API ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped_taggers():
    """Every shipped model (one per filter and output kind), or the tiny stand-ins before any ships."""
    from tagger.model.predictor import Tagger
    from tagger.store.registry import Registry

    names = Registry(REPO / "models").shipped_names()
    found = [REPO / "models" / n for n in names if (REPO / "models" / n / "metadata.json").is_file()]
    if not found:
        pytest.skip("no shipped models: run `make models`")
    return [Tagger.load(p) for p in found]


def check_api(tagger, title: str) -> None:
    clean = tok.clean_text(title)
    assert len(clean) <= tok.MAX_TITLE_CHARS
    views = tagger.analyze(title)
    kept = tagger.tokens(title)
    assert [v.token for v in views if v.kept] == kept
    assert all(isinstance(t, str) and t and t == t.strip() for t in kept)
    for k in (1, 5, 15):
        suggested = tagger.suggest(title, k=k)
        if not tagger.known(kept):  # no tokens, or none the model learned: nothing to suggest
            assert suggested == [] and tagger.silence(kept)
            continue
        assert 1 <= len(suggested) <= k
        probs = [p for _, p in suggested]
        assert all(tag in tagger.tags for tag, _ in suggested)
        assert all(0.0 <= p <= 1.0 and math.isfinite(p) for p in probs)
        assert probs == sorted(probs, reverse=True)
    top = [t for t, _ in tagger.suggest(title, k=3)]
    rows = tagger.contributions(kept, top)
    assert len(rows) == len(kept) * len(top)
    assert all(math.isfinite(r["contribution"]) and -1 <= r["contribution"] <= 1 for r in rows)


def test_every_generated_input_through_the_api(shipped_taggers):
    inputs = generated_inputs()
    failures = []
    for tagger in shipped_taggers:
        for kind, title in inputs:
            try:
                check_api(tagger, title)
            except Exception as e:  # noqa: BLE001 - collect them all, report with the input
                failures.append((tagger.name, kind, title[:80], f"{e.__class__.__name__}: {e}"))
    assert not failures, failures[:10]


def test_batch_api_matches_one_by_one(shipped_taggers):
    inputs = [t for _, t in generated_inputs()]
    for tagger in shipped_taggers:
        together = tagger.suggest_many(inputs, k=5)
        assert len(together) == len(inputs)
        for title, got in zip(inputs[::25], together[::25], strict=False):
            one = tagger.suggest(title, k=5)
            assert [t for t, _ in got] == [t for t, _ in one]
            assert np.allclose([p for _, p in got], [p for _, p in one], atol=1e-5)


def test_lone_surrogates_and_odd_types_do_not_break_the_api(shipped_taggers):
    tagger = shipped_taggers[0]
    for title in ("\ud800 rice", "bread \udfff", None, 12345, b"rice"):
        assert isinstance(tagger.suggest(title), list)  # type: ignore[arg-type]


# --- the Suggest page ---------------------------------------------------------------------------
class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


SAFE_TAGS = {"div", "span", "sub", "em", "strong"}
SAFE_ATTRIBUTES = {"style", "title"}
MARKDOWN_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader", "header")


def check_page(at, title: str, tagger) -> None:
    """The page after `title` was submitted: no exception, the right message, no HTML from the title."""
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    if not title.strip():
        assert [i.value for i in at.info][:1] == [PROMPT]
    elif not tagger.tokens(title):
        assert [w.value for w in at.warning] == [EMPTY_MESSAGE]
    elif not tagger.known(tagger.tokens(title)):
        assert [w.value for w in at.warning] == [UNKNOWN_MESSAGE]
    else:
        assert "Suggested tags" in [s.value for s in at.subheader]
    for element in at.get("html"):
        found = _TagCollector()
        found.feed(element.proto.body)
        assert found.tags <= SAFE_TAGS, (title[:80], found.tags)
        assert found.attributes <= SAFE_ATTRIBUTES, (title[:80], found.attributes)
    # Text drawn as Markdown never quotes the title: whatever it holds can't become a link or an image.
    fragment = tok.clean_text(title)[:40].strip()
    if len(fragment) >= 8:
        for kind in MARKDOWN_ELEMENTS:
            for element in getattr(at, kind):
                assert fragment not in str(element.value), (kind, title[:80])


def test_generated_inputs_through_the_suggest_page(open_app, scratch_registry):
    at = open_app("suggest")
    box = at.text_input(key="suggest_title")
    assert box.max_chars == tok.MAX_TITLE_CHARS
    assert f"At most {tok.MAX_TITLE_CHARS} characters" in box.help  # the cap is stated where you type
    tagger = scratch_registry.load(scratch_registry.active_name())
    sample = page_sample(generated_inputs())
    for i, (kind, title) in enumerate(sample):
        # set_value, not input: a browser stops at max_chars, a hand-made websocket client doesn't. The server
        # cuts the value to max_chars itself; the page must cope with whatever arrives.
        at.text_input(key="suggest_title").set_value(title).run()
        received = at.text_input(key="suggest_title").value
        assert received == title[:tok.MAX_TITLE_CHARS]
        try:
            check_page(at, received, tagger)
        except AssertionError as e:
            raise AssertionError(f"input #{i} ({kind}) {title[:80]!r}: {e}") from None
    assert len(sample) >= PAGE_INPUTS


def test_generated_bodies_through_the_suggest_page(open_app, body_registry):
    """Odd bodies go to the title + body model and are as harmless as odd titles: capped, shown as text."""
    from tagger.app import bodies
    from tagger.text.clean import clean_body

    at = open_app("suggest")
    title = "How do I store bread?"
    choice = bodies.choose(body_registry, body_registry.active_name(), has_body=True)
    tagger = body_registry.load(choice.name)
    assert tagger.uses_body
    at.text_input(key="suggest_title").input(title).run()
    for kind, body in generated_inputs()[::20]:
        at.text_area(key="suggest_body").set_value(body).run()
        received = at.text_area(key="suggest_body").value
        assert len(received) <= bodies.MAX_BODY_CHARS
        try:
            # The title is known to the model, so the page always answers: its checks hold for the body too.
            check_page(at, title, tagger)
            if received.strip():
                fragment = clean_body(received)[:40].strip()
                for element_kind in MARKDOWN_ELEMENTS:
                    for element in getattr(at, element_kind):
                        assert len(fragment) < 8 or fragment not in str(element.value), element_kind
        except AssertionError as e:
            raise AssertionError(f"body ({kind}) {body[:80]!r}: {e}") from None


# --- uploads ----------------------------------------------------------------------------------
def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


BAD_UPLOADS = {
    "empty": (b"", "The file is empty"),
    "whitespace only": (b" \r\n\t\n", "The file is empty"),
    "header only": (b"title\n", "has no text in any row"),
    "wrong columns": (b"question,label\nHow do I store basil?,herbs\n", "No `title` column. Columns found: `question`"),
    "semicolons": (b"title;tags\nrice;grains\n", "No `title` column"),
    "many columns": (_csv([[f"c{i}" for i in range(5000)], ["x"] * 5000]), "No `title` column"),
    "zip": (b"PK\x03\x04" + bytes(range(256)) * 4, "looks like an Excel workbook or a zip archive"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "looks like a PDF"),
    "png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "looks like a PNG image"),
    "gzip": (b"\x1f\x8b\x08\x00" + b"\x00" * 64, "looks like a gzip archive"),
    "NUL bytes": (b"title\nrice\x00bread\n", "contains binary data"),
    "UTF-16": ("title\nHow do I store basil?\n".encode("utf-16"), "contains binary data"),
    "latin-1": ("title\nCrème brûlée\n".encode("latin-1"), "not UTF-8 text"),
    "Shift-JIS": ("title\nパンの焼き方\n".encode("shift_jis"), "not UTF-8 text"),
    "unbalanced quotes": (b'title,x\n"never closed,1\n', "could not be read as CSV"),
    "no text in titles": (b"title,id\n,1\n   ,2\n<b></b>,3\n", "has no text in any row"),
    "over the size limit": (b"title\n" + b"How do I cook rice?\n" * 60_000, "the limit is 1.0 MB"),
    "100k rows": (b"title\n" + b"rice\n" * 100_000, "has 100,000 titles; the limit is 2,000"),
    "100k long rows": (b"title\n" + b"How long can I keep cooked rice?\n" * 100_000, "the limit is 1.0 MB"),
}


@pytest.mark.parametrize("name", list(BAD_UPLOADS))
def test_bad_upload_gets_a_clear_message(name):
    raw, expected = BAD_UPLOADS[name]
    with pytest.raises(UploadError) as err:
        uploads.read_titles(raw)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message and len(message) < 600  # one plain line, no dump of the file


def test_random_bytes_never_crash_the_upload_reader():
    rng = random.Random(SEED)
    seeds = [b"title\n", b"id,title\n", b"\xef\xbb\xbftitle\n", b"", b"PK\x03\x04", b"title,tags\n\"a,b\n"]
    for i in range(300):
        body = bytes(rng.randrange(256) for _ in range(rng.choice((1, 10, 100, 2000))))
        if i % 3 == 0:  # printable junk: gets past the binary checks into the CSV parser
            body = "".join(rng.choice("abc ,\"\n\r\t;é🍞<>") for _ in range(rng.randint(1, 500))).encode()
        raw = rng.choice(seeds) + body
        try:
            df = uploads.read_titles(raw)
        except UploadError:
            continue
        assert "title" in df.columns and len(df) >= 1 and (df["title"] != "").all()


def test_hostile_titles_in_an_upload_are_tagged_as_text(shipped_taggers):
    """A good CSV full of generated titles (each cut to 500 characters): every row gets a result."""
    inputs = [t[:500].replace("\x00", " ") for _, t in generated_inputs()]
    rows = uploads.read_titles(_csv([["id", "title"], *[[str(i), t] for i, t in enumerate(inputs)]]))
    assert 0 < len(rows) <= len(inputs)
    result = uploads.suggest_all(shipped_taggers[0], rows, 3)
    assert len(result) == len(rows)
    assert result.columns.tolist() == ["id", "title", "tokens", "suggested tags", "top 3", "note"]
    # The download can't carry a spreadsheet formula from a title.
    text = uploads.to_csv_bytes(result).decode("utf-8")
    for line in csv.reader(io.StringIO(text)):
        assert all(cell[:1] not in ("=", "+", "-", "@") for cell in line)


UPLOADS_THROUGH_PAGE = ["wrong columns", "zip", "NUL bytes", "UTF-16", "latin-1", "unbalanced quotes",
                        "header only", "many columns", "100k rows", "over the size limit"]


def test_bad_uploads_through_the_suggest_page(open_app, clean):
    at = open_app("suggest")
    for name in UPLOADS_THROUGH_PAGE:
        raw, expected = BAD_UPLOADS[name]
        at.file_uploader(key="batch_file").set_value((f"{name}.csv", raw, "text/csv")).run()
        clean(at)
        errors = [e.value for e in at.error]
        assert errors and expected in errors[0], (name, errors)
        assert not at.get("download_button"), name
    # Markdown in a column name stays inside its code span: no image or link can come from a file.
    header = "a`![x](http://203.0.113.9/x.png)`\n\n[y](http://203.0.113.9)"
    at.file_uploader(key="batch_file").set_value(("md.csv", _csv([[header, "b"], ["1", "2"]]), "text/csv")).run()
    clean(at)
    message = at.error[0].value
    outside_code = re.sub(r"`[^`\n]*`", "", message)
    assert message.startswith("No `title` column.") and "\n" not in message
    assert "](" not in outside_code and "![" not in outside_code, message


def test_a_good_upload_of_hostile_titles_through_the_page(open_app, clean):
    at = open_app("suggest")
    inputs = [t[:300].replace("\x00", " ") for _, t in generated_inputs()[:200]]
    raw = _csv([["title"], *[[t] for t in inputs]])
    at.file_uploader(key="batch_file").set_value(("hostile.csv", raw, "text/csv")).run()
    clean(at)
    assert not at.error
    assert at.success[0].value.startswith("Suggested tags for ")
    assert [b.label for b in at.get("download_button")] == ["Download suggestions as CSV"]


def test_streamlit_config_is_fit_for_a_public_demo():
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    # The upload cap (MiB) lets every file the upload module accepts through, and not much more.
    max_mib = config["server"]["maxUploadSize"]
    assert uploads.MAX_BYTES <= max_mib * 1024 * 1024 < 2 * uploads.MAX_BYTES


# --- under load -------------------------------------------------------------------------------
def test_a_rerun_leaves_keras_state_alone(open_app):
    """Streamlit calls `keras.backend.clear_session()` after every script run of every session. For this app,
    which builds models only in the training thread, that buys nothing and costs a lot: a full gc.collect()
    holding the GIL (~0.2 s a rerun, more than half the server's CPU per suggestion; bench/load_test.py
    --skip-keras-clear-session halves p50/p95 with 20 sessions), a cleared TF kernel cache, and Keras' global
    state reset under a model that another session is training. The app should neutralise it once Keras is
    loaded (e.g. in tagger/ui.py's model loader: `keras.backend.clear_session = lambda *a, **k: None`).
    """
    from keras.src.backend.common import global_state

    at = open_app("suggest")  # loads the model, so Keras is imported
    global_state.set_global_attribute("cooking_tagger_probe", "kept")
    at.text_input(key="suggest_title").input("How do I store fresh basil?").run()
    assert not at.exception
    assert global_state.get_global_attribute("cooking_tagger_probe") == "kept", (
        "a Streamlit rerun reset Keras' global state (keras.backend.clear_session ran)")
