"""UI: the Streamlit glue the pages share. The only package that imports streamlit.

- `safe`: text shown as text (HTML and Markdown escaping for anything a visitor typed or uploaded).
- `cached`: `st.cache_resource` for models, `st.cache_data` for questions, tagged titles and tables.
- `session`: this browser session: its id, its admin grant, its model, messages across reruns, the
  last-resort error handler.
- `sidebar`: the page links, the model picker, the one-line data summary, the admin box.
- `navigation`: the app's pages (`PAGES`), `st.navigation` over them, and `guard()`, the first statement
  of every page, which makes a page that Streamlit runs on its own run through the entry point.

May import every layer below. Pages (`pages/*.py`) import `tagger.ui` and `tagger.app`, draw, and
hold no logic of their own.
"""
