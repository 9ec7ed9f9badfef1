"""The sense-check quiz: per-question F1, picking questions, and the running score per mode."""

import numpy as np
import pytest

from tagger.app import quiz


def test_f1_per_question():
    assert quiz.f1(["baking", "bread"], ["bread", "baking"]) == 1.0
    assert quiz.f1([], ["bread"]) == 0.0
    assert quiz.f1(["eggs"], ["bread"]) == 0.0
    assert quiz.f1(["bread"], ["bread", "baking"]) == pytest.approx(2 / 3)
    assert quiz.f1(["bread", "eggs", "salt"], ["bread"]) == pytest.approx(0.5)


def test_pick_avoids_asked_rows_until_all_are_used():
    rng = np.random.default_rng(0)
    assert {quiz.pick(5, rng, avoid=[0, 1, 2, 3]) for _ in range(20)} == {4}
    assert quiz.pick(3, rng, avoid=[0, 1, 2]) in (0, 1, 2)  # all asked: start again
    with pytest.raises(ValueError):
        quiz.pick(0, rng)


def _round(mode, truth=("bread", "baking"), model=("bread",)):
    return quiz.Round(row=7, mode=mode, title="Why is my bread dense?", tokens=["bread"],
                      true_tags=list(truth), model_tags=list(model))


def test_scoreboard_keeps_a_score_per_mode():
    board = quiz.Scoreboard()
    person, model = board.answer(_round(quiz.MODES[0]), ["baking", "bread"])
    assert (person, model) == (1.0, pytest.approx(2 / 3))
    board.answer(_round(quiz.MODES[0]), ["eggs"])
    board.answer(_round(quiz.MODES[1], model=()), ["bread"])
    tokens_only, full_title = board.tallies[quiz.MODES[0]], board.tallies[quiz.MODES[1]]
    assert tokens_only.questions == 2 and tokens_only.person_mean == pytest.approx(0.5)
    assert tokens_only.model_mean == pytest.approx(2 / 3)
    assert full_title.questions == 1 and full_title.model_mean == 0.0
    assert board.asked == [7, 7, 7]


def test_a_round_is_scored_once():
    board, rnd = quiz.Scoreboard(), _round(quiz.MODES[1])
    board.answer(rnd, ["bread"])
    assert rnd.answered and rnd.guess == ["bread"]
    with pytest.raises(ValueError):
        board.answer(rnd, ["baking"])
    assert board.tallies[quiz.MODES[1]].questions == 1
