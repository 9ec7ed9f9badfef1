"""This browser session: who it is, its admin grant, its model, messages that outlive a rerun, and the
last-resort error handler."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from tagger.store import admin
from tagger.store.registry import RegistryError
from tagger.ui import cached
from tagger.ui.cached import Unavailable
from tagger.ui.safe import plain

log = logging.getLogger(__name__)

MODEL_KEY = "model_name"  # this session's model; the sidebar and the Models page set it
SESSION_KEY = "session_id"  # who this session is: training runs and saved models belong to it
_GRANT_KEY = "_admin_grant"  # an admin.Grant once the admin password was entered (never the password)


def start() -> None:
    """Session state every page may read; the entry point calls it first on every run."""
    session_id()
    st.session_state.setdefault(MODEL_KEY, None)


def session_id() -> str:
    """This session's id, made on first use, so no caller ever sees an empty one."""
    if not st.session_state.get(SESSION_KEY):
        st.session_state[SESSION_KEY] = uuid.uuid4().hex
    return st.session_state[SESSION_KEY]


def admin_grant() -> admin.Grant | None:
    return st.session_state.get(_GRANT_KEY)


def is_admin() -> bool:
    """May this session make admin changes? A broken admin setting counts as no (the sidebar says why)."""
    try:
        return admin.is_admin(admin_grant())
    except admin.AdminError:
        return False


def unlock(password: str) -> bool:
    """Check the admin password; keep the grant (not the password) for this session. True if it was right."""
    grant = admin.unlock(password)
    if grant is not None:
        st.session_state[_GRANT_KEY] = grant
    return grant is not None


def lock() -> None:
    st.session_state.pop(_GRANT_KEY, None)


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
