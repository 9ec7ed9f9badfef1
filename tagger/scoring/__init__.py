"""Scoring: what a tag suggestion is measured against.

- `labels`: the tag columns (which tags a model learns; tags as multi-hot rows). The one owner of
  "tag -> output column", used by the Conv1D's targets, the baselines and the measures.
- `metrics`: P@1, P@5, R@5 (fastText's definitions), micro/macro-F1, per-tag reports, thresholds.
- `baselines`: the yardsticks every model is compared with on the same rows and tokens: TF-IDF +
  one-vs-rest logistic regression, and "always the most frequent tags".

Plain NumPy and scikit-learn. May import `tagger.core` only; the model layer builds on it.
"""
