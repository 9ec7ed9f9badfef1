"""The sidebar every page shares: the navigation, which model this session uses, a line about the data, and
the admin box (local mode, or the admin password)."""

from __future__ import annotations

import streamlit as st

from tagger.store import admin
from tagger.ui import cached, navigation, session
from tagger.ui.cached import Unavailable
from tagger.ui.safe import plain

_SELECT_KEY = "sidebar_model"
_PASSWORD_KEY = "sidebar_admin_password"
_WRONG_KEY = "_sidebar_admin_wrong"
LOCAL_MODE = ("Single-user local mode: no admin password is set, so whoever uses this app can change the server's "
              "default model and delete models. Set TAGGER_ADMIN_PASSWORD before putting it online.")


def _on_model_select() -> None:
    session.set_model(st.session_state.get(_SELECT_KEY))


def _on_unlock() -> None:
    # A callback runs before the script, so the whole run (this page included) already sees the grant.
    # The field is emptied here, so the password does not stay in the session's widget state.
    typed = st.session_state.get(_PASSWORD_KEY, "")
    st.session_state[_PASSWORD_KEY] = ""
    st.session_state[_WRONG_KEY] = not session.unlock(typed)


def _model_picker() -> None:
    reg = cached.registry()
    names = reg.names()
    if not names:
        st.warning("No trained model yet. Train one on the Retrain page.")
        return
    current = session.model_name()
    active = reg.active_name()
    # The Models page may have changed this session's model since the selector last drew.
    if st.session_state.get(_SELECT_KEY) != current:
        st.session_state[_SELECT_KEY] = current
    st.selectbox(
        "Model", names, key=_SELECT_KEY, on_change=_on_model_select,
        format_func=lambda n: f"{n} (server default)" if n == active else n,
        help="The model this browser session uses on every page. The Models page sets the server default.",
    )
    try:
        tagger = cached.load_tagger(current)
        p1 = ((tagger.metadata.get("metrics") or {}).get("heldout") or {}).get("p_at_1")
        st.caption(f"Keeps {tagger.config.label} · {len(tagger.tags):,} tags"
                   + (f" · P@1 {p1:.2f}" if isinstance(p1, (int, float)) else ""))
    except Unavailable as e:
        st.error(plain(e))


def _admin_box() -> None:
    try:
        gated = admin.gate_enabled()
    except admin.AdminError as e:
        st.error(plain(f"The admin settings can't be read, so admin changes are refused: {e}"))
        return
    if not gated:
        st.caption(LOCAL_MODE)
        return
    if session.is_admin():
        st.caption("Admin: this session can choose the server's default model and delete models.")
        st.button("Lock admin", on_click=session.lock, key="sidebar_admin_lock")
        return
    with st.form("sidebar_admin", clear_on_submit=True, border=False):
        st.text_input("Admin password", type="password", key=_PASSWORD_KEY, max_chars=200)
        st.form_submit_button("Unlock admin", on_click=_on_unlock)
    if st.session_state.pop(_WRONG_KEY, False):
        st.error("That is not the admin password.")
    st.caption("Visitors may suggest, browse, retrain and save a few models. Choosing the server's default model "
               "and deleting models need the admin password.")


def draw() -> None:
    """Navigation, model selector (this session), a one-line summary of the data, the admin box."""
    with st.sidebar:
        navigation.links()
        _model_picker()
        st.caption(cached.data_summary())
        _admin_box()
