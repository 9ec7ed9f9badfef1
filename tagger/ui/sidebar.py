"""The sidebar every page shares: which model this session uses, and a line about the data."""

from __future__ import annotations

import streamlit as st

from tagger.ui import cached, session
from tagger.ui.cached import Unavailable
from tagger.ui.safe import plain

_SELECT_KEY = "sidebar_model"


def _on_model_select() -> None:
    session.set_model(st.session_state.get(_SELECT_KEY))


def draw() -> None:
    """Model selector (this session) and a one-line summary of the model and the data."""
    reg = cached.registry()
    with st.sidebar:
        names = reg.names()
        if not names:
            st.warning("No trained model yet. Train one on the Retrain page.")
        else:
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
        st.caption(cached.data_summary())
