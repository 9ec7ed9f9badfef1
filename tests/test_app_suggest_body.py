"""Suggest page with a question body: a title + body model reads it (the page says which and why), the
tokens view shows the body words kept, batch CSVs take a `body` column, and pasted text stays text."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from tagger.app.bodies import MAX_BODY_CHARS, body_models
from tagger.model.predictor import Tagger
from tests.app_helpers import shown

TITLE = "What can I do with it?"
BODY = ("<p>My <b>sourdough starter</b> has a layer of grey liquid on top after a week in the fridge.</p>"
        "<ul><li>flour</li><li>water</li></ul><pre><code>secret_code()</code></pre>")


def ask(at: AppTest, title: str, body: str = "") -> AppTest:
    at.text_input(key="suggest_title").input(title).run()
    at.text_area(key="suggest_body").input(body).run()
    next(s for s in at.slider if s.label == "Decision threshold").set_value(0.0).run()  # every top-k tag a badge
    return at


def badges(at: AppTest) -> list[str]:
    html = [h.proto.body for h in at.get("html") if "border-radius:12px" in h.proto.body]
    return re.findall(r">([^<>]+)</span>", html[0]) if html else []


def tables(at: AppTest):
    return [d.value for d in at.dataframe if "model sees" in d.value.columns]


def test_a_body_is_read_by_a_title_body_model_and_the_page_says_so(open_app, body_registry, clean):
    at = open_app("suggest")
    session_model = body_registry.active_name()
    reader = body_models(body_registry)[0]  # the shipped title-body model, or the tiny one
    assert at.text_area(key="suggest_body").max_chars == MAX_BODY_CHARS
    ask(at, TITLE)
    clean(at)
    assert not [i.value for i in at.info if reader in shown(i.value)]  # no body: the session's model
    assert badges(at) == [t for t, _ in body_registry.load(session_model).suggest(TITLE, 5)]
    assert not [c for c in at.caption if "rarity" in c.value]  # a plain Conv1D's bars are its probabilities
    assert not [c for c in at.caption if c.value.startswith("Tags your question names")]

    ask(at, TITLE, BODY)
    clean(at)
    notes = [shown(i.value) for i in at.info if reader in shown(i.value)]
    assert notes and "reads titles only" in notes[0] and session_model in notes[0]
    body_model = Tagger.load(body_registry.path(reader))
    expected = [t for t, _ in body_model.suggest(TITLE, 5, body=BODY)]
    assert badges(at) == expected != [t for t, _ in body_model.suggest(TITLE, 5)]

    title_words, body_words = tables(at)[:2]
    assert title_words[title_words.kept]["model sees"].tolist() == body_model.tokens(TITLE)
    assert body_words[body_words.kept]["model sees"].tolist() == body_model.body_tokens(BODY)
    assert "secret_code" not in " ".join(body_words.word) and "sourdough" in body_words.word.tolist()
    # The bars' caption says what the body model's probabilities are made of (the tiny and the shipped one
    # both have a wide branch, a neighbours branch and a rarity shift); the title-only model's says nothing of
    # the kind.
    captions = [shown(c.value) for c in at.caption if c.value.startswith("Bars:")]
    assert captions and "TF-IDF + logistic regression" in captions[0] and "rarity" in captions[0]
    assert f"{body_model.hparams.knn:.0%} the votes of the {body_model.hparams.knn_k} training questions" in captions[0]
    # The body names a tag ("sourdough"): the line under the bars lists what the tag-name boost lifted.
    named = body_model.named_tags(body_model.tokens(TITLE), body_model.body_tokens(BODY))
    assert "sourdough" in dict(named) and "tag-name boost" in captions[0]
    lines = [shown(c.value) for c in at.caption if c.value.startswith("Tags your question names")]
    assert len(lines) == 1 and all(f"{tag} (+{boost:g})" in lines[0] for tag, boost in named)
    # The "why" charts explain the tags from title and body words.
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 2


def test_without_a_body_model_the_body_is_ignored_with_a_note(open_app, scratch_registry, clean):
    import shutil

    for name in body_models(scratch_registry):  # a registry of title-only models (this is a scratch copy)
        shutil.rmtree(scratch_registry.path(name))
    assert not body_models(scratch_registry)
    at = open_app("suggest")
    name = scratch_registry.active_name()
    ask(at, "How long can I keep cooked rice in the fridge?", BODY)
    clean(at)
    assert any("no model here reads bodies: the body is ignored" in shown(w.value) for w in at.warning)
    expected = scratch_registry.load(name).suggest("How long can I keep cooked rice in the fridge?", 5)
    assert badges(at) == [t for t, _ in expected]
    assert len(tables(at)) == 1  # the title's words only


def test_pasted_body_is_shown_as_text_never_markup(open_app, body_registry, clean):
    at = open_app("suggest")
    ask(at, "Bread <b>crust</b>", "<img src=x onerror=alert(1)> <script>alert(2)</script> **bold** bread &lt;i&gt;")
    clean(at)
    page_html = " ".join(h.proto.body for h in at.get("html"))
    assert "<img" not in page_html and "<script" not in page_html and "<i>" not in page_html and "<b>" not in page_html


def test_batch_csv_with_a_body_column(open_app, body_registry, clean):
    at = open_app("suggest")
    csv = ("id,title,body\n1,What can I do with it?,\"<p>sourdough starter, grey liquid</p>\"\n"
           "2,How do I store fresh basil?,\n").encode()
    at.file_uploader(key="batch_file").set_value(("q.csv", csv, "text/csv")).run()
    clean(at)
    assert not at.error
    reader = body_models(body_registry)[0]
    assert any(reader in shown(i.value) for i in at.info)
    table = next(d.value for d in at.dataframe if "suggested tags" in d.value.columns)
    expected = Tagger.load(body_registry.path(reader)).body_tokens("<p>sourdough starter, grey liquid</p>")
    assert table["body tokens"].tolist() == [" ".join(expected), ""] and "sourdough" in expected
    assert "body" in table.columns and table.id.tolist() == ["1", "2"]


def test_choosing_the_body_model_without_a_body_says_what_to_expect(body_registry):
    from tagger.app import bodies

    reader = body_models(body_registry)[0]
    plain = bodies.choose(body_registry, body_registry.active_name(), has_body=False)
    assert (plain.name, plain.reason, plain.switched) == (body_registry.active_name(), "", False)
    alone = bodies.choose(body_registry, reader, has_body=False)
    assert alone.name == reader and not alone.switched and "probabilities run high" in alone.reason
    with_body = bodies.choose(body_registry, reader, has_body=True)
    assert with_body.name == reader and with_body.reason == f"{reader} reads the title and the body."
