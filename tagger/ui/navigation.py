"""The app's pages, its navigation, and the guard that makes every page run through the entry point.

Why a guard: `pages/` is the product's layout, and Streamlit treats a `pages/` folder as a legacy
multipage app until some session has run `st.navigation`. On a freshly started server, the first visit
to a page's URL (a shared deep link) therefore runs that page file alone: `app.py` never runs, so there
is no page setup, no session setup, no sidebar, and Streamlit lists the files of `pages/` as the
navigation. `guard()`, the first statement of every page, sees that the entry point is not running and
runs `app.py` in the page's place (which calls `st.navigation`, so from then on Streamlit ignores the
folder, for every session), then stops the lone run. `client.showSidebarNavigation = false` in
`.streamlit/config.toml` hides the legacy listing that Streamlit sends before any page code runs; the
app draws its own links instead (`links`).

Adding a page: one line in `PAGES`, and `navigation.guard()` at the top of the page file.
"""

from __future__ import annotations

import runpy
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from tagger.core.paths import REPO

ENTRY_POINT = REPO / "app.py"


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the entry point's folder
    title: str
    icon: str
    default: bool = False

    @property
    def url(self) -> str:
        """The page's URL path: the default page is the app's root, the others are named after their file."""
        return "" if self.default else Path(self.path).stem


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/suggest.py", "Suggest", ":material/sell:", default=True),
    # The page a stakeholder is walked through first: from the original 6 % to the fix.
    PageSpec("pages/story.py", "Story", ":material/auto_stories:"),
    PageSpec("pages/tokens.py", "Tokens", ":material/text_fields:"),
    PageSpec("pages/retrain.py", "Retrain", ":material/model_training:"),
    PageSpec("pages/models.py", "Models", ":material/inventory_2:"),
)

# Set while the entry point runs a page, per script thread (each session's runs have their own thread).
_entry = threading.local()


def navigate():
    """`st.navigation` over PAGES, drawn by the app (`links`) rather than by Streamlit; returns the page to run."""
    pages = [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in PAGES]
    # Hidden: with showSidebarNavigation off Streamlit would hide a sidebar menu anyway; `links` draws it.
    current = st.navigation(pages, position="hidden")
    _entry.pages = pages
    return current


def links() -> None:
    """The navigation in the sidebar, one link per page (the current one is highlighted)."""
    for page in getattr(_entry, "pages", ()):
        st.page_link(page)


def run(page) -> None:
    """Run the chosen page from the entry point; its `guard()` lets it through."""
    _entry.running = True
    try:
        page.run()
    finally:
        _entry.running = False


def guard() -> None:
    """The first statement of every page: if Streamlit ran this page file on its own, run the app instead.

    Inside the entry point's run it returns at once. Otherwise it runs `app.py`, which sets the page and
    the session up, declares the navigation and runs the page the visitor asked for (the URL still names
    it), then ends this lone run, so the page is drawn once, by the app.
    """
    if getattr(_entry, "running", False):
        return
    runpy.run_path(str(ENTRY_POINT), run_name="__main__")
    st.stop()
