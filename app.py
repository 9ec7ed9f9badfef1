"""Cooking Tagger: the Streamlit entry point. Sets up the page, the session and the sidebar, then runs the
page the visitor chose. Run it with `make run` (or `streamlit run app.py`)."""

import uuid

import streamlit as st

from tagger.ui import session, sidebar

st.set_page_config(page_title="Cooking Tagger", page_icon="🍳", layout="wide")

# Session state every page may read: who this session is (training runs belong to the session that
# started them) and which model it uses (None until the registry is read).
st.session_state.setdefault("session_id", uuid.uuid4().hex)
st.session_state.setdefault(session.MODEL_KEY, None)

pages = [
    st.Page("pages/suggest.py", title="Suggest", icon=":material/sell:", default=True),
    # The page a stakeholder is walked through first: from the original 6 % to the fix.
    st.Page("pages/story.py", title="Story", icon=":material/auto_stories:", url_path="story"),
    st.Page("pages/tokens.py", title="Tokens", icon=":material/text_fields:"),
    st.Page("pages/retrain.py", title="Retrain", icon=":material/model_training:"),
    st.Page("pages/models.py", title="Models", icon=":material/inventory_2:"),
]
page = st.navigation(pages)

with session.friendly_errors():
    sidebar.draw()
with session.friendly_errors():
    page.run()
