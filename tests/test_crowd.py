"""The crowd's aggregate: mean F1 with a 95 % t interval per group, in words, and as CSV."""

import io
import math

import pandas as pd
import pytest

from tagger.app import crowd, quiz

TOKENS, TITLE = quiz.MODES


def test_mean_and_interval_by_hand():
    mean, low, high = crowd.mean_ci([0.2, 0.4, 0.6])
    half = 4.302652729911275 * 0.2 / math.sqrt(3)  # t(0.975, 2 df) x sd / sqrt(n)
    assert mean == pytest.approx(0.4) and low == 0.0 and high == pytest.approx(0.4 + half)  # clipped at 0
    mean, low, high = crowd.mean_ci([0.5] * 4)
    assert (mean, low, high) == (0.5, 0.5, 0.5)
    mean, low, high = crowd.mean_ci([0.6, 0.8] * 10)
    half = 2.093024054408263 * math.sqrt(sum((v - 0.7) ** 2 for v in [0.6, 0.8] * 10) / 19) / math.sqrt(20)
    assert (low, high) == (pytest.approx(0.7 - half), pytest.approx(0.7 + half))
    assert math.isnan(crowd.mean_ci([1.0])[1]) and all(math.isnan(v) for v in crowd.mean_ci([]))


def _answers(rows):
    return pd.DataFrame([{"answered_at": "2026-01-01T00:00:00+00:00", "question_id": i, "mode": mode,
                          "guess": ["bread"], "f1": f1, "model": "nouns-gerunds", "model_f1": model_f1,
                          "session": session} for i, (mode, f1, model_f1, session) in enumerate(rows)])


def test_summary_has_people_per_mode_and_the_model():
    answers = _answers([(TOKENS, 0.0, 0.5, "a"), (TOKENS, 1.0, 0.5, "b"), (TITLE, 0.5, 1.0, "a")])
    table = crowd.summary(answers).set_index("group")
    assert table.index.tolist() == ["People, tokens only", "People, whole title", "Model (nouns-gerunds)"]
    assert table.answers.tolist() == [2, 1, 3]
    assert table.mean_f1.tolist() == pytest.approx([0.5, 0.5, 2 / 3])
    lines = [crowd.describe(r) for r in crowd.summary(answers).itertuples()]
    assert lines[0] == "People, tokens only: mean F1 0.50 (95 % CI 0.00 to 1.00), 2 answers"
    assert lines[1] == "People, whole title: mean F1 0.50 (one answer: no interval yet), 1 answer"
    assert crowd.totals(answers) == "3 answers stored from 2 sessions."


def test_an_empty_store_summarises_to_no_answers():
    table = crowd.summary(_answers([]).reindex(columns=["mode", "f1", "model", "model_f1", "session"]))
    assert table.answers.tolist() == [0, 0, 0]
    assert crowd.describe(next(table.itertuples())) == "People, tokens only: no answers yet"


def test_csv_has_one_row_per_answer():
    answers = _answers([(TOKENS, 0.0, 0.5, "a"), (TITLE, 1.0, 1.0, "b")])
    back = pd.read_csv(io.BytesIO(crowd.csv_bytes(answers)))
    assert back.columns.tolist() == answers.columns.tolist() and len(back) == 2
    assert back["mode"].tolist() == [TOKENS, TITLE] and back.guess.tolist() == ["bread", "bread"]
