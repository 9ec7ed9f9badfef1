"""Cooking Tagger: the Streamlit entry point. Sets up the page, the session and the sidebar, then runs the
page the visitor chose. Run it with `make run` (or `streamlit run app.py`).

Every page runs through this file, even one opened first thing on a fresh server: see
`tagger/ui/navigation.py` for why each page starts with `navigation.guard()`.
"""

import streamlit as st

from tagger.ui import navigation, session, sidebar

st.set_page_config(page_title="Cooking Tagger", page_icon="🍳", layout="wide")
session.start()
page = navigation.navigate()

with session.friendly_errors():
    sidebar.draw()
with session.friendly_errors():
    navigation.run(page)
