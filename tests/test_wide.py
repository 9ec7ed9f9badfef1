"""The wide branch (`tagger.model.wide`): the Keras layers compute what scikit-learn's TF-IDF + logistic
regression computes on the same tokens, the saved model blends it with the Conv1D in the share its
metadata records, and the paths that can't fit it say so."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from tagger.core import paths
from tagger.data import loaders
from tagger.model import network, wide
from tagger.model.network import HParams
from tagger.model.predictor import Tagger
from tagger.scoring.labels import TagColumns
from tagger.text import cache, tokens as tok

CONFIG = tok.TokenConfig(pos_tags=None)


@pytest.fixture(scope="module")
def rows():
    """Real questions with their bodies: tokens the way a title + body model reads them."""
    df = loaders.load_questions(paths.POSTS_FILE, limit=600)
    hp = HParams(body_len=24, max_len=16)
    titles = cache.tokens_many(df.title.tolist(), CONFIG)
    bodies = cache.body_tokens_many(df.body.tolist(), CONFIG, hp.body_len)
    return hp, titles, bodies, df.tags.tolist()


def _vocabulary(titles, bodies, hp):
    return network.vocabulary_with_body(titles, bodies, 1500, 2)


def test_tfidf_layer_matches_scikit_learns_vectorizer(rows):
    from tagger.model.layers import TfidfVector

    hp, titles, bodies, _ = rows
    vocabulary = _vocabulary(titles, bodies, hp)
    text = wide.wide_tokens(titles, bodies, hp)
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=vocabulary).fit(text)
    # Repeated words (the title counts twice), unknown words and an empty question are all in here.
    text += [["zzz-never-seen"], []]
    expected = vectorizer.transform(text).toarray()
    lookup = network.build(vocabulary, 3, hp).lookup
    ids = np.asarray(lookup(network.pad(text, max(len(t) for t in text))))
    layer = TfidfVector(len(vocabulary) + 2)
    layer.build(ids.shape)
    layer.set_weights([np.concatenate([[0.0, 0.0], vectorizer.idf_]).astype(np.float32)])
    got = np.asarray(layer(ids))
    assert got.shape == (len(text), len(vocabulary) + 2)
    assert not got[:, :2].any()  # padding and unknown words count for nothing
    np.testing.assert_allclose(got[:, 2:], expected, atol=1e-5)
    assert not got[-1].any() and not got[-2].any()


def test_wide_weights_reproduce_the_fitted_logistic_regression(rows):
    hp, titles, bodies, tags = rows
    vocabulary = _vocabulary(titles, bodies, hp)
    text = wide.wide_tokens(titles, bodies, hp)
    columns = TagColumns.learn(tags[:400], 2)
    y = columns.multi_hot(tags[:400])
    y[:, 0] = 0  # a tag with no positive row: the linear model must say "never"
    weights = wide.fit(text[:400], y, vocabulary, C=10.0)
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=vocabulary).fit(text[:400])
    x = vectorizer.transform(text[400:])
    reference = OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear")).fit(
        vectorizer.transform(text[:400]), y[:, 1:].astype(np.int64))
    ours = 1 / (1 + np.exp(-(x @ weights.kernel[2:] + weights.bias)))
    np.testing.assert_allclose(ours[:, 1:], reference.predict_proba(x), atol=1e-5)
    assert ours[:, 0].max() < 1e-9
    assert not weights.kernel[:2].any() and not weights.idf[:2].any()


def test_a_saved_wide_model_blends_the_conv1d_and_the_linear_model(tiny_body_model, rows):
    """The served probabilities are (1 - wide) x the Conv1D's + wide x the linear branch's, after a save and
    a load, and the branch is the same TF-IDF the vectorizer would compute."""
    hp_rows, titles, bodies, _ = rows
    tagger = Tagger.load(tiny_body_model)
    hp = tagger.hparams
    assert hp.wide == 0.5
    titles, bodies = titles[-40:], [b[:hp.body_len] for b in bodies[-40:]]
    served = tagger.predict_proba(titles, bodies)
    blended = tagger.model.get_layer("wide_and_conv1d_tagger")
    conv = blended.get_layer(network.CORE_MODEL)
    lookup = network.lookup_of(tagger.model)
    ids = [np.asarray(lookup(network.pad(titles, hp.max_len))), np.asarray(lookup(network.pad(bodies, hp.body_len)))]
    deep = np.asarray(conv(ids, training=False))
    idf = blended.get_layer("wide_tfidf").get_weights()[0]
    kernel, bias = blended.get_layer("wide_tags").get_weights()
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=tagger.vocabulary)
    vectorizer.fit([tagger.vocabulary])  # then the idf is replaced by the model's own
    vectorizer.idf_ = idf[2:]
    x = vectorizer.transform(wide.wide_tokens(titles, bodies, hp)).toarray()
    linear = 1 / (1 + np.exp(-(x @ kernel[2:] + bias)))
    known = served.any(axis=1)  # a question with no known word scores zeros by design
    assert known.sum() > 30
    np.testing.assert_allclose(served[known], (0.5 * deep + 0.5 * linear)[known], atol=1e-5)
    assert np.abs(deep - linear).max() > 0.05  # two different models: the blend is not one of them


@pytest.mark.parametrize("bad", [{"wide": 1.0}, {"wide": -0.1}, {"wide": 0.5, "wide_c": 0},
                                 {"wide": 0.5, "output": "softmax"}])
def test_bad_wide_settings_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="wide"):
        HParams(**bad)


def test_streamed_and_multi_worker_training_refuse_the_wide_branch(tmp_path):
    from tagger.model import distributed, streaming

    hp = HParams(wide=0.5)
    with pytest.raises(ValueError, match="fitted in memory"):
        streaming.train_stream(paths.DATA_FILE, CONFIG, hp, work_dir=tmp_path)
    with pytest.raises(ValueError, match="fitted in memory"):
        distributed.prepare(paths.DATA_FILE, CONFIG, hp, 2, tmp_path)


def test_older_models_without_the_setting_load_with_no_wide_branch():
    assert HParams.from_dict({"epochs": 3}).wide == 0.0
