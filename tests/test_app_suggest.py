"""Suggest page: a title gets tags and tokens; a title the filter empties says so; uploads are checked."""

from streamlit.testing.v1 import AppTest

EMPTY_MESSAGE = "The model sees no tokens in this question, so it has no tags to suggest."


def enter(at: AppTest, title: str) -> AppTest:
    return at.text_input(key="suggest_title").input(title).run()


def token_table(at: AppTest):
    return next(d.value for d in at.dataframe if "model sees" in d.value.columns)


def test_title_shows_tags_and_the_tokens_the_model_saw(open_app, scratch_registry, clean):
    at = open_app("suggest")
    assert at.title[0].value == "Suggest tags"
    assert at.info[0].value.startswith("Enter a question title")
    enter(at, "How long can I keep cooked rice in the fridge?")
    clean(at)
    assert [s.value for s in at.subheader][:3] == ["Suggested tags", "What the model saw", "Why these tags"]

    tagger = scratch_registry.load(scratch_registry.active_name())
    words = token_table(at)
    assert words.word.tolist()[:3] == ["How", "long", "can"]
    assert words[words.kept]["model sees"].tolist() == tagger.tokens("How long can I keep cooked rice in the fridge?")
    assert {"POS", "why"} <= set(words.columns)

    highlighted = [h.proto.body for h in at.get("html") if "kept as" in h.proto.body]
    assert highlighted and "kept as rice" in highlighted[0]
    # The bar chart of the top k, with the threshold rule, and one contribution chart per explained tag.
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 2


def test_k_and_threshold_change_the_answer(open_app, clean):
    at = open_app("suggest")
    enter(at, "Can I substitute baking soda for baking powder?")
    threshold = next(s for s in at.slider if s.label == "Decision threshold")
    threshold.set_value(1.0).run()
    clean(at)
    assert any("No tag reaches the threshold of 1.00" in i.value for i in at.info)
    next(s for s in at.slider if s.label == "Decision threshold").set_value(0.0).run()
    badges = [h.proto.body for h in at.get("html") if "border-radius:12px" in h.proto.body]
    assert badges and badges[0].count("<span") == 5  # k = 5: every shown tag clears a zero threshold
    at.slider(key="suggest_k").set_value(2).run()
    badges = [h.proto.body for h in at.get("html") if "border-radius:12px" in h.proto.body]
    assert badges[0].count("<span") == 2


def test_no_tokens_says_so_plainly(open_app, scratch_registry, clean):
    at = open_app("suggest")
    enter(at, "What is this?")
    clean(at)
    assert [w.value for w in at.warning] == [EMPTY_MESSAGE]
    assert "Suggested tags" not in [s.value for s in at.subheader]
    why = token_table(at)
    assert why.word.tolist() == ["What", "is", "this", "?"] and not why.kept.any()
    tagger = scratch_registry.load(scratch_registry.active_name())
    assert why.why.tolist() == [v.reason for v in tagger.analyze("What is this?")]
    assert why.why.iloc[-1] == "punctuation"


def test_user_text_is_never_rendered_as_html(open_app):
    at = open_app("suggest")
    enter(at, "<img src=x onerror=alert(1)> bread & <b>butter</b>")
    bodies = " ".join(h.proto.body for h in at.get("html"))
    assert "<img" not in bodies and "<b>" not in bodies


def test_example_button_fills_the_title(open_app):
    at = open_app("suggest")
    next(b for b in at.button if b.label == "What is this?").click().run()
    assert at.text_input(key="suggest_title").value == "What is this?"
    assert [w.value for w in at.warning] == [EMPTY_MESSAGE]


def test_batch_upload_gives_a_table_and_a_download(open_app, clean):
    at = open_app("suggest")
    at.file_uploader(key="batch_file").set_value(
        ("titles.csv", b"id,title\n1,How do I store fresh basil?\n2,What is this?\n", "text/csv")).run()
    clean(at)
    assert not at.error
    assert at.success[0].value == "Suggested tags for 2 titles (1 had no words the model keeps)."
    table = next(d.value for d in at.dataframe if "suggested tags" in d.value.columns)
    assert table.id.tolist() == ["1", "2"] and "basil" in table.tokens[0]
    assert [b.label for b in at.get("download_button")] == ["Download suggestions as CSV"]


def test_bad_uploads_show_a_clear_error(open_app, clean):
    at = open_app("suggest")
    for name, raw, expected in [
        ("names.csv", b"name,tags\nbasil,herbs\n", "No `title` column. Columns found: `name`, `tags`"),
        ("book.xlsx", b"PK\x03\x04 not really a workbook", "This is not a CSV file"),
        ("empty.csv", b"", "The file is empty"),
        ("big.csv", b"title\n" + b"How do I cook rice?\n" * 60_000, "the limit is 1.0 MB"),
    ]:
        at.file_uploader(key="batch_file").set_value((name, raw, "text/csv")).run()
        clean(at)
        assert [e.value for e in at.error] and expected in at.error[0].value, (name, [e.value for e in at.error])
        assert not at.get("download_button")


def test_sidebar_model_choice_is_for_this_session_only(open_app, scratch_registry, clean):
    at = open_app()  # Suggest is the default page (AppTest shows the sidebar only before a page switch)
    server_default = scratch_registry.active_name()
    other = next(n for n in scratch_registry.names() if n != server_default)
    assert at.selectbox(key="sidebar_model").value == server_default
    at.selectbox(key="sidebar_model").set_value(other).run()
    clean(at)
    assert any(c.value.startswith(f"Model: {other} ·") for c in at.caption)
    assert scratch_registry.active_name() == server_default


def test_words_the_model_never_saw_are_not_answered_with_base_rates(open_app, scratch_registry, clean):
    at = open_app("suggest")
    tagger = scratch_registry.load(scratch_registry.active_name())
    title = "Как испечь хлеб?"
    assert tagger.tokens(title) and not tagger.known(tagger.tokens(title))  # kept, but all unknown
    enter(at, title)
    clean(at)
    assert [w.value for w in at.warning] == ["The model knows none of these words, so it has no tags to suggest."]
    assert "Suggested tags" not in [s.value for s in at.subheader]
    assert token_table(at)[lambda t: t.kept]["model sees"].tolist() == tagger.tokens(title)
