"""TF-IDF over token lists the filters already made (scikit-learn's `TfidfVectorizer`, sublinear tf, no
analyzer of its own): one definition for the TF-IDF + LR peer (`scoring.baselines`) and for the wide and
neighbours branches (`model.wide`, `model.neighbours`), so all three weigh a question's words alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _already_tokens(tokens):
    return tokens


def vectorizer(vocabulary: Sequence[str] | None = None):
    """A `TfidfVectorizer` that reads token lists as they are (over `vocabulary` when given)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=_already_tokens, sublinear_tf=True,
                           vocabulary=None if vocabulary is None else list(vocabulary))


@dataclass
class Rows:
    """The TF-IDF rows of some questions over a network's vocabulary, and the idf by the network's token ids
    (0 padding and 1 unknown token count for nothing, then the vocabulary in order)."""

    idf: np.ndarray  # [vocabulary + 2] float32
    matrix: object  # scipy.sparse CSR [questions, vocabulary], L2-normalised rows


def rows(token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str]) -> Rows:
    """`token_lists`' TF-IDF rows over `vocabulary`, with the idf fitted on them."""
    fitted = vectorizer(vocabulary)
    matrix = fitted.fit_transform(token_lists)
    idf = np.zeros(len(vocabulary) + 2, np.float32)
    idf[2:] = fitted.idf_
    return Rows(idf, matrix)
