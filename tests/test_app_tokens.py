"""Tokens page: browse real questions as the model sees them, the filter's cost, and the quiz."""

import pytest

from tagger.app import quiz
from tagger.text import tokens as tok


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


def test_quiz_scores_a_guess_per_mode(tokens_page, clean):
    at = tokens_page
    rnd = at.session_state["quiz_round"]
    assert rnd.mode == "Tokens only" and not rnd.answered
    at.multiselect(key="quiz_guess").set_value(rnd.true_tags).run()
    next(b for b in at.button if b.label == "Check my tags").click().run()
    clean(at)
    model_f1 = quiz.f1(rnd.model_tags, rnd.true_tags)
    scores = next(d.value for d in at.dataframe if "your mean F1" in d.value.columns).set_index("mode")
    assert scores.loc["Tokens only", "questions"] == 1
    assert scores.loc["Tokens only", "your mean F1"] == 1.0
    assert scores.loc["Tokens only"].iloc[-1] == pytest.approx(model_f1)
    assert scores.loc["Full title", "questions"] == 0
    verdicts = [*at.success, *at.info, *at.warning]
    assert any("You beat the model" in v.value or "A tie" in v.value for v in verdicts)

    # The other mode asks a fresh question and keeps its own score.
    at.radio(key="quiz_mode").set_value("Full title").run()
    second = at.session_state["quiz_round"]
    assert second.mode == "Full title" and not second.answered
    assert second.title in [t.value for t in at.text]
    at.multiselect(key="quiz_guess").set_value([rnd.true_tags[0]]).run()
    next(b for b in at.button if b.label == "Check my tags").click().run()
    scores = next(d.value for d in at.dataframe if "your mean F1" in d.value.columns).set_index("mode")
    assert scores.loc["Full title", "questions"] == 1
    assert scores.loc["Full title", "your mean F1"] == pytest.approx(quiz.f1([rnd.true_tags[0]], second.true_tags))
    next(b for b in at.button if b.label == "Next question").click().run()
    assert not at.session_state["quiz_round"].answered
