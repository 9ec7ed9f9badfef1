"""The wide branch of a wide-and-deep tagger: TF-IDF + one-vs-rest logistic regression (scikit-learn), fitted
on the network's own training rows over the network's own vocabulary, then copied into the Keras graph
(`network.serving_network`), so the saved model file scores both and blends them.

Why: the Conv1D and the linear model make different mistakes. On validation rows cut from the training rows
(title + body, 2 seeds) their average ranked clearly better than either alone: R@5 0.700 (Conv1D) and 0.709
(TF-IDF + LR) -> 0.723. The linear model is the reference one (the same one `scoring.baselines` measures
every model against), restricted to the tokens the network knows so it reads exactly what the network reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tagger.model.network import HParams
from tagger.text.tfidf import Rows

# The logit given to a tag with no positive row to learn from (the linear model then predicts "never").
NEVER = -30.0


@dataclass
class WideWeights:
    """What the Keras layers of the wide branch hold, indexed by the network's token ids (0: padding,
    1: unknown token, then the vocabulary in order)."""

    idf: np.ndarray  # [vocabulary + 2]
    kernel: np.ndarray  # [vocabulary + 2, tags]
    bias: np.ndarray  # [tags]


def wide_tokens(title_lists: Sequence[Sequence[str]], body_lists: Sequence[Sequence[str]] | None,
                hp: HParams) -> list[list[str]]:
    """What the wide branch reads per question, cut where the network's inputs are: the title
    (`bag_title_times` times in a title + body model, as in the bag of words), then the body."""
    if body_lists is None:
        return [list(t[:hp.max_len]) for t in title_lists]
    return [list(t[:hp.max_len]) * hp.bag_title_times + list(b[:hp.body_len])
            for t, b in zip(title_lists, body_lists, strict=True)]


def fit(tfidf: Rows, targets: np.ndarray, C: float = 10.0) -> WideWeights:
    """One logistic regression per column of `targets` (multi-hot, [rows, tags]) over the TF-IDF rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    # Integer labels: scikit-learn 1.9's OneVsRestClassifier scrambles the columns of an int8 indicator
    # matrix (see scoring.baselines).
    y = np.asarray(targets > 0, dtype=np.int64)
    with warnings.catch_warnings():
        # A tag with no positive row here becomes a constant 0, which is right, and warns.
        warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
        ovr = OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear"), n_jobs=1).fit(tfidf.matrix, y)
    kernel = np.zeros((len(tfidf.idf), y.shape[1]), np.float32)
    bias = np.full(y.shape[1], NEVER, np.float32)
    for j, estimator in enumerate(ovr.estimators_):
        if hasattr(estimator, "coef_"):
            kernel[2:, j] = estimator.coef_[0]
            bias[j] = estimator.intercept_[0]
        elif np.ravel(getattr(estimator, "y_", [0]))[0]:  # a tag on every row: always
            bias[j] = -NEVER
    return WideWeights(tfidf.idf, kernel, bias)
