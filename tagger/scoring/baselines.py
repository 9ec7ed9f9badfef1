"""Baselines that every model is compared with, on the same split and the same tokens.

- `TfidfBaseline`: TF-IDF over the filtered tokens + one-vs-rest logistic regression (scikit-learn).
- `MostFrequentBaseline`: always suggests the most frequent training tags; anything that learns
  from the words must beat it.
Both expose `tags`, `threshold` and `predict_proba(token_lists)`, like the Keras tagger.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from tagger.scoring import metrics
from tagger.scoring.labels import TagColumns


def _identity(tokens):
    return tokens


class TfidfBaseline:
    """TF-IDF + one-vs-rest logistic regression over already-filtered token lists."""

    def __init__(self, min_tag_count: int = 2, C: float = 10.0, seed: int = 42):
        self.min_tag_count, self.C, self.seed = min_tag_count, C, seed

    def fit(self, token_lists, tag_lists) -> "TfidfBaseline":
        columns = TagColumns.learn(tag_lists, self.min_tag_count)
        self.tags = columns.tags
        # Not int8: scikit-learn's LabelBinarizer (inside OneVsRest) scrambles an int8 indicator matrix with
        # more than 127 columns, and every tag then learns another tag's rows.
        y = columns.multi_hot(tag_lists).astype(np.int32)
        # Tags of the training rows are all present by construction, but the vectorizer can't take
        # an empty corpus: guard with a clear error instead of sklearn's.
        if not any(token_lists):
            raise ValueError("no tokens in the training rows: the filter kept nothing")
        self.vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
        x = self.vectorizer.fit_transform(token_lists)
        rng = np.random.default_rng(self.seed)
        val = rng.random(len(token_lists)) < 0.1
        fit_rows = ~val if val.any() and (~val).any() else np.ones(len(token_lists), bool)
        # Columns with no positive example make liblinear refuse; a constant column scores 0.
        self.model = OneVsRestClassifier(
            LogisticRegression(C=self.C, solver="liblinear"), n_jobs=1
        ).fit(x[fit_rows], y[fit_rows])
        self.threshold = (
            metrics.best_threshold([tag_lists[i] for i in np.flatnonzero(val)], self.tags,
                                   self.model.predict_proba(x[val]))
            if val.any() else 0.5
        )
        return self

    def predict_proba(self, token_lists) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self.vectorizer.transform(token_lists)), dtype=np.float32)


class MostFrequentBaseline:
    """Suggests the training set's most frequent tags for every question."""

    def fit(self, token_lists, tag_lists) -> "MostFrequentBaseline":
        counts = Counter(t for tags in tag_lists for t in tags)
        self.tags = sorted(counts)
        n = max(len(tag_lists), 1)
        self.prior = np.array([counts[t] / n for t in self.tags], dtype=np.float32)
        self.threshold = float(np.sort(self.prior)[-1])  # predicts the single most frequent tag
        return self

    def predict_proba(self, token_lists) -> np.ndarray:
        return np.tile(self.prior, (len(token_lists), 1))


def evaluate_scorer(scorer, token_lists, true_tags) -> dict:
    """Headline numbers of any scorer (baseline or tagger) on token lists."""
    probs = scorer.predict_proba(token_lists)
    return metrics.evaluate_probabilities(true_tags, scorer.tags, probs, scorer.threshold,
                                          has_tokens=[bool(t) for t in token_lists])
