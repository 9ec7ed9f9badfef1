"""Data: Stack Exchange questions from files, and the project's fixed split.

- `loaders`: the project CSV, Kaggle CSVs, fastText lines and streamed `Posts.xml` dumps, all as the
  same rows `{id, title, body, tags}`; bad files raise `DataError` naming the file, row and problem.
- `split`: the fixed train / held-out split every number in the project is measured on, and a
  content fingerprint recorded in model metadata.

May import `tagger.core` and `tagger.text` (cleaning HTML out of titles and bodies).
"""
