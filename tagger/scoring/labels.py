"""The tag columns: which tags a model learns, and each question's tags as a multi-hot row.

Every model (the Conv1D, the TF-IDF baseline) and every measure that needs tag columns goes through
`TagColumns`, built on scikit-learn's `MultiLabelBinarizer`, so a tag means the same column
everywhere and the column order is the one saved with a model (its metadata's `tags`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer


def frequent_tags(tag_lists: Iterable[Sequence[str]], min_count: int) -> list[str]:
    """Tags carried by at least `min_count` questions, sorted: a tag seen once can't be learned."""
    counts = Counter(t for tags in tag_lists for t in tags)
    return sorted(t for t, c in counts.items() if c >= min_count)


class TagColumns:
    """A fixed tag list; `multi_hot` turns tag lists into rows over it (unknown tags are left out)."""

    def __init__(self, tags: Sequence[str]):
        self.tags = list(tags)
        self.known = frozenset(self.tags)
        self._binarizer = MultiLabelBinarizer(classes=self.tags).fit([])

    @classmethod
    def learn(cls, tag_lists: Iterable[Sequence[str]], min_count: int) -> "TagColumns":
        return cls(frequent_tags(tag_lists, min_count))

    def __len__(self) -> int:
        return len(self.tags)

    def learnable(self, tags: Sequence[str]) -> bool:
        """Whether a question has at least one tag these columns know (others teach nothing)."""
        return not self.known.isdisjoint(tags)

    def multi_hot(self, tag_lists: Iterable[Sequence[str]], softmax: bool = False) -> np.ndarray:
        """float32 rows, 1 per known tag; `softmax` spreads each row evenly so it sums to 1."""
        rows = [[t for t in tags if t in self.known] for tags in tag_lists]
        y = np.asarray(self._binarizer.transform(rows), dtype=np.float32)
        if softmax:
            y /= np.maximum(y.sum(axis=1, keepdims=True), 1.0)
        return y
