"""Real Keras training on real rows: it learns, it is reproducible, it saves and loads exactly."""

import numpy as np
import pytest

from tagger import Tagger
from tagger.model.network import HParams
from tagger.model.training import TrainingStopped, run_experiment, train_tagger
from tagger.scoring import baselines
from tagger.text import cache, tokens as tok
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


def _member_outputs(tagger, token_lists):
    """Each member's own probabilities, read from inside the loaded ensemble."""
    import keras
    import tensorflow as tf

    from tagger.model import network

    core = tagger.model.get_layer("conv1d_tagger")
    heads = [layer.output for layer in core.layers if layer.name.endswith("tags")]
    members = keras.Model(core.input, heads)
    ids = network.lookup_of(tagger.model)(tf.constant(network.pad(token_lists, tagger.max_len), tf.string))
    outputs = members(ids)
    return [np.asarray(out) for out in (outputs if isinstance(outputs, list | tuple) else [outputs])]


def test_an_ensemble_averages_its_members(split, tmp_path):
    train, test = split
    config = tok.TokenConfig.from_pos("all")
    toks = cache.tokens_many(train.title.tolist()[:400], config)
    hp = HParams(**{**HP, "epochs": 2, "members": 3})
    tagger = train_tagger(toks, train.tags.tolist()[:400], config, hp)
    tagger.save(tmp_path / "ensemble")
    loaded = Tagger.load(tmp_path / "ensemble")
    probe = [t for t in cache.tokens_many(test.title.tolist()[:30], config) if loaded.known(t)]
    members = _member_outputs(loaded, probe)
    assert len(members) == 3
    # Members start from different random weights, so they disagree; the model is their mean.
    assert np.abs(members[0] - members[1]).max() > 1e-3
    np.testing.assert_allclose(loaded.predict_proba(probe), np.mean(members, axis=0), atol=1e-6)
    assert loaded.metadata["hparams"]["members"] == 3


def test_one_member_is_a_single_network(split):
    train, _ = split
    config = tok.TokenConfig.from_pos("all")
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    tagger = train_tagger(toks, train.tags.tolist()[:300], config, HParams(**{**HP, "epochs": 1, "members": 1}))
    core = tagger.model.get_layer("conv1d_tagger")
    names = [layer.name for layer in core.layers]
    assert "ensemble" not in names and [n for n in names if n.endswith("tags")] == ["tags"]
    probe = [t for t in toks[:20] if tagger.known(t)]
    np.testing.assert_allclose(tagger.predict_proba(probe), _member_outputs(tagger, probe)[0], atol=1e-6)


def test_all_rows_model_keeps_its_split_twin(tmp_path):
    from tagger.model.training import train_on_all_rows

    df = real_questions().head(1500)
    config = tok.TokenConfig.from_pos("all")
    exp = train_on_all_rows(df, config, HParams(**{**HP, "epochs": 3}), data_info={"source": "cooking.csv"})
    final = exp.tagger
    final.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["metadata.json", "model.keras", "split"]
    twin = Tagger.load(tmp_path / "m", twin=True)
    model = Tagger.load(tmp_path / "m")
    assert twin.is_twin and not model.is_twin
    # The twin trained on the split's training rows and was scored on the held-out ones; the model on all.
    assert twin.metadata["training_data"]["rows"] == 1200 and model.metadata["training_data"]["rows"] == 1500
    assert model.metadata["metrics"]["heldout"] == twin.metadata["metrics"]["heldout"]
    assert model.metadata["metrics"]["heldout_rows"] == 300 and "twin" in model.metadata["metrics"]["measured_by"]
    # The final model runs the epochs early stopping kept for the twin, and keeps its threshold.
    assert len(model.metadata["history"]) == model.metadata["recipe"]["epochs_from_twin"] <= 3
    assert model.threshold == twin.threshold
    # A model without a twin is its own scorer.
    assert Tagger.load(tmp_path / "m" / "split", twin=True).path == twin.path


def test_no_known_word_means_no_suggestion(split):
    train, _ = split
    config = tok.TokenConfig.from_pos("all")
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    tagger = train_tagger(toks, train.tags.tolist()[:300], config, HParams(**{**HP, "epochs": 1}))
    assert tagger.suggest("Как испечь хлеб?") == []
    assert "knows none of these words" in tagger.silence(tagger.tokens("Как испечь хлеб?"))
    assert "kept no words" in tagger.silence([])
    known = tagger.vocabulary[0]
    assert tagger.silence([known, "zzzz"]) is None and tagger.known([known, "zzzz"]) == [known]
    assert tagger.suggest_tokens([known, "zzzz"], 3)
    assert tagger.suggest_many(["Как испечь хлеб?", f"{known} question"], 3)[0] == []


def test_the_bag_of_words_path_is_a_setting_and_an_empty_title_scores_base_rates_not_nan(split):
    train, _ = split
    config = tok.TokenConfig.from_pos("NN,NNS,VBG")  # leaves some titles with no token at all
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    assert any(not t for t in toks)
    import tensorflow as tf

    from tagger.model import network

    names = {}
    for bag in (0, 16):
        tagger = train_tagger(toks, train.tags.tolist()[:300], config, HParams(**{**HP, "epochs": 1, "bag_dim": bag}))
        names[bag] = {layer.name for layer in tagger.model.get_layer("conv1d_tagger").layers}
        empty = tf.constant(network.pad([[]], tagger.max_len), tf.string)
        assert np.isfinite(np.asarray(tagger.model(empty))).all()
    assert "bag_mean" in names[16] and not any(n.startswith("bag") for n in names[0])


def test_hparams_of_older_models_read_as_what_they_trained_with():
    old = HParams.from_dict({"embedding_dim": 128, "kernel_sizes": [1, 2, 3], "max_len": 24})
    assert (old.bag_dim, old.optimizer, old.ensemble_loss, old.label_smoothing) == (0, "adam", "each", 0.0)
    new = HParams.from_dict(HParams().to_dict())
    assert new == HParams()
    with pytest.raises(ValueError, match="optimizer"):
        HParams(optimizer="sgd")


def test_lazy_adam_moves_only_the_embedding_rows_a_batch_used():
    import keras
    import tensorflow as tf

    from tagger.model import network

    keras.utils.set_random_seed(0)
    ids = keras.Input(shape=(3,), dtype="int64")
    out = keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Embedding(10, 4)(ids)))
    model = keras.Model(ids, out)
    model.compile(optimizer=network.optimizer(HParams()), loss="mse")
    model.train_on_batch(tf.constant([[2, 3, 3]]), tf.constant([[1.0, 0.0]]))
    before = np.array(model.layers[1].embeddings)
    model.train_on_batch(tf.constant([[5, 5, 5]]), tf.constant([[0.0, 1.0]]))
    moved = np.abs(np.array(model.layers[1].embeddings) - before).max(axis=1) > 0
    # Keras's own Adam would keep moving rows 2 and 3 on their momentum; the lazy one leaves them be.
    assert moved.tolist() == [i == 5 for i in range(10)]


def test_the_bags_weighted_mean_counts_each_real_token_by_its_learned_weight():
    from tagger.model.layers import MaskedMean

    vectors = np.array([[[1.0, 0.0], [3.0, 2.0], [9.0, 9.0]], [[5.0, 5.0], [7.0, 7.0], [7.0, 7.0]]], np.float32)
    ids = np.array([[4, 5, 0], [0, 0, 0]])  # the second row is all padding
    logits = np.array([[[0.0], [np.log(3.0)], [5.0]], [[1.0], [1.0], [1.0]]], np.float32)
    plain = np.asarray(MaskedMean()([vectors, ids]))
    weighted = np.asarray(MaskedMean()([vectors, ids, logits]))
    assert np.allclose(plain, [[2.0, 1.0], [0.0, 0.0]])
    assert np.allclose(weighted, [[(1 + 3 * 3) / 4, (0 + 2 * 3) / 4], [0.0, 0.0]])  # padding never counts
    assert np.allclose(np.asarray(MaskedMean()([vectors, ids, np.zeros_like(logits)])), plain)
    huge = np.array([[[200.0], [0.0], [0.0]], [[1.0], [1.0], [1.0]]], np.float32)  # past exp's float32 range
    dominated = np.asarray(MaskedMean()([vectors, ids, huge]))
    assert np.isfinite(dominated).all() and np.allclose(dominated[0], vectors[0, 0])


def test_a_model_with_bag_weights_saves_and_loads_with_the_same_scores(split, tmp_path):
    train, _ = split
    config = tok.TokenConfig(pos_tags=None)
    toks = cache.tokens_many(train.title.tolist()[:300], config)
    tagger = train_tagger(toks, train.tags.tolist()[:300], config,
                          HParams(**{**HP, "epochs": 2, "bag_dim": 16, "bag_weights": True}))
    weights = tagger.model.get_layer("conv1d_tagger").get_layer("bag_weight").get_weights()[0]
    assert np.ptp(weights) > 0  # the weights learned something: not every token still counts 1
    loaded = Tagger.load(tagger.save(tmp_path / "weighted"))
    assert loaded.hparams.bag_weights
    assert np.allclose(loaded.predict_proba(toks[:20]), tagger.predict_proba(toks[:20]), atol=1e-6)
