"""Tokens page: browse real questions as the model sees them, the filter's cost, and the quiz."""

import pytest

from tagger.app import crowd, quiz, reference
from tagger.data.split import holdout_split
from tagger.store import answers
from tagger.store.answers import Answer, AnswerStore
from tagger.text import tokens as tok
from tagger.ui import crowd as crowd_ui, session
from tests.app_helpers import TINY, shown


@pytest.fixture
def tokens_page(open_app):
    return open_app("tokens")


def browse_table(at):
    return next(d.value for d in at.dataframe if "result" in d.value.columns)


def test_browser_shows_questions_with_the_models_tokens(tokens_page, scratch_registry, questions):
    at = tokens_page
    assert at.title[0].value == "Tokens"
    table = browse_table(at)
    assert table.columns.tolist() == ["id", "title", "tokens", "true tags", "model tags", "result"]
    assert len(table) == 25 and table.id.tolist() == questions.id.head(25).tolist()
    tagger = scratch_registry.load(scratch_registry.active_name())
    first = table.iloc[0]
    assert list(first["tokens"]) == tagger.tokens(first["title"])
    assert list(first["true tags"]) == questions.tags.iloc[0]
    assert set(table.result) <= {"hit", "miss", "nothing above threshold", "no tokens"}
    assert at.get("pagination")[0].num_pages == -(-len(questions) // 25)


def test_search_filter_and_paging(tokens_page, clean):
    at = tokens_page
    at.text_input(key="browse_text").input("SOURDOUGH").run()
    clean(at)
    found = browse_table(at)
    assert len(found) > 0 and found.title.str.lower().str.contains("sourdough").all()
    at.text_input(key="browse_text").input("").run()
    at.selectbox(key="browse_tag").set_value("eggs").run()
    assert browse_table(at)["true tags"].map(lambda tags: "eggs" in list(tags)).all()
    first_page = browse_table(at).id.tolist()
    at.get("pagination")[0].set_value(2).run()
    assert browse_table(at).id.tolist() != first_page
    assert any(c.value.startswith("Page 2 of") for c in at.caption)
    at.text_input(key="browse_text").input("no title says this zqxj").run()
    assert any(i.value.startswith("No question matches") for i in at.info)


def test_filter_cost_compares_the_named_filters(tokens_page):
    at = tokens_page
    labels = [m.label for m in at.metric]
    assert labels[0] == "Vocabulary with this model's filter" and labels[1].startswith("Vocabulary with ")
    assert labels[2:] == ["Titles left with no tokens", "True tags whose words are kept"]
    comparison = next(d.value for d in at.dataframe if "filter" in d.value.columns)
    assert comparison["filter"].tolist()[:3] == list(tok.FILTERS)
    assert comparison["vocabulary"].is_monotonic_increasing
    assert any(c.type == "vega_lite_chart" for c in at.get("vega_lite_chart"))


def scores(at):
    return next(d.value for d in at.dataframe if "your mean F1" in d.value.columns).set_index("mode")


def check_tags(at, tags):
    at.multiselect(key="quiz_guess").set_value(list(tags)).run()
    next(b for b in at.button if b.label == "Check my tags").click().run()


def test_quiz_scores_and_stores_a_guess_per_mode(tokens_page, clean, scratch_registry):
    at = tokens_page
    assert at.radio(key="quiz_mode").value == quiz.RANDOM  # the fair comparison is the default
    at.radio(key="quiz_mode").set_value(quiz.MODES[0]).run()
    rnd = at.session_state["quiz_round"]
    assert rnd.mode == "Tokens only" and not rnd.answered
    check_tags(at, rnd.true_tags)
    clean(at)
    model_f1 = quiz.f1(rnd.model_tags, rnd.true_tags)
    table = scores(at)
    assert table.loc["Tokens only", "questions"] == 1
    assert table.loc["Tokens only", "your mean F1"] == 1.0
    assert table.loc["Tokens only"].iloc[-1] == pytest.approx(model_f1)
    assert table.loc["Whole title", "questions"] == 0
    verdicts = [*at.success, *at.info, *at.warning]
    assert any("You beat the model" in v.value or "A tie" in v.value for v in verdicts)
    assert any(quiz.STORED in shown(c.value) for c in at.caption)

    # Pinning the other mode asks a fresh question in it, with its own score.
    at.radio(key="quiz_mode").set_value("Whole title").run()
    second = at.session_state["quiz_round"]
    assert second.mode == "Whole title" and not second.answered
    assert second.title in [t.value for t in at.text]
    check_tags(at, [rnd.true_tags[0]])
    table = scores(at)
    assert table.loc["Whole title", "questions"] == 1
    assert table.loc["Whole title", "your mean F1"] == pytest.approx(quiz.f1([rnd.true_tags[0]], second.true_tags))
    next(b for b in at.button if b.label == "Next question").click().run()
    assert not at.session_state["quiz_round"].answered

    # Both answers are in the database, each with its mode, and in the aggregate under the quiz.
    stored = AnswerStore().answers()
    ref = quiz.reference_model(scratch_registry)
    label = quiz.model_label(ref.name, reference.load(ref))  # a shipped model's twin is named as such
    assert label.startswith(ref.name)
    assert stored["mode"].tolist() == ["Tokens only", "Whole title"]
    assert stored.question_id.tolist() == [rnd.question_id, second.question_id]
    assert stored.guess.tolist() == [sorted(rnd.true_tags), [rnd.true_tags[0]]]
    assert stored.model.tolist() == [label, label] and stored.session.nunique() == 1
    assert stored.model_f1.iloc[0] == pytest.approx(model_f1)
    lines = shown(next(m.value for m in at.markdown if "People, tokens only" in m.value))
    for row in crowd.summary(stored).itertuples():
        assert crowd.describe(row) in lines
    assert any(crowd.totals(stored) in shown(c.value) for c in at.caption)


def test_quiz_tests_the_questions_filter_whatever_model_is_active(open_app, scratch_registry, questions):
    at = open_app()
    at.session_state[session.MODEL_KEY] = TINY  # a model that keeps every word
    at.switch_page("pages/tokens.py").run()
    assert at.session_state[session.MODEL_KEY] == TINY
    ref = quiz.reference_model(scratch_registry)
    label = quiz.model_label(ref.name, reference.load(ref))
    assert any(f"{label}, the shipped model that sees exactly these tokens" in shown(c.value) for c in at.caption)
    at.radio(key="quiz_mode").set_value(quiz.MODES[0]).run()
    rnd = at.session_state["quiz_round"]
    assert rnd.tokens == tok.tokens(rnd.title, quiz.FILTER)
    _, held_out = holdout_split(questions)
    assert rnd.question_id in set(held_out.id)
    scorer = reference.load(ref)
    probs = scorer.predict_proba([rnd.tokens])[0]
    assert rnd.model_tags == [t for t, p in scorer.ranked(probs, len(scorer.tags)) if p >= scorer.threshold]


def test_quiz_modes_are_mixed_at_random_by_default(tokens_page):
    at = tokens_page
    seen = set()
    for _ in range(12):
        rnd = at.session_state["quiz_round"]
        seen.add(rnd.mode)
        check_tags(at, rnd.true_tags[:1])
        next(b for b in at.button if b.label == "Next question").click().run()
    assert seen == set(quiz.MODES)
    assert AnswerStore().answers()["mode"].isin(quiz.MODES).all()


def test_a_damaged_database_is_a_message_and_the_quiz_goes_on(tokens_page, scratch_state, clean):
    scratch_state.mkdir(parents=True, exist_ok=True)
    (scratch_state / "answers.sqlite3").write_bytes(b"not a database at all " * 200)
    at = tokens_page
    rnd = at.session_state["quiz_round"]
    check_tags(at, rnd.true_tags)
    clean(at)
    assert sum(scores(at).questions) == 1  # scored all the same
    warnings = [shown(w.value) for w in at.warning]
    assert any("is damaged; move the file aside" in w and "scored but not stored" in w for w in warnings)
    assert any("The aggregate can't be shown until then." in w for w in warnings)
    next(b for b in at.button if b.label == "Next question").click().run()
    clean(at)
    assert not at.session_state["quiz_round"].answered


def test_a_session_over_its_hourly_limit_is_told_so(open_app, clean):
    store = AnswerStore()
    for i in range(answers.MAX_PER_HOUR):
        store.add(Answer(i, quiz.MODES[0], ["bread"], 1.0, "nouns-gerunds", 1.0, "this-session"))
    at = open_app()
    at.session_state[crowd_ui.KEY] = "this-session"
    at.switch_page("pages/tokens.py").run()
    rnd = at.session_state["quiz_round"]
    check_tags(at, rnd.true_tags)
    clean(at)
    assert any(f"This session has stored {answers.MAX_PER_HOUR} answers in the last hour" in shown(w.value)
               for w in at.warning)
    assert len(store.answers()) == answers.MAX_PER_HOUR
