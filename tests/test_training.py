"""Real Keras training on real rows: it learns, it is reproducible, it saves and loads exactly."""

import numpy as np
import pytest

from tagger import Tagger
from tagger.model.network import HParams
from tagger.model.training import TrainingStopped, run_experiment, train_tagger
from tagger.scoring import baselines
from tagger.text import cache
from tagger.text import tokens as tok
from tests.core_fixtures import real_questions


@pytest.fixture(scope="module")
def split():
    df = real_questions()
    return df.iloc[:1200].reset_index(drop=True), df.iloc[1200:1500].reset_index(drop=True)


HP = dict(epochs=6, embedding_dim=32, filters=64, kernel_sizes=(1, 2), learning_rate=0.005, patience=6, seed=3)


def test_beats_most_frequent_tags_on_held_out_rows(split):
    train, test = split
    config = tok.TokenConfig.from_pos("all")
    exp = run_experiment(train, test, config, HParams(**HP))
    test_tokens = cache.tokens_many(test.title.tolist(), config)
    trivial = baselines.MostFrequentBaseline().fit([], train.tags.tolist())
    trivial_p1 = baselines.evaluate_scorer(trivial, test_tokens, test.tags.tolist())["p_at_1"]
    conv = exp.results.iloc[0]
    assert conv["n"] == len(test)
    assert conv["p_at_1"] > trivial_p1 + 0.05, (conv["p_at_1"], trivial_p1)
    assert "TF-IDF + logistic regression (same tokens)" in exp.results.index
    assert exp.tagger.metadata["metrics"]["heldout"]["p_at_1"] == conv["p_at_1"]
    history = exp.tagger.metadata["history"]
    assert history and {"loss", "val_loss", "val_p_at_1"} <= set(history[0])


def test_same_seed_same_model(split):
    train, _ = split
    config = tok.TokenConfig()
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    hp = HParams(**{**HP, "epochs": 2})
    a = train_tagger(toks, train.tags.tolist()[:300], config, hp)
    b = train_tagger(toks, train.tags.tolist()[:300], config, hp)
    probe = toks[:20]
    np.testing.assert_allclose(a.predict_proba(probe), b.predict_proba(probe), atol=1e-5)


def test_softmax_head_trains_and_sums_to_one(split):
    train, _ = split
    config = tok.TokenConfig.from_pos("all")
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    tagger = train_tagger(toks, train.tags.tolist()[:300], config, HParams(**{**HP, "epochs": 1, "output": "softmax"}))
    probs = tagger.predict_proba([t for t in toks[:10] if t])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert tagger.metadata["hparams"]["output"] == "softmax"


def test_progress_and_stop(split):
    train, _ = split
    config = tok.TokenConfig.from_pos("all")
    toks = cache.tokens_many(train.title.tolist()[:400], config)
    seen = []

    def progress(p):
        seen.append((p.epoch, p.batch))

    with pytest.raises(TrainingStopped):
        train_tagger(toks, train.tags.tolist()[:400], config, HParams(**{**HP, "epochs": 5}),
                     progress=progress, should_stop=lambda: len(seen) >= 3)
    assert 3 <= len(seen) < 10


def test_too_little_data_is_refused_with_a_reason():
    config = tok.TokenConfig()
    with pytest.raises(ValueError, match="too little to learn from"):
        train_tagger([["bread"]] * 5, [["baking"]] * 5, config, HParams(epochs=1))


def test_saved_model_loads_and_scores_identically(split, tmp_path):
    train, test = split
    config = tok.TokenConfig()
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    tagger = train_tagger(toks, train.tags.tolist()[:300], config, HParams(**{**HP, "epochs": 2}))
    tagger.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["metadata.json", "model.keras"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    loaded = Tagger.load(tmp_path / "m")
    titles = test.title.tolist()[:25]
    np.testing.assert_allclose(loaded.predict_proba(loaded.tokens_many(titles)),
                               tagger.predict_proba(tagger.tokens_many(titles)), atol=1e-6)
    got, want = loaded.suggest(titles[0], k=3), tagger.suggest(titles[0], k=3)
    assert [t for t, _ in got] == [t for t, _ in want] and len(got) == 3
    assert [p for _, p in got] == pytest.approx([p for _, p in want], abs=1e-6)
    assert loaded.metadata["token_config"] == config.to_dict()
    with pytest.raises(FileExistsError):
        tagger.save(tmp_path / "m")


def test_hparams_are_validated():
    with pytest.raises(ValueError, match="output"):
        HParams(output="relu")
    with pytest.raises(ValueError, match="dropout"):
        HParams(dropout=1.5)
