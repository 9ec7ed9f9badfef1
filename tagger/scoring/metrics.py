"""Quality measures for tag suggestions.

P@k and R@k follow fastText's `test` command: P@k = correct tags among the top k / (k x questions),
R@k = correct tags among the top k / all true tags. Micro- and macro-F1 and the per-tag report score
the predicted tag *sets* (tags above the model's threshold) with scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from tagger.scoring.labels import TagColumns


def hits_at_k(true_tags: Sequence[Sequence[str]], ranked: Sequence[Sequence[str]], k: int) -> int:
    return sum(len(set(r[:k]) & set(t)) for t, r in zip(true_tags, ranked, strict=True))


def precision_at_k(true_tags, ranked, k: int) -> float:
    n = len(true_tags)
    return hits_at_k(true_tags, ranked, k) / (k * n) if n else 0.0


def recall_at_k(true_tags, ranked, k: int) -> float:
    total = sum(len(set(t)) for t in true_tags)
    return hits_at_k(true_tags, ranked, k) / total if total else 0.0


def _binarize(true_tags, predicted_sets):
    mlb = MultiLabelBinarizer()
    mlb.fit([*true_tags, *predicted_sets])
    y_true, y_pred = mlb.transform(true_tags), mlb.transform(predicted_sets)
    if y_true.shape[1] < 2:
        # One column reads as a binary target to sklearn, whose "micro" would then average in the
        # negative class; an empty extra tag keeps it multi-label and changes no count.
        y_true, y_pred = (np.pad(y, ((0, 0), (0, 2 - y.shape[1]))) for y in (y_true, y_pred))
    return mlb, y_true, y_pred


def f1_scores(true_tags, predicted_sets) -> tuple[float, float]:
    """(micro-F1, macro-F1) of predicted tag sets; macro averages over tags that occur in the truth."""
    if not true_tags:
        return 0.0, 0.0
    mlb, y_true, y_pred = _binarize(true_tags, predicted_sets)
    micro = f1_score(y_true, y_pred, average="micro", zero_division=0)
    present = np.flatnonzero(y_true.sum(axis=0))
    macro = f1_score(y_true[:, present], y_pred[:, present], average="macro", zero_division=0)
    return float(micro), float(macro)


def evaluate(true_tags, ranked, predicted_sets) -> dict:
    """The project's headline numbers for one model on one set of questions."""
    true_tags = [list(t) for t in true_tags]
    micro, macro = f1_scores(true_tags, [list(p) for p in predicted_sets])
    return {
        "p_at_1": precision_at_k(true_tags, ranked, 1),
        "p_at_5": precision_at_k(true_tags, ranked, 5),
        "r_at_5": recall_at_k(true_tags, ranked, 5),
        "micro_f1": micro,
        "macro_f1": macro,
        "n": len(true_tags),
    }


def per_tag_report(true_tags, predicted_sets) -> pd.DataFrame:
    """Precision, recall, F1 and support for every tag seen in the truth or the predictions."""
    mlb, y_true, y_pred = _binarize(true_tags, predicted_sets)
    n = len(mlb.classes_)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    p, r, f, s, y_pred = p[:n], r[:n], f[:n], s[:n], y_pred[:, :n]
    report = pd.DataFrame(
        {"tag": mlb.classes_, "precision": p, "recall": r, "f1": f, "support": s,
         "predicted": y_pred.sum(axis=0)}
    )
    return report.sort_values(["support", "tag"], ascending=[False, True], ignore_index=True)


def threshold_curve(true_tags, tag_names: Sequence[str], probabilities: np.ndarray,
                    thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """Micro-F1, precision and recall of "every tag above t" for a range of thresholds t."""
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 0.96, 0.05), 2)
    columns = TagColumns(tag_names)
    y_true = columns.multi_hot(true_tags).astype(bool)
    known = columns.known
    # Tags the model cannot predict still count as missed, so recall stays honest.
    unknown = sum(len([t for t in tags if t not in known]) for tags in true_tags)
    rows = []
    for t in thresholds:
        y_pred = probabilities >= t
        tp = int((y_pred & y_true).sum())
        fp = int(y_pred.sum()) - tp
        fn = int(y_true.sum()) - tp + unknown
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"threshold": float(t), "micro_f1": f1, "precision": precision, "recall": recall})
    return pd.DataFrame(rows)


def best_threshold(true_tags, tag_names, probabilities) -> float:
    curve = threshold_curve(true_tags, tag_names, probabilities, np.round(np.arange(0.05, 0.91, 0.01), 2))
    return float(curve.loc[curve.micro_f1.idxmax(), "threshold"])


def top_k(probabilities: np.ndarray, k: int) -> np.ndarray:
    """The columns of each row's k highest values, best first; equal values in column order (what a stable
    sort of the whole row gives).

    Training ranks its validation rows after every epoch: sorting ~700 tags of every row was a tenth of an
    epoch, so only the k best are found (`argpartition`) and sorted. A row whose k-th value is tied with a
    value outside them falls back to the stable sort, so ties are broken the same way."""
    probabilities = np.asarray(probabilities)
    n_cols = probabilities.shape[1]
    k = min(k, n_cols)
    if k == 0 or k == n_cols:
        return np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    cand = np.argpartition(-probabilities, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(probabilities, cand, axis=1)
    order = np.lexsort((cand, -values), axis=1)  # by value, best first, then by column
    top = np.take_along_axis(cand, order, axis=1)
    kth = values.min(axis=1, keepdims=True)
    tied = (probabilities >= kth).sum(axis=1) > k
    if tied.any():
        top[tied] = np.argsort(-probabilities[tied], axis=1, kind="stable")[:, :k]
    return top


def rank_tags(tag_names: Sequence[str], probabilities: np.ndarray, k: int) -> list[list[str]]:
    """Top-k tag names per row, best first."""
    top = top_k(probabilities, k)
    names = np.asarray(tag_names, dtype=object)
    return [list(names[row]) for row in top]


def evaluate_probabilities(true_tags, tag_names, probabilities: np.ndarray, threshold: float,
                           has_tokens: Sequence[bool] | None = None) -> dict:
    """Headline numbers from a probability matrix. Rows whose title kept no tokens predict nothing:
    a model that saw nothing has nothing to say, whichever model it is."""
    probabilities = np.array(probabilities, dtype=np.float32, copy=True)
    ranked = rank_tags(tag_names, probabilities, 5)
    if has_tokens is not None:
        silent = ~np.asarray(has_tokens, dtype=bool)
        probabilities[silent] = 0.0
        ranked = [[] if s else r for r, s in zip(ranked, silent, strict=False)]
    return evaluate(true_tags, ranked, tags_above(tag_names, probabilities, threshold))


def tags_above(tag_names: Sequence[str], probabilities: np.ndarray, threshold: float) -> list[list[str]]:
    """Each row's predicted tag set: every tag at or above the threshold."""
    names = np.asarray(tag_names, dtype=object)
    return [list(names[row >= threshold]) for row in probabilities]
