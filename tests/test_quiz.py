"""The sense-check quiz: per-question F1, picking questions and modes, the comparison model, the running
score per mode, and storing answers."""

import numpy as np
import pytest

from tagger.app import quiz
from tagger.data.split import holdout_split
from tagger.store.answers import AnswerStore


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
    return quiz.Round(row=7, mode=mode, question_id=1234, title="Why is my bread dense?", tokens=["bread"],
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


def test_modes_are_random_per_question_unless_pinned():
    rng = np.random.default_rng(3)
    assert quiz.CHOICES[0] == quiz.RANDOM  # the fair comparison is the default
    drawn = [quiz.mode_for(quiz.RANDOM, rng) for _ in range(50)]
    assert set(drawn) == set(quiz.MODES)
    assert {quiz.mode_for(quiz.MODES[1], rng) for _ in range(10)} == {quiz.MODES[1]}
    assert quiz.fits(quiz.RANDOM, quiz.MODES[0]) and quiz.fits(quiz.MODES[0], quiz.MODES[0])
    assert not quiz.fits(quiz.MODES[1], quiz.MODES[0])
    with pytest.raises(ValueError, match="unknown quiz mode"):
        quiz.mode_for("Upside down", rng)


def test_the_comparison_model_sees_exactly_the_questions_filter(scratch_registry):
    from tagger.model.predictor import read_metadata
    from tagger.text import tokens as tok

    ref = quiz.reference_model(scratch_registry)
    assert ref is not None and ref.name in scratch_registry.shipped_names()
    meta = read_metadata(ref.path)
    config = tok.TokenConfig.from_dict(meta["token_config"])
    assert config == quiz.FILTER == tok.TokenConfig(pos_tags=("NN", "NNS", "VBG"))
    assert meta["hparams"]["output"] == "sigmoid"
    # Whatever model is active, the comparison stays the same.
    other = next(n for n in scratch_registry.names() if n != ref.name)
    scratch_registry.activate(other)
    assert quiz.reference_model(scratch_registry) == ref


def test_questions_come_only_from_the_held_out_rows(questions):
    table = questions.assign(tokens=[[]] * len(questions))
    pool = quiz.pool(table, questions)
    _, held_out = holdout_split(questions)
    assert pool.id.tolist() == held_out.id.tolist()


def test_save_stores_an_answer_with_its_mode_or_says_why_not(tmp_path):
    store = AnswerStore(tmp_path / "answers.sqlite3", max_per_hour=1)
    board, rnd = quiz.Scoreboard(), _round(quiz.MODES[1])
    with pytest.raises(ValueError, match="answer the question"):
        quiz.save(store, rnd, "k1", "nouns-gerunds")
    board.answer(rnd, ["bread"])
    assert quiz.save(store, rnd, "k1", "nouns-gerunds") == (True, quiz.STORED)
    row = store.answers().iloc[0]
    assert (row.question_id, row["mode"], row.guess, row.session) == (1234, quiz.MODES[1], ["bread"], "k1")
    assert row.f1 == pytest.approx(2 / 3) and row.model_f1 == pytest.approx(2 / 3)

    stored, message = quiz.save(store, rnd, "k1", "nouns-gerunds")  # over this store's limit of 1 an hour
    assert not stored and "scored but not stored" in message
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 200)
    stored, message = quiz.save(AnswerStore(broken), rnd, "k1", "nouns-gerunds")
    assert not stored and "is damaged" in message and "the quiz goes on" in message
