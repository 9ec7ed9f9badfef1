"""This browser session: its model, messages that outlive a rerun, and the last-resort error handler."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from tagger.core import paths
from tagger.store.registry import RegistryError
from tagger.ui import cached
from tagger.ui.cached import Unavailable
from tagger.ui.safe import plain

log = logging.getLogger(__name__)

MODEL_KEY = "model_name"  # this session's model; the sidebar and the Models page set it


def through_app() -> None:
    """Make sure this page runs inside app.py, whichever URL the visitor opened first.

    Streamlit treats a folder named `pages/` beside the entry point as old-style pages until the
    entry point's `st.navigation` has run once in the process (AppTest even resets that before every
    run). So when a fresh server's first visitor opens a page by its URL (a stakeholder's link to
    /story), Streamlit runs that page's file alone: no `set_page_config`, no navigation, no sidebar,
    no session set-up. Each page calls this first: it turns the old-style mode off, runs app.py in its
    place (which picks this same page: page hashes come from the URL path) and ends this run. In place,
    not with a rerun, so a button pressed for this run still counts.
    """
    import runpy

    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(paths.REPO / "app.py"), run_name="__main__")
        st.stop()


def model_name() -> str | None:
    """This session's model: its own choice while that still exists, else the server's active model."""
    reg = cached.registry()
    names = reg.names()
    name = st.session_state.get(MODEL_KEY)
    if name not in names:
        name = reg.active_name()
        st.session_state[MODEL_KEY] = name
    return name


def set_model(name: str | None) -> None:
    st.session_state[MODEL_KEY] = name


def tagger():
    """The Tagger this session uses; raises Unavailable when there is none."""
    name = model_name()
    if name is None:
        raise Unavailable(f"No trained model is available in {cached.registry().root}. Train one on the Retrain "
                          "page or run `make models`.")
    return cached.load_tagger(name)


def tagger_or_stop():
    try:
        return tagger()
    except (Unavailable, RegistryError) as e:
        st.error(plain(e))
        st.stop()


def questions_or_stop() -> pd.DataFrame:
    try:
        return cached.questions()
    except Unavailable as e:
        st.error(plain(e))
        st.stop()


def flash(message: str, kind: str = "success") -> None:
    """A message for the next run (callbacks run before the page draws, so they can't show one).
    It is shown as plain text: pass it unescaped."""
    st.session_state["_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("_flash", (None, None))
    if message:
        getattr(st, kind, st.info)(plain(message))


@contextmanager
def friendly_errors():
    """Last line of defence: an unexpected error becomes a short message, never a stack trace."""
    try:
        yield
    except Unavailable as e:
        st.error(plain(e))
    except Exception as e:  # noqa: BLE001 - st.stop/st.rerun are BaseExceptions and pass through
        log.exception("page failed")
        st.error(f"Something went wrong on this page ({e.__class__.__name__}). Try again, or reload the app.")
