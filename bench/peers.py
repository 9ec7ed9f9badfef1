"""The benchmark's outside peer: fastText, trained as in its tutorial and scored like every other model.
(TF-IDF + logistic regression, the other peer, is the project's own baseline: `tagger.scoring.baselines`.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tagger.scoring import metrics

FASTTEXT = {"lr": 1.0, "epoch": 25, "wordNgrams": 2, "thread": 1}
FASTTEXT_LABEL = ("fastText, tutorial settings (lr {lr}, epoch {epoch}, wordNgrams {wordNgrams}, "
                  "{thread} thread)").format(**FASTTEXT)


# --- fastText ------------------------------------------------------------------------------------
class FastTextScorer:
    """fastText supervised, trained as in its tutorial, scored like every other peer.

    Like `TfidfBaseline`, 10 % of the training rows pick the micro-F1 threshold (fastText itself
    has no notion of one); `validation=0` trains on everything.
    """

    def __init__(self, seed: int = 0, tries: int = 5, validation: float = 0.1, **params):
        self.seed, self.tries, self.validation = seed, tries, validation
        self.params = {**FASTTEXT, **params}
        self.seed_used: int | None = None
        self.nan_retries = 0

    def fit(self, token_lists, tag_lists) -> "FastTextScorer":
        import fasttext

        token_lists, tag_lists = list(token_lists), list(tag_lists)
        rng = np.random.default_rng(42)
        val = rng.random(len(token_lists)) < self.validation
        if not val.any() or val.all():
            val = np.zeros(len(token_lists), bool)
        with tempfile.TemporaryDirectory(prefix="bench-fasttext-") as d:
            path = Path(d) / "train.txt"
            with open(path, "w", encoding="utf-8") as f:
                for tokens, tags, is_val in zip(token_lists, tag_lists, val, strict=False):
                    if tokens and tags and not is_val:
                        f.write(" ".join(f"__label__{t}" for t in tags) + " " + " ".join(tokens) + "\n")
            error = None
            for attempt in range(self.tries):
                seed = self.seed + attempt
                try:
                    self.model = fasttext.train_supervised(input=str(path), seed=seed, verbose=0, **self.params)
                    self.seed_used = seed
                    break
                except (RuntimeError, ValueError) as e:  # "Encountered NaN." -> another seed
                    if "nan" not in str(e).lower():
                        raise
                    self.nan_retries += 1
                    error = e
            else:
                raise RuntimeError(f"fastText hit NaN with {self.tries} seeds: {error}")
        self.tags = sorted(label[len("__label__"):] for label in self.model.get_labels())
        self._col = {t: i for i, t in enumerate(self.tags)}
        self.threshold = 0.5
        if val.any():
            idx = np.flatnonzero(val)
            self.threshold = metrics.best_threshold([tag_lists[i] for i in idx], self.tags,
                                                    self.predict_proba([token_lists[i] for i in idx]))
        return self

    def predict_proba(self, token_lists) -> np.ndarray:
        out = np.zeros((len(token_lists), len(self.tags)), dtype=np.float32)
        texts = [" ".join(t) for t in token_lists]
        labels, probs = self.model.predict(texts, k=-1, threshold=0.0)
        for i, (row_labels, row_probs) in enumerate(zip(labels, probs, strict=False)):
            for label, p in zip(row_labels, row_probs, strict=False):
                out[i, self._col[label[len("__label__"):]]] = p
        return out


