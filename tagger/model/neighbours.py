"""The neighbours branch of a wide-and-deep tagger: the tags of the training questions most like this one
(k nearest neighbours by the cosine of their TF-IDF vectors, over the network's own vocabulary and the
tokens the wide branch reads), copied into the Keras graph (`network.serving_network`, the
`TfidfNeighbours` layer), so the saved model file carries them and blends them with the other two.

Why: a question is often a near copy of an earlier one, and their tags then agree better than any one
model's guess, most of all for tags with few questions, which the Conv1D and the linear model both rank
low. On validation rows cut from the training rows (title + body, 2 seeds, see the README's Title and
body) a 0.3 share of the output lifted the shipped blend from P@1 0.726 / R@5 0.726 to 0.740 / 0.738.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tagger.text.tfidf import Rows

# A neighbour's vote is its cosine similarity to this power: the nearest questions count most (on the
# validation rows above, 2 ranked better than 1, 3 or 4).
POWER = 2.0


@dataclass
class NeighbourWeights:
    """What the `TfidfNeighbours` layer holds: the idf (indexed by the network's token ids: 0 padding and
    1 unknown token count for nothing), the training questions' L2-normalised TF-IDF rows and their tags,
    both as the coordinates and values of sparse matrices ([questions, ids] and [tags, questions])."""

    idf: np.ndarray  # [vocabulary + 2]
    row_indices: np.ndarray  # [entries, 2] int64: (question, token id)
    row_values: np.ndarray  # [entries] float32
    tag_indices: np.ndarray  # [tag entries, 2] int64: (tag, question)
    questions: int

    @property
    def entries(self) -> int:
        return len(self.row_values)

    @property
    def tag_entries(self) -> int:
        return len(self.tag_indices)


def fit(tfidf: Rows, targets: np.ndarray) -> NeighbourWeights:
    """The training questions' TF-IDF rows (`tfidf`, of the tokens `wide.wide_tokens` cuts) and their tags
    (`targets`: multi-hot, [questions, tags])."""
    questions = tfidf.matrix.shape[0]
    if questions != len(targets):
        raise ValueError(f"{questions} questions but {len(targets)} rows of tags")
    x = tfidf.matrix.tocoo()
    # Sorted coordinates (row-major), as tf.sparse expects; the vocabulary's ids start at 2.
    rows = np.stack([x.row, x.col + 2], axis=1).astype(np.int64)
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    tag, question = np.nonzero(np.asarray(targets).T > 0)  # row-major over [tags, questions] already
    return NeighbourWeights(tfidf.idf, rows[order], x.data[order].astype(np.float32),
                            np.stack([tag, question], axis=1).astype(np.int64), questions)
