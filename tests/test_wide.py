"""The served network beside the Conv1D (`network.serving_network`): the wide branch's Keras layers compute
what scikit-learn's TF-IDF + logistic regression computes on the same tokens, the rarity shift moves each
tag's logit by its base rate, and the paths that can't fit them say so. The saved model's whole blend is
checked in test_neighbours.py."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from tagger.core import paths
from tagger.model import network, wide
from tagger.model.network import HParams
from tagger.scoring.labels import TagColumns
from tagger.text import tfidf, tokens as tok

CONFIG = tok.TokenConfig(pos_tags=None)


@pytest.fixture(scope="module")
def rows(body_rows):
    return body_rows


def _vocabulary(titles, bodies, hp):
    return network.vocabulary_with_body(titles, bodies, 1500, 2)


def test_tfidf_layer_computes_scikit_learns_tfidf_times_the_kernel(rows):
    from tagger.model.layers import TfidfLinear

    hp, titles, bodies, _ = rows
    vocabulary = _vocabulary(titles, bodies, hp)
    text = wide.wide_tokens(titles, bodies, hp)
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=vocabulary).fit(text)
    # Repeated words (the title counts twice), unknown words and an empty question are all in here.
    text += [["zzz-never-seen"], [], ["salt", "salt", "salt", "pepper"]]
    expected_tfidf = vectorizer.transform(text).toarray()
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(len(vocabulary) + 2, 7)).astype(np.float32)
    kernel[:2] = 100.0  # padding and unknown rows must not count, whatever they hold
    bias = rng.normal(size=7).astype(np.float32)
    lookup = network.build(vocabulary, 3, hp).lookup
    ids = np.asarray(lookup(network.pad(text, max(len(t) for t in text))))
    layer = TfidfLinear(len(vocabulary) + 2, 7)
    layer.build(ids.shape)
    layer.set_weights([np.concatenate([[0.0, 0.0], vectorizer.idf_]).astype(np.float32), kernel, bias])
    got = np.asarray(layer(ids))
    assert got.shape == (len(text), 7)
    np.testing.assert_allclose(got, expected_tfidf @ kernel[2:] + bias, atol=1e-4)
    np.testing.assert_allclose(got[-2], bias, atol=1e-6)  # an empty question: the bias alone
    np.testing.assert_allclose(got[-3], bias, atol=1e-6)  # only unknown words: the same


def test_wide_weights_reproduce_the_fitted_logistic_regression(rows):
    hp, titles, bodies, tags = rows
    vocabulary = _vocabulary(titles, bodies, hp)
    text = wide.wide_tokens(titles, bodies, hp)
    columns = TagColumns.learn(tags[:400], 2)
    y = columns.multi_hot(tags[:400])
    y[:, 0] = 0  # a tag with no positive row: the linear model must say "never"
    weights = wide.fit(tfidf.rows(text[:400], vocabulary), y, C=10.0)
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=vocabulary).fit(text[:400])
    x = vectorizer.transform(text[400:])
    reference = OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear")).fit(
        vectorizer.transform(text[:400]), y[:, 1:].astype(np.int64))
    ours = 1 / (1 + np.exp(-(x @ weights.kernel[2:] + weights.bias)))
    np.testing.assert_allclose(ours[:, 1:], reference.predict_proba(x), atol=1e-5)
    assert ours[:, 0].max() < 1e-9
    assert not weights.kernel[:2].any() and not weights.idf[:2].any()


def _logit(p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def test_the_rarity_shift_takes_that_share_of_the_log_base_rate_out(rows):
    """On a freshly built network: the shift is -rarity x (log prior - mean log prior), and it reorders a
    common tag below a rare one whose probability was a little lower."""
    hp = HParams(rarity=0.5, bag_dim=8, filters=8, embedding_dim=8)
    net = network.build(["salt", "pepper"], 2, hp)
    prior = np.array([0.4, 0.01])
    served = network.serving_network(net, hp, tag_prior=prior)
    shift = served.core.get_layer("rarity_shift").get_weights()[0]
    log_prior = np.log(prior)
    np.testing.assert_allclose(shift, -0.5 * (log_prior - log_prior.mean()), rtol=1e-6)
    ids = np.asarray(net.lookup(network.pad([["salt"], ["pepper", "salt"]], hp.max_len)))
    before, after = np.asarray(net.core(ids)), np.asarray(served.core(ids))
    np.testing.assert_allclose(after, 1 / (1 + np.exp(-(_logit(before) + shift))), atol=1e-5)
    assert network.serving_network(net, HParams(), tag_prior=prior) is net  # nothing to add: the Conv1D itself


@pytest.mark.parametrize("bad", [{"wide": 1.0}, {"wide": -0.1}, {"wide": 0.5, "wide_c": 0},
                                 {"wide": 0.5, "output": "softmax"}, {"rarity": 1.5}, {"rarity": -0.2},
                                 {"rarity": 0.3, "output": "softmax"}, {"knn": 1.0}, {"knn": 0.3, "knn_k": 0},
                                 {"wide": 0.6, "knn": 0.4}, {"knn": 0.3, "output": "softmax"},
                                 {"mention_title": 6.0}, {"mention_title": -1.0}, {"mention_body": 0.25},
                                 {"mention_title": 1.0, "output": "softmax"}])
def test_bad_wide_settings_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="wide|rarity|knn|neighbours|mention"):
        HParams(**bad)


@pytest.mark.parametrize("extra", [{"wide": 0.5}, {"knn": 0.3}, {"rarity": 0.3}, {"mention_title": 1.0}])
def test_streamed_and_multi_worker_training_refuse_what_is_fitted_in_memory(tmp_path, extra):
    from tagger.model import distributed, streaming

    hp = HParams(**extra)
    with pytest.raises(ValueError, match="fitted in memory"):
        streaming.train_stream(paths.DATA_FILE, CONFIG, hp, work_dir=tmp_path)
    with pytest.raises(ValueError, match="fitted in memory"):
        distributed.prepare(paths.DATA_FILE, CONFIG, hp, 2, tmp_path)


def test_older_models_without_the_settings_load_with_neither():
    hp = HParams.from_dict({"epochs": 3})
    assert (hp.wide, hp.knn, hp.rarity, hp.mention_title, hp.mention_body) == (0.0, 0.0, 0.0, 0.0, 0.0)
