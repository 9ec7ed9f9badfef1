"""Every page in a real browser: Suggest, Tokens (with the quiz), Retrain (train and save), Models (activate).

Expected texts are computed here from the same model and data the server uses, and matched exactly:
Streamlit keeps the previous run's output on screen (faded) while it reruns, so "some text appeared"
would pass on stale output. Each test ends with `assert_healthy`: no console error, no uncaught page
error, no JavaScript dialog, no request to another host, no traceback and no catch-all error message.
Screenshots go to test-output/screenshots/<page>.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tagger.app import quiz, reference, uploads
from tagger.data.split import holdout_split
from tagger.store.registry import Registry

FIRST_LOAD = 180_000  # ms: the first page that needs TensorFlow or every title tagged, on a busy machine
RERUN = 60_000
TRAINING = 300_000  # the demo's own limit is 240 s of training
OUTSIDE = "http://203.0.113.9"  # TEST-NET-3: never reachable; a request to it means user Markdown was rendered
WATCH_PROGRESS = """() => {
    window.__progress = {lines: [], stop_button: false};
    new MutationObserver(() => {
        const bar = document.querySelector('[data-testid=stProgress]');
        if (bar) {
            const line = bar.innerText.trim();
            if (line && window.__progress.lines.at(-1) !== line) window.__progress.lines.push(line);
        }
        if ([...document.querySelectorAll('button')].some(b => b.innerText.trim() === 'Stop training'))
            window.__progress.stop_button = true;
    }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""
EMPTY_MESSAGE = "The model sees no tokens in this question, so it has no tags to suggest."


def expected_suggestion(tagger, title: str, k: int = 5):
    """(kept views, top-k (tag, probability), tags at or above the page's default threshold)."""
    views = tagger.analyze(title)
    kept = [v.token for v in views if v.kept]
    ranked = tagger.ranked(tagger.predict_proba([kept])[0], k)
    threshold = round(tagger.threshold, 2)  # the page's slider starts at the model's threshold, rounded
    return views, ranked, [t for t, p in ranked if p >= threshold]


def model_caption(name: str, tagger) -> str:
    return f"Model: {name} · keeps {tagger.config.label} · {len(tagger.tags):,} tags. Change it in the sidebar."


def expect_tokens_shown(app, views) -> None:
    """'What the model saw': one highlighted span per kept word, whose hover text names the token."""
    for v in views:
        hover = f"{v.pos}: kept as {v.token}" if v.kept else f"{v.pos}: dropped ({v.reason})"
        expect(app.main.locator(f"span[title={hover!r}]").first).to_be_visible(timeout=RERUN)


# --- Suggest ------------------------------------------------------------------------------------
def test_suggest_shows_tags_probabilities_and_tokens(app, registry, tagger_cache):
    name = registry.active_name()
    tagger = tagger_cache(registry.path(name))
    app.open()
    expect(app.text("Enter a question title above, or try an example:")).to_be_visible(timeout=FIRST_LOAD)
    expect(app.text(model_caption(name, tagger))).to_be_visible()

    title = "How long can I keep cooked rice in the fridge?"
    views, ranked, answer = expected_suggestion(tagger, title)
    assert answer, "the test title should get at least one tag"
    app.fill("Question title", title)
    expect(app.text("Suggested tags")).to_be_visible(timeout=FIRST_LOAD)
    badges = app.main.get_by_test_id("stHtml").first
    expect(badges).to_have_text(" ".join(answer), timeout=RERUN)
    chart = app.main.get_by_test_id("stVegaLiteChart").first
    for tag, p in ranked:  # the bar chart labels every top-k tag with its probability
        expect(chart.get_by_text(tag, exact=True).first).to_be_visible()
        expect(chart.get_by_text(f"{p:.2f}", exact=True).first).to_be_visible()
    expect_tokens_shown(app, views)
    expect(app.main.get_by_test_id("InputInstructions").first).to_have_text(f"{len(title)}/500")
    app.screenshot("suggest")

    # A second title replaces the first: its own tokens show, the first title's are gone.
    second = "Can I substitute baking soda for baking powder in pancakes?"
    views2, _, answer2 = expected_suggestion(tagger, second)
    app.fill("Question title", second)
    expect_tokens_shown(app, views2)
    if answer2:
        expect(badges).to_have_text(" ".join(answer2), timeout=RERUN)
    else:
        expect(app.text(re.compile(r"^No tag reaches the threshold of "))).to_be_visible(timeout=RERUN)
    expect(app.main.locator("span[title$='kept as rice']")).to_have_count(0)

    # Nothing left after the filter: a plain message, no tags.
    app.fill("Question title", "What is this?")
    expect(app.text(EMPTY_MESSAGE)).to_be_visible(timeout=RERUN)
    expect(app.text("Suggested tags")).to_have_count(0)

    # Markup in a title is text, never HTML: no script runs, no element is created from it.
    hostile = "<script>alert('xss')</script><img src=x onerror=alert(2)> <b>bold</b> bread &amp; butter"
    app.fill("Question title", hostile)
    views3, _, _ = expected_suggestion(tagger, hostile)
    expect_tokens_shown(app, views3)
    assert app.main.locator("img[src='x'], script:has-text('xss')").count() == 0
    assert app.main.locator("b", has_text="bold").count() == 0

    # The input is capped at 500 characters, and the cap is shown.
    app.fill("Question title", "rice " * 2000)
    box = app.main.get_by_role("textbox", name="Question title", exact=True)
    assert len(box.input_value()) <= 500
    expect(app.main.get_by_test_id("InputInstructions").first).to_have_text(re.compile(r"^\d+/500$"))
    app.assert_healthy()


def test_suggest_batch_upload_good_and_bad_files(app, registry, tagger_cache, tmp_path):
    tagger = tagger_cache(registry.path(registry.active_name()))
    app.open()
    app.page.get_by_role("tab", name="Batch (CSV)").click()
    batch = app.main.get_by_role("tabpanel", name="Batch (CSV)")
    upload = batch.locator("input[type=file]")

    bad = {
        "names.csv": b"name,tags\nbasil,herbs\n",
        "book.csv": b"PK\x03\x04\x14\x00 a zip, not a CSV",
        "latin1.csv": "title\nCrème brûlée\n".encode("latin-1"),
        "rows.csv": b"title\n" + b"rice\n" * 100_000,  # under the size limit, over the row limit
        # Column names are shown in the message: Markdown in them must stay text (no image, no link).
        "markdown.csv": f"name,a`![pixel]({OUTSIDE}/upload.png)[x]({OUTSIDE})`\n1,2\n".encode(),
    }
    for filename, raw in bad.items():
        with pytest.raises(uploads.UploadError) as err:
            uploads.read_titles(raw)
        path = tmp_path / filename
        path.write_bytes(raw)
        upload.set_input_files(str(path))
        # The message is drawn as Markdown: `title` may show as code, without the backticks.
        shown = "^" + re.escape(str(err.value)).replace("`", "`?") + "$"
        expect(batch.get_by_role("alert")).to_have_text(re.compile(shown), timeout=RERUN)
        expect(batch.get_by_role("alert").locator("img, a")).to_have_count(0)

    good = b"id,title\n1,How do I store fresh basil?\n2,What is this?\n"
    result = uploads.suggest_all(tagger, uploads.read_titles(good), 3)
    no_tokens = int((result["tokens"] == "").sum())
    expected = f"Suggested tags for {len(result):,} titles" + (
        f" ({no_tokens:,} had no words the model keeps)." if no_tokens else ".")
    path = tmp_path / "titles.csv"
    path.write_bytes(good)
    upload.set_input_files(str(path))
    expect(batch.get_by_text(expected, exact=True)).to_be_visible(timeout=FIRST_LOAD)
    expect(batch.get_by_role("button", name="Download suggestions as CSV")).to_be_visible()
    app.assert_healthy()


# --- Tokens -------------------------------------------------------------------------------------
def test_tokens_search_and_quiz(app, registry, questions):
    name = registry.active_name()
    app.open()
    app.go("Tokens", "Tokens")
    total = f"{len(questions):,}"
    held_out = set(questions.id.iloc[-2404:])  # the shipped models never trained on the fixed split's tail

    # A shipped model trained on every row is scored by its split-trained twin, and the caption says so.
    by = re.escape(name) + (r"'s split-trained twin \(the same recipe trained on the first 10,000 questions only\)"
                            if (registry.path(name) / "split").is_dir() else "")

    def hits_caption(rows):
        held, seen = rows.id.isin(held_out).sum(), (~rows.id.isin(held_out)).sum()
        return re.compile(rf"^{len(rows):,} of {total} questions\. Tags by {by}: it hits on \d+% of "
                          rf"the {held:,} of these it never saw and on \d+% of the {seen:,} it trained on")

    expect(app.text(hits_caption(questions))).to_be_visible(timeout=FIRST_LOAD)
    word = "sourdough"
    matches = questions[questions.title.str.contains(word, case=False, regex=False)]
    app.fill("Search titles", word)
    expect(app.text(hits_caption(matches))).to_be_visible(timeout=RERUN)
    pages = -(-len(matches) // 25)
    expect(app.text(f"Page 1 of {pages:,}, 25 questions a page.")).to_be_visible(timeout=RERUN)
    expect(app.main.get_by_test_id("stDataFrame").first).to_be_visible()
    app.screenshot("tokens")

    # The quiz, with the whole title shown: answer with the true tags, so the score is known exactly.
    ref = quiz.reference_model(registry)  # the quiz's model, whatever the active one is
    scorer = reference.load(ref)
    shown_name = quiz.model_label(ref.name, scorer)
    app.page.get_by_role("tab", name="Sense-check quiz").click()
    panel = app.main.get_by_role("tabpanel", name="Sense-check quiz")
    panel.get_by_test_id("stRadio").get_by_text("Whole title", exact=True).click()
    expect(panel.get_by_text(re.compile(r"^Question \d+ \(whole title\)$"))).to_be_visible(timeout=RERUN)
    title = " ".join(panel.get_by_test_id("stText").first.inner_text().split())
    _, held_out = holdout_split(questions)
    matching = held_out[held_out.title.map(lambda t: " ".join(t.split())) == title]
    assert len(matching), f"the quiz's question is not among the held-out titles: {title!r}"
    truth = matching.tags.iloc[0]
    for tag in truth:
        app.choose("Your tags", tag, scope=panel)
    app.page.keyboard.press("Escape")
    panel.get_by_role("button", name="Check my tags").click()

    probabilities = scorer.predict_proba([scorer.tokens(title)])[0]
    model_tags = [t for t, p in scorer.ranked(probabilities, len(scorer.tags)) if p >= scorer.threshold]
    model_f1 = quiz.f1(model_tags, truth)
    expect(panel.get_by_text("Your tags · F1 1.00", exact=True)).to_be_visible(timeout=RERUN)
    expect(panel.get_by_text(f"{shown_name}'s tags · F1 {model_f1:.2f}", exact=True)).to_be_visible()
    verdict = (f"A tie: both scored {1.0:.2f}." if model_f1 == 1.0
               else f"You beat the model on this one (1.00 vs {model_f1:.2f}).")
    expect(panel.get_by_text(verdict, exact=True)).to_be_visible()
    expect(panel.get_by_text(f"Title: {title}", exact=True)).to_be_visible()
    expect(panel.get_by_text(quiz.STORED, exact=True)).to_be_visible()
    app.screenshot("tokens-quiz")
    app.assert_healthy()


# --- Retrain ------------------------------------------------------------------------------------
def test_retrain_small_slice_shows_progress_finishes_and_saves(app, registry):
    app.open()
    app.go("Retrain", "Retrain")
    expect(app.text("1. Data slice")).to_be_visible(timeout=FIRST_LOAD)
    app.small_slice(top_n=8, sample=1000)
    expect(app.metric("Questions")).to_have_text("1,000", timeout=RERUN)
    expect(app.metric("Tags")).to_have_text("8", timeout=RERUN)
    expect(app.metric("Train / held out")).to_have_text("800 / 200")
    app.set_slider("Epochs", 1)  # 1..15: one step right is 2 epochs
    app.set_slider("Embedding size", 0)  # 16
    app.set_slider("Filters per kernel size", 1)  # 8, 16
    for label, value in (("Epochs", "2"), ("Embedding size", "16"), ("Filters per kernel size", "16")):
        expect(app.slider(label)).to_have_attribute(
            "aria-valuetext", value, timeout=RERUN)

    # A small run can be over in a second or two, between two polls of an `expect`: a MutationObserver
    # records every progress line and whether the Stop button was there, however briefly.
    app.page.evaluate(WATCH_PROGRESS)
    app.main.get_by_role("button", name="Start training").click()
    expect(app.text(re.compile(r"^Training finished in \d+ s after 2 epochs: 8 tags, [\d,]+ tokens, "
                               r"threshold \d\.\d\d\.$"))).to_be_visible(timeout=TRAINING)
    seen = app.page.evaluate("window.__progress")
    progress = re.compile(r"^(Preparing tokens|Training: epoch [12] of 2) · batch \d+ of (\d+|…) · "
                          r"\d+ s of at most \d+ s$")
    assert any(progress.match(line) for line in seen["lines"]), seen["lines"][:10]
    assert seen["stop_button"], "the Stop training button never showed while the run went on"
    expect(app.text("Scores on the slice's 200 held-out questions", exact=False)).to_be_visible()
    app.screenshot("retrain")

    # A refused name is quoted in the error; Markdown in it must stay text. (Checked at the end, so the
    # rest of the flow is still proven when this fails.)
    app.fill("Model name", f"![n]({OUTSIDE}/name.png)")
    app.main.get_by_role("button", name="Save model").click()
    expect(app.text(re.compile(r"^Not saved: invalid model name"))).to_be_visible(timeout=RERUN)
    markdown_images = app.main.get_by_role("alert").locator("img").count()

    name = "e2e-retrained"
    assert name not in registry.names()
    app.fill("Model name", name)
    app.main.get_by_role("button", name="Save model").click()
    expect(app.text(f"Saved as {name}. It is listed on the Models page and in the sidebar.")
           ).to_be_visible(timeout=RERUN)
    assert name in registry.names()
    meta = registry.load(name).metadata
    assert meta["hparams"]["epochs"] == 2 and meta["training_data"]["slice"]["top_n_tags"] == 8
    assert markdown_images == 0, "a refused model name was rendered as Markdown (an <img> from user text)"
    app.assert_healthy()


def test_retrain_messages_do_not_render_user_markdown(app):
    """The custom POS field's error quotes what was typed; it must show as text, not as Markdown."""
    app.open()
    app.go("Retrain", "Retrain")
    expect(app.text("2. Model")).to_be_visible(timeout=FIRST_LOAD)
    app.choose("Words the model sees (POS filter)", "custom POS tags…")
    app.fill("Custom POS tags", f"![p]({OUTSIDE}/pos.png) [x]({OUTSIDE})")
    expect(app.text(re.compile(r"^invalid POS tag set"))).to_be_visible(timeout=RERUN)
    expect(app.main.get_by_role("alert").locator("img, a")).to_have_count(0)
    app.assert_healthy()


# --- Models -------------------------------------------------------------------------------------
def test_models_activate_another_and_suggest_follows(app, registry: Registry, tagger_cache):
    before = registry.active_name()
    other = next(n for n in registry.shipped_names() if n != before)
    tagger = tagger_cache(registry.path(other))
    try:
        app.open()
        app.go("Models", "Models")
        expect(app.text("Manage a model")).to_be_visible(timeout=FIRST_LOAD)
        app.choose("Model", other)
        expect(app.text(f"{other} ships with the app, so it can't be deleted.")).to_be_visible(timeout=RERUN)
        app.main.get_by_role("button", name="Activate").click()
        expect(app.text(f"{other} is now the active model: the server's default, and the model this session "
                        "uses.")).to_be_visible(timeout=RERUN)
        assert registry.active_name() == other
        expect(app.text(f"{other} is the active model.")).to_be_visible()
        twin = (r" \(by its split-trained twin: the same recipe without these questions\)"
                if (registry.path(other) / "split").is_dir() else "")
        expect(app.text(re.compile(rf"^{re.escape(other)} scored{twin} on "))).to_be_visible(timeout=FIRST_LOAD)
        app.screenshot("models")

        app.go("Suggest", "Suggest tags")
        expect(app.text(model_caption(other, tagger))).to_be_visible(timeout=FIRST_LOAD)
        title = "How long can I keep cooked rice in the fridge?"
        views, _, answer = expected_suggestion(tagger, title)
        app.fill("Question title", title)
        expect_tokens_shown(app, views)
        if answer:
            expect(app.main.get_by_test_id("stHtml").first).to_have_text(" ".join(answer), timeout=RERUN)
        app.assert_healthy()
    finally:
        registry.activate(before)
