"""A shared link to any page, opened first thing on a freshly started server, gets the real app.

Each case starts its own server that nobody has visited, so Streamlit's legacy discovery of `pages/` is what
answers the first request (the page file alone, before app.py ever ran). The page must still come with the
app's navigation (one link per page in `navigation.PAGES`, so a new page is covered by adding it there),
the sidebar's model picker, its own URL, and no moment of Streamlit's legacy file listing: a script added
before the app loads records every navigation element and sidebar link that ever appears.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tagger.store import quotas
from tagger.store.registry import Registry
from tagger.ui import navigation
from tests.e2e.conftest import VIEWPORT, BrowserApp

FIRST_LOAD = 180_000  # ms: a fresh server imports TensorFlow and loads the model on its first page
TRAINING = 300_000
TITLES = [p.title for p in navigation.PAGES]
# Runs before any of the page's own scripts: remembers Streamlit's navigation widget (the legacy listing
# is drawn by it; the app draws page links instead) and the text of every sidebar link ever shown.
RECORD_NAVIGATION = """
window.__nav = {widgets: [], links: []};
new MutationObserver(() => {
    for (const e of document.querySelectorAll('[data-testid^=stSidebarNav]'))
        if (!window.__nav.widgets.includes(e.dataset.testid)) window.__nav.widgets.push(e.dataset.testid);
    for (const a of document.querySelectorAll('[data-testid=stSidebar] a')) {
        const label = a.innerText.trim().split('\\n').at(-1).trim();
        if (label && !window.__nav.links.includes(label)) window.__nav.links.push(label);
    }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def link_labels(app: BrowserApp) -> list[str]:
    # A page link reads "<icon name>\n\n<title>": the icon is a ligature in Material Symbols.
    return [t.split("\n")[-1].strip() for t in app.sidebar.get_by_test_id("stPageLink").all_inner_texts()]


@pytest.fixture
def first_visitor(browser):
    contexts = []

    def open_first(server, url_path: str) -> BrowserApp:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        context.set_default_timeout(60_000)
        context.add_init_script(RECORD_NAVIGATION)
        return BrowserApp(context.new_page(), server).open_link(url_path)

    yield open_first
    for context in contexts:
        context.close()


@pytest.mark.parametrize("spec", navigation.PAGES, ids=[p.title for p in navigation.PAGES])
def test_each_page_works_as_the_first_page_on_a_fresh_server(spec, start_server, first_visitor):
    server = start_server(f"e2e-fresh-{spec.title.lower()}")
    app = first_visitor(server, spec.url)
    expect(app.sidebar.get_by_role("combobox", name="Model")).to_be_visible(timeout=FIRST_LOAD)
    expect(app.main.get_by_role("heading", level=1).first).to_be_visible(timeout=FIRST_LOAD)
    assert link_labels(app) == TITLES
    assert app.page.url == f"{server.url}/{spec.url}"  # Streamlit sends a visitor home when it can't find a page
    expect(app.page.get_by_text("Page not found")).to_have_count(0)
    seen = app.page.evaluate("window.__nav")
    assert seen["widgets"] == [], f"Streamlit's own navigation appeared: {seen['widgets']}"
    assert seen["links"] == TITLES, f"links other than the app's were shown: {seen['links']}"
    app.screenshot(f"fresh-{spec.title.lower()}")
    app.assert_healthy()


def test_a_retrain_from_a_fresh_link_belongs_to_its_session(start_server, first_visitor):
    """The run started on a page opened first thing is this session's own: its Stop button shows, and the
    model it saves records this session, not the empty id every such visitor used to share."""
    server = start_server("e2e-fresh-retrain-run")
    app = first_visitor(server, "retrain")
    expect(app.text("1. Data slice")).to_be_visible(timeout=FIRST_LOAD)
    app.small_slice(top_n=5, sample=500)
    expect(app.metric("Questions")).to_have_text("500", timeout=60_000)
    app.set_slider("Epochs", 0)
    app.set_slider("Filters per kernel size", 0)
    expect(app.slider("Epochs")).to_have_attribute("aria-valuetext", "1", timeout=60_000)
    app.page.evaluate("""() => { window.__stop = false; new MutationObserver(() => {
        if ([...document.querySelectorAll('button')].some(b => b.innerText.trim() === 'Stop training'))
            window.__stop = true; }).observe(document.body, {subtree: true, childList: true}); }""")
    app.main.get_by_role("button", name="Start training").click()
    expect(app.text(re.compile(r"^Training finished in \d+ s after 1 epochs"))).to_be_visible(timeout=TRAINING)
    assert app.page.evaluate("window.__stop"), "the owner never got a Stop button"
    app.fill("Model name", "first-visit")
    app.main.get_by_role("button", name="Save model").click()
    expect(app.text("Saved as first-visit. It is listed on the Models page and in the sidebar.")
           ).to_be_visible(timeout=60_000)
    owner = Registry(server.models).load("first-visit").metadata["visitor"]["session"]
    assert re.fullmatch(r"[0-9a-f]{16}", owner) and owner != quotas.session_key("")
    app.assert_healthy()
