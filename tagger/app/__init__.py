"""App: what the pages do, without Streamlit.

- `jobs`: the server's one background training run (progress, stop, limits).
- `slices`: which questions and tags a retrained model learns from.
- `browse`: the question browser's table; `filter_stats`: what a token filter costs.
- `quiz`: the sense-check quiz's rounds and scores; `model_report`: the Models page's tables.
- `uploads`: a visitor's CSV of titles (and bodies) in, suggestions out; `bodies`: which model reads a
  question that has a body, and the rows that show what it read.

May import every layer below (`core`, `text`, `data`, `scoring`, `model`, `store`), never
Streamlit: pages call these functions and only draw what they return, so the rules hold for any
caller and the tests can check them without a browser.
"""
