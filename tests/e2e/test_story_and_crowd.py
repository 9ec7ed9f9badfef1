"""The Story page and the crowd's sense-check in a real browser.

/story shows the numbers `python -m tagger story` computed (docs/story.json), its charts and no error.
Two browser contexts (two visitors) answer the quiz at the same time; both answers reach the database
and the aggregate; a second server process on the same state folder (the app restarted) still shows them.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from bench.server import StreamlitServer, free_port
from tagger.app import crowd, quiz, story as st_story
from tagger.store.answers import FILENAME, AnswerStore
from tests.e2e.conftest import OUTPUT, VIEWPORT, BrowserApp, server_env

FIRST_LOAD = 180_000
RERUN = 60_000
BASE_PATH_PROBE = re.compile(r"404 \(Not Found\).*/story/_stcore/")  # see `open_at`


def open_at(app: BrowserApp, path: str, heading: str) -> None:
    """Open a page by its URL, as a stakeholder given the link does."""
    app.page.goto(app.server.url + path)
    expect(app.page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=FIRST_LOAD)


def assert_healthy_at_a_url(app: BrowserApp) -> None:
    """`assert_healthy`, except the 404s Streamlit's frontend logs while it probes /story/_stcore/ for its base
    path (it does so for any page opened by its URL, then finds the root); every other console error counts."""
    app.console_errors[:] = [e for e in app.console_errors if not BASE_PATH_PROBE.search(e)]
    app.assert_healthy()


def test_story_shows_the_computed_numbers_and_charts(app):
    numbers = st_story.load(st_story.story_path())
    open_at(app, "/story", "The story")
    expect(app.metric("Replayed here: accuracy on the held-out third")).to_have_text(
        st_story.pct(numbers["replay"]["accuracy"]), timeout=FIRST_LOAD)
    expect(app.metric("The question's accuracy")).to_have_text(st_story.pct(numbers["replay"]["original_accuracy"]))
    expect(app.metric("The fixed network's P@1")).to_have_text(
        st_story.score(st_story.model(numbers, "fixed")["p_at_1"]))
    expect(app.metric("Target columns")).to_have_text(f"{numbers['wrong']['tag_split']['target_columns']:,}")
    charts = app.main.get_by_test_id("stVegaLiteChart")
    expect(charts.nth(1)).to_be_visible()
    for i in range(2):  # accuracy per epoch; every model side by side
        expect(charts.nth(i).locator("svg, canvas").first).to_be_attached(timeout=RERUN)
    best = st_story.best_model(numbers)
    expect(charts.nth(1).get_by_text(f"{best['p_at_1']:.3f}", exact=True).first).to_be_attached()
    app.screenshot("story")
    assert_healthy_at_a_url(app)


def start_question(app: BrowserApp):
    """Open the quiz on the Tokens page; returns its panel once a question is shown."""
    app.open()
    app.go("Tokens", "Tokens")
    app.page.get_by_role("tab", name="Sense-check quiz").click()
    panel = app.main.get_by_role("tabpanel", name="Sense-check quiz")
    expect(panel.get_by_text(re.compile(r"^Question 1 \((tokens only|whole title)\)$"))).to_be_visible(
        timeout=FIRST_LOAD)
    return panel


def test_two_visitors_answer_at_once_and_a_restart_keeps_both(browser, app_server, e2e_registry, e2e_state,
                                                             no_secrets):
    store = AnswerStore(e2e_state / FILENAME)
    before = len(store.answers())
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
    apps = []
    try:
        for context in contexts:
            context.set_default_timeout(60_000)
            apps.append(BrowserApp(context.new_page(), app_server))
        panels = [start_question(a) for a in apps]
        for a, panel in zip(apps, panels, strict=True):
            a.choose("Your tags", "baking", scope=panel)
            a.page.keyboard.press("Escape")
        for panel in panels:  # both clicks go out before either answer is drawn
            panel.get_by_role("button", name="Check my tags").click()
        for panel in panels:
            expect(panel.get_by_text(quiz.STORED, exact=True)).to_be_visible(timeout=RERUN)

        stored = store.answers()
        assert len(stored) == before + 2
        new = stored.iloc[before:]
        assert new.session.nunique() == 2 and set(new["mode"]) <= set(quiz.MODES)
        assert (new.guess.map(tuple) == ("baking",)).all()
        # Visitor one's next question reruns the page: the aggregate now counts visitor two's answer too.
        panels[0].get_by_role("button", name="Next question").click()
        totals = crowd.totals(stored)
        expect(panels[0].get_by_text(re.compile("^" + re.escape(totals)))).to_be_visible(timeout=RERUN)
        lines = [crowd.describe(row) for row in crowd.summary(stored).itertuples()]
        for line in lines:
            expect(panels[0].get_by_text(line, exact=True)).to_be_visible()
        apps[0].screenshot("quiz-aggregate")
        for a in apps:
            a.assert_healthy()
    finally:
        for context in contexts:
            context.close()

    # The app restarted: a new server process on the same state folder shows the same answers.
    restarted = StreamlitServer(free_port(), server_env(e2e_registry, no_secrets, e2e_state),
                                 OUTPUT / "e2e-restart.log")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        restarted.wait_healthy()
        context.set_default_timeout(60_000)
        again = BrowserApp(context.new_page(), restarted)
        # The fresh server's first visit is the story's link: it must still run inside app.py (its
        # navigation and the sidebar's model picker), not as a lone page file.
        open_at(again, "/story", "The story")
        expect(again.sidebar.get_by_role("link", name=re.compile("Suggest$"))).to_be_visible(timeout=RERUN)
        expect(again.sidebar.get_by_text("Model", exact=True)).to_be_visible()
        expect(again.text(re.compile("^" + re.escape(totals)))).to_be_visible(timeout=FIRST_LOAD)
        for line in lines:
            expect(again.main.get_by_text(line, exact=True)).to_be_visible()
        expect(again.main.get_by_role("button", name="Download the answers (CSV)")).to_be_visible()
        assert_healthy_at_a_url(again)
    finally:
        context.close()
        restarted.stop()
