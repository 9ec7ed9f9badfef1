"""Metrics on hand-computed cases (fastText's definitions of P@k and R@k)."""

import numpy as np
import pytest

from tagger.scoring import metrics

TRUE = [["a", "b"], ["c"], ["a"]]
RANKED = [["a", "x", "b", "y", "z"], ["x", "c", "y", "z", "w"], ["b", "c", "x", "y", "z"]]


def test_precision_and_recall_at_k_by_hand():
    # top-1 hits: q1 a (1), q2 x (0), q3 b (0) -> 1 / (1*3)
    assert metrics.precision_at_k(TRUE, RANKED, 1) == pytest.approx(1 / 3)
    # top-5 hits: q1 a,b (2), q2 c (1), q3 none (0) -> 3 / (5*3); recall 3 / 4 true tags
    assert metrics.precision_at_k(TRUE, RANKED, 5) == pytest.approx(3 / 15)
    assert metrics.recall_at_k(TRUE, RANKED, 5) == pytest.approx(3 / 4)


def test_empty_rankings_count_as_misses():
    assert metrics.precision_at_k([["a"]], [[]], 1) == 0.0
    assert metrics.precision_at_k([], [], 1) == 0.0


def test_micro_and_macro_f1_by_hand():
    predicted = [["a"], ["c", "x"], []]
    # tp: a(q1), c(q2) = 2; fp: x = 1; fn: b(q1), a(q3) = 2 -> P 2/3, R 2/4, F1 = 4/7
    micro, macro = metrics.f1_scores(TRUE, predicted)
    assert micro == pytest.approx(4 / 7)
    # per true tag: a: P 1 R 1/2 F 2/3; b: 0; c: 1 -> macro (2/3 + 0 + 1) / 3
    assert macro == pytest.approx((2 / 3 + 0 + 1) / 3)


def test_evaluate_has_the_headline_keys():
    result = metrics.evaluate(TRUE, RANKED, [["a"], ["c"], ["a"]])
    assert set(result) == {"p_at_1", "p_at_5", "r_at_5", "micro_f1", "macro_f1", "n"}
    assert result["micro_f1"] == pytest.approx(1.0 * 2 * (3 / 3) * (3 / 4) / (3 / 3 + 3 / 4))
    assert result["n"] == 3


def test_per_tag_report():
    report = metrics.per_tag_report(TRUE, [["a"], ["c", "x"], []]).set_index("tag")
    assert report.loc["a", "support"] == 2 and report.loc["a", "recall"] == pytest.approx(0.5)
    assert report.loc["x", "precision"] == 0 and report.loc["x", "support"] == 0
    assert report.loc["c", "f1"] == pytest.approx(1.0)


def test_threshold_curve_counts_unknown_tags_as_missed():
    probs = np.array([[0.9, 0.2], [0.1, 0.8]], dtype=np.float32)
    curve = metrics.threshold_curve([["a", "zzz"], ["b"]], ["a", "b"], probs, [0.5, 0.95]).set_index("threshold")
    # at 0.5: tp 2, fp 0, fn 1 (zzz) -> P 1, R 2/3
    assert curve.loc[0.5, "precision"] == pytest.approx(1.0)
    assert curve.loc[0.5, "recall"] == pytest.approx(2 / 3)
    assert curve.loc[0.95, "micro_f1"] == 0.0


def test_evaluate_probabilities_silences_rows_without_tokens():
    probs = np.array([[0.9, 0.2], [0.9, 0.2]], dtype=np.float32)
    result = metrics.evaluate_probabilities([["a"], ["a"]], ["a", "b"], probs, 0.5, has_tokens=[True, False])
    assert result["p_at_1"] == pytest.approx(0.5)
    assert result["micro_f1"] == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_top_k_equals_a_stable_sort_of_the_whole_row():
    """The fast top-k gives exactly what sorting every row would, ties (all-zero rows, repeated values,
    NaN-free rounding) included."""
    rng = np.random.default_rng(0)
    cases = [rng.random((300, 50)), np.round(rng.random((300, 50)), 1), np.zeros((5, 50)),
             np.tile([0.5, 0.2, 0.5, 0.5, 0.1, 0.5], (4, 1)), rng.random((3, 4)), rng.random((2, 1))]
    for probs in cases:
        for k in (1, 2, 5, probs.shape[1], probs.shape[1] + 3):
            expected = np.argsort(-probs, axis=1, kind="stable")[:, :min(k, probs.shape[1])]
            assert np.array_equal(metrics.top_k(probs, k), expected), (probs.shape, k)
    # float32 probabilities, as the models give them
    probs = rng.random((200, 700)).astype(np.float32)
    assert np.array_equal(metrics.top_k(probs, 5), np.argsort(-probs, axis=1, kind="stable")[:, :5])


def test_rank_tags_is_best_first():
    assert metrics.rank_tags(["a", "b", "c"], np.array([[0.1, 0.7, 0.3]]), 2) == [["b", "c"]]
