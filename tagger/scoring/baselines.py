"""Baselines that every model is compared with, on the same split and the same tokens.

- `TfidfBaseline`: TF-IDF over the filtered tokens + one-vs-rest logistic regression (scikit-learn).
- `MostFrequentBaseline`: always suggests the most frequent training tags; anything that learns
  from the words must beat it.
Both expose `tags`, `threshold` and `predict_proba(token_lists)`, like the Keras tagger.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from tagger.core import atomic, paths
from tagger.scoring import metrics
from tagger.scoring.labels import TagColumns
from tagger.text import tfidf


class TfidfBaseline:
    """TF-IDF + one-vs-rest logistic regression over already-filtered token lists."""

    def __init__(self, min_tag_count: int = 2, C: float = 10.0, seed: int = 42):
        self.min_tag_count, self.C, self.seed = min_tag_count, C, seed

    def fit(self, token_lists, tag_lists) -> "TfidfBaseline":
        columns = TagColumns.learn(tag_lists, self.min_tag_count)
        self.tags = columns.tags
        # Integer labels: scikit-learn 1.9's OneVsRestClassifier scrambles the columns of an int8 indicator
        # matrix (tests/test_baselines.py would catch it), so no narrow dtypes here.
        y = columns.multi_hot(tag_lists).astype(np.int64)
        # Tags of the training rows are all present by construction, but the vectorizer can't take
        # an empty corpus: guard with a clear error instead of sklearn's.
        if not any(token_lists):
            raise ValueError("no tokens in the training rows: the filter kept nothing")
        self.vectorizer = tfidf.vectorizer()
        x = self.vectorizer.fit_transform(token_lists)
        rng = np.random.default_rng(self.seed)
        val = rng.random(len(token_lists)) < 0.1
        fit_rows = ~val if val.any() and (~val).any() else np.ones(len(token_lists), bool)
        # A column with no positive example in the fit rows (its tag sits only in the threshold rows)
        # becomes a constant 0, which is right; scikit-learn warns about each, which is noise here.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
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


def evaluate_scorer(scorer, token_lists, true_tags, body_lists=None) -> dict:
    """Headline numbers of any scorer (baseline or tagger) on token lists, and with `body_lists` (a
    body-aware tagger) on the bodies' tokens too.

    A row with no tokens predicts nothing, whatever the scorer would make of an empty input, and so
    does a row the scorer itself leaves all zeros (the Conv1D, when it knows none of the words)."""
    if body_lists is None:
        probs = scorer.predict_proba(token_lists)
        has_tokens = [bool(t) for t in token_lists]
    else:
        probs = scorer.predict_proba(token_lists, body_lists)
        has_tokens = [bool(t) or bool(b) for t, b in zip(token_lists, body_lists, strict=True)]
    says_something = np.array(has_tokens, dtype=bool) & probs.any(axis=1)
    return metrics.evaluate_probabilities(true_tags, scorer.tags, probs, scorer.threshold, has_tokens=says_something)


# Scores of the TF-IDF baseline by the content of its rows: a demo server is asked to compare retrains on
# the same slice again and again, and refitting ~700 logistic regressions each time costs more than
# training the Conv1D (9 s against 8 s for the Retrain page's defaults on every row, and on 2 cores they
# slow each other down). Kept in memory (bounded, per process, like Streamlit's own caches) and on disk
# under the cache folder, so a restarted server doesn't refit what it scored before. The numbers are a
# pure function of the rows, the tags and the code that fits them, which is what the key hashes.
_TFIDF_SCORES: OrderedDict[str, dict] = OrderedDict()
_TFIDF_LOCK = threading.Lock()
TFIDF_CACHE_SIZE = 16
SCORE_KEYS = ("p_at_1", "p_at_5", "r_at_5", "micro_f1", "macro_f1", "n")
# Part of the key: a change to how the baseline is fitted or scored must not reuse old numbers.
TFIDF_VERSION = f"tfidf-lr-liblinear-C10-sublinear-v1-sklearn-{sklearn.__version__}"


def _content_key(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()


def _scores_file(key: str) -> Path:
    return paths.cache_dir() / "baselines" / f"tfidf-{key}.json"


def shipped_file(key: str, folder: Path | None = None) -> Path:
    return (folder or paths.BASELINE_SCORES_DIR) / f"tfidf-{key}.json"


def _read_scores(key: str) -> dict | None:
    """The scores stored for `key` in the cache folder or shipped with the repository, or None when
    missing or damaged (then they are simply refitted)."""
    for stored in (_scores_file(key), shipped_file(key)):
        try:
            scores = json.loads(stored.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(scores, dict) and all(isinstance(scores.get(m), (int, float)) for m in SCORE_KEYS):
            return scores
    return None


def _store_scores(key: str, scores: dict) -> None:
    try:
        atomic.write_json(_scores_file(key), scores)
    except OSError:
        pass  # the cache is an optimisation; a read-only or full disk must not break a comparison


def forget_tfidf_scores() -> None:
    """Drop every TF-IDF score stored in memory and in the cache folder (the benchmark times a fresh server);
    the scores shipped with the repository stay."""
    with _TFIDF_LOCK:
        _TFIDF_SCORES.clear()
    for stored in (paths.cache_dir() / "baselines").glob("tfidf-*.json"):
        stored.unlink(missing_ok=True)


def tfidf_key(train_tokens, train_tags, test_tokens, test_tags, min_tag_count: int = 2) -> str:
    """What the TF-IDF baseline's scores are stored under: a hash of the rows, the tags and the code."""
    return _content_key(TFIDF_VERSION, [list(t) for t in train_tokens], [list(t) for t in train_tags],
                        [list(t) for t in test_tokens], [list(t) for t in test_tags], min_tag_count)


def tfidf_scores(train_tokens, train_tags, test_tokens, test_tags, min_tag_count: int = 2) -> dict:
    """The TF-IDF baseline's headline numbers on held-out rows, fitted once per distinct set of rows
    (kept in memory and in the cache folder; read from the shipped ones when the repository has them)."""
    key = tfidf_key(train_tokens, train_tags, test_tokens, test_tags, min_tag_count)
    with _TFIDF_LOCK:
        if key in _TFIDF_SCORES:
            _TFIDF_SCORES.move_to_end(key)
            return dict(_TFIDF_SCORES[key])
    scores = _read_scores(key)
    if scores is None:
        model = TfidfBaseline(min_tag_count=min_tag_count).fit(train_tokens, train_tags)
        scores = evaluate_scorer(model, test_tokens, test_tags)
        _store_scores(key, scores)
    with _TFIDF_LOCK:
        _TFIDF_SCORES[key] = scores
        while len(_TFIDF_SCORES) > TFIDF_CACHE_SIZE:
            _TFIDF_SCORES.popitem(last=False)
    return dict(scores)


def ship_tfidf_scores(train_tokens, train_tags, test_tokens, test_tags, min_tag_count: int = 2,
                      folder: Path | None = None) -> Path:
    """Fit the baseline on these rows and write its scores where the repository ships them (`folder`,
    default `data/baseline-scores/`); returns the file."""
    scores = evaluate_scorer(TfidfBaseline(min_tag_count=min_tag_count).fit(train_tokens, train_tags),
                             test_tokens, test_tags)
    target = shipped_file(tfidf_key(train_tokens, train_tags, test_tokens, test_tags, min_tag_count), folder)
    atomic.write_json(target, scores)
    return target


def title_body_tokens(title_tokens, body_tokens, title_times: int = 2) -> list[list[str]]:
    """One token list per question for the linear baseline on title + body: the title counted
    `title_times` times, then the body (TF-IDF + LR's best title + body text on the held-out rows)."""
    return [list(t) * title_times + list(b) for t, b in zip(title_tokens, body_tokens, strict=True)]
