"""Suggest in a real browser with a question body: a short ambiguous title gets other tags once a body is
pasted, from the title + body model, and the page says which model read it and why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tagger.app import bodies
from tests.e2e.test_browser import FIRST_LOAD, RERUN, expected_suggestion

TITLE = "Can I save it?"
BODY = ("<p>My <strong>sourdough starter</strong> has a layer of grey liquid on top after two weeks in the "
        "fridge. Is it still alive, or should I throw it out and start again?</p>")


def test_a_pasted_body_changes_the_tags(app, registry, tagger_cache):
    readers = bodies.body_models(registry)
    if not readers:
        pytest.skip("no title + body model in models/")
    title_model = tagger_cache(registry.path(registry.active_name()))
    reader = tagger_cache(registry.path(readers[0]))
    _, _, title_answer = expected_suggestion(title_model, TITLE)
    ranked = reader.ranked(reader.predict_proba([reader.tokens(TITLE)], [reader.body_tokens(BODY)])[0], 5)
    body_answer = [t for t, p in ranked if p >= round(reader.threshold, 2)]
    assert body_answer and body_answer != title_answer

    app.open()
    expect(app.text("Enter a question title above, or try an example:")).to_be_visible(timeout=FIRST_LOAD)
    app.fill("Question title", TITLE)
    expect(app.text("Suggested tags")).to_be_visible(timeout=FIRST_LOAD)
    badges = app.main.get_by_test_id("stHtml").first
    if title_answer:
        expect(badges).to_have_text(" ".join(title_answer), timeout=RERUN)

    app.main.get_by_text("Add the question body (optional)").click()
    box = app.main.get_by_role("textbox", name="Question body", exact=True)
    box.fill(BODY)
    box.press("Control+Enter")  # a text area commits on Ctrl+Enter (or when it loses focus)
    expect(app.main.get_by_text(f"so {readers[0]}, a model that reads the title and the body").first).to_be_visible(
        timeout=RERUN)
    expect(badges).to_have_text(" ".join(body_answer), timeout=RERUN)
    expect(app.main.locator("span[title$='kept as sourdough']").first).to_be_visible(timeout=RERUN)
    assert app.main.locator("strong", has_text="sourdough starter").count() == 0  # the body's markup is text
    app.screenshot("suggest-title-body")
    app.assert_healthy()
