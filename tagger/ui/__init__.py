"""UI: the Streamlit glue the pages share. The only package that imports streamlit.

- `safe`: text shown as text (HTML and Markdown escaping for anything a visitor typed or uploaded).
- `cached`: `st.cache_resource` for models, `st.cache_data` for questions, tagged titles and tables.
- `session`: this browser session's model, messages across reruns, the last-resort error handler.
- `sidebar`: the model picker and the one-line data summary.

May import every layer below. Pages (`pages/*.py`) import `tagger.ui` and `tagger.app`, draw, and
hold no logic of their own.
"""
