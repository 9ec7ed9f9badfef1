"""The neighbours branch (`tagger.model.neighbours` and the `TfidfNeighbours` layer): the layer finds the
training questions a brute-force cosine search over scikit-learn's TF-IDF vectors finds and counts their tags'
votes the same way; and a saved title + body model serves the whole blend its metadata records (Conv1D,
linear model, neighbours, then the rarity shift and the tag-name boost) after a save and a load."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from tagger.model import mentions, neighbours, network, wide
from tagger.model.predictor import Tagger
from tagger.scoring.labels import TagColumns
from tagger.text import tfidf, tokens as tok

CONFIG = tok.TokenConfig(pos_tags=None)


@pytest.fixture(scope="module")
def rows(body_rows):
    """Real questions with their bodies (conftest's `body_rows`) and a vocabulary over them."""
    hp, titles, bodies, tags = body_rows
    return hp, titles, bodies, tags, network.vocabulary_with_body(titles, bodies, 1500, 2)


def reference_votes(query_tfidf, train_tfidf, targets, k, power=neighbours.POWER):
    """Brute force: every cosine, the k largest, each neighbour's tags weighted by its cosine ** power. Also
    says, per question, whether its k-th and (k+1)-th cosines differ (otherwise which neighbour is k-th is a
    tie that any search may break its own way)."""
    sims = np.asarray(query_tfidf @ train_tfidf.T.toarray())
    order = np.argsort(-sims, axis=1, kind="stable")
    top = order[:, :k]
    ranked = np.take_along_axis(sims, order, 1)
    clear = np.abs(ranked[:, k - 1] - ranked[:, k]) > 1e-5 if sims.shape[1] > k else np.ones(len(sims), bool)
    votes = np.take_along_axis(sims, top, 1) ** power
    per_tag = np.einsum("nk,nkt->nt", votes, targets[top])
    return per_tag / np.maximum(votes.sum(1, keepdims=True), 1e-12), clear


def _layer(weights, n_tags, k):
    from tagger.model.layers import TfidfNeighbours

    layer = TfidfNeighbours(len(weights.idf), n_tags, weights.questions, weights.entries, weights.tag_entries, k)
    layer.build((None, None))
    layer.set_weights([weights.idf, weights.row_indices, weights.row_values, weights.tag_indices])
    return layer


@pytest.mark.parametrize("way", ["index", "product"])
def test_the_neighbours_layer_votes_like_a_brute_force_search(rows, way, monkeypatch):
    """Both ways to the similarities (the inverted index, the sparse product: the layer picks the cheaper
    for each call) find the same neighbours as a brute-force search."""
    from tagger.model import layers

    monkeypatch.setattr(layers, "INDEX_NS", 0.0 if way == "index" else 1e12)
    hp, titles, bodies, tags, vocabulary = rows
    text = wide.wide_tokens(titles, bodies, hp)
    train, queries = text[:400], text[400:] + [["zzz-never-seen"], [], ["salt", "salt", "pepper"]]
    y = TagColumns.learn(tags[:400], 2).multi_hot(tags[:400])
    weights = neighbours.fit(tfidf.rows(train, vocabulary), y)
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=vocabulary).fit(train)
    expected, clear = reference_votes(vectorizer.transform(queries), vectorizer.transform(train), y, 10)
    lookup = network.build(vocabulary, 3, hp).lookup
    ids = np.asarray(lookup(network.pad(queries, max(len(t) for t in queries))))
    got = np.asarray(_layer(weights, y.shape[1], 10)(ids))
    assert got.shape == expected.shape and clear.sum() > 80
    np.testing.assert_allclose(got[clear], expected[clear], atol=1e-5)
    # Unknown words only, or none: no neighbour is similar at all, so no tag gets a vote.
    assert not got[-2].any() and not got[-3].any()
    # Votes are shares: a question with known words gives its tags shares that add up to its neighbours' tags.
    assert np.all((got >= 0) & (got <= 1 + 1e-6)) and got[-1].sum() > 0


def test_a_training_question_is_its_own_nearest_neighbour(rows):
    """With k = 1, a question seen in training gets exactly its own tags back (cosine 1 with itself)."""
    hp, titles, bodies, tags, vocabulary = rows
    text = wide.wide_tokens(titles, bodies, hp)
    columns = TagColumns.learn(tags[:300], 1)
    y = columns.multi_hot(tags[:300])
    weights = neighbours.fit(tfidf.rows(text[:300], vocabulary), y)
    # Each stored row is a unit vector (cosine = dot product), for every question with a known word.
    squares = np.bincount(weights.row_indices[:, 0], weights.row_values ** 2, minlength=300)
    known = [i for i, t in enumerate(text[:300]) if set(t) & set(vocabulary)]
    np.testing.assert_allclose(squares[known], 1.0, atol=1e-5)
    lookup = network.build(vocabulary, 3, hp).lookup
    ids = np.asarray(lookup(network.pad(text[:300], max(len(t) for t in text[:300]))))
    got = np.asarray(_layer(weights, len(columns), 1)(ids))
    unique = [i for i in known if sum(text[j] == text[i] for j in range(300)) == 1]
    assert len(unique) > 250
    np.testing.assert_allclose(got[unique], y[unique], atol=1e-5)


def test_bad_rows_are_refused_with_a_message(rows):
    _, titles, _, tags, vocabulary = rows
    with pytest.raises(ValueError, match="questions but"):
        neighbours.fit(tfidf.rows(titles[:10], vocabulary), np.zeros((9, 3)))


def _logit(p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def test_a_saved_model_blends_its_three_branches_then_shifts_by_rarity_and_names(tiny_body_model, rows):
    """The served probabilities are sigmoid(logit(deep share x the Conv1D's + wide x the linear branch's +
    knn x the neighbours' votes) + each tag's shift + the boosts of the tags the title and the question
    name), after a save and a load; the linear branch is the TF-IDF the vectorizer computes, the neighbours
    are the ones a brute-force search finds and the named tags the ones `mentions.mentioned` finds."""
    _, titles, bodies, _, _ = rows
    tagger = Tagger.load(tiny_body_model)
    hp = tagger.hparams
    assert (hp.wide, hp.knn, hp.rarity, hp.mention_title, hp.mention_body) == (0.4, 0.3, 0.3, 1.0, 0.25)
    titles, bodies = titles[-60:], [b[:hp.body_len] for b in bodies[-60:]]
    served = tagger.predict_proba(titles, bodies)
    blended = tagger.model.get_layer(network.SERVED_MODEL)
    conv = blended.get_layer(network.CORE_MODEL)
    lookup = network.lookup_of(tagger.model)
    ids = [np.asarray(lookup(network.pad(titles, hp.max_len))), np.asarray(lookup(network.pad(bodies, hp.body_len)))]
    deep = np.asarray(conv(ids, training=False))
    idf, kernel, bias = blended.get_layer("wide_tfidf_lr").get_weights()
    knn_idf, row_indices, row_values, tag_indices = blended.get_layer("neighbour_tags").get_weights()
    np.testing.assert_allclose(knn_idf, idf)  # both fitted on the same rows and tokens
    shift = blended.get_layer("rarity_shift").get_weights()[0]
    vectorizer = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True, vocabulary=tagger.vocabulary)
    vectorizer.fit([tagger.vocabulary])  # then the idf is replaced by the model's own
    vectorizer.idf_ = idf[2:]
    x = vectorizer.transform(wide.wide_tokens(titles, bodies, hp))
    linear = 1 / (1 + np.exp(-(x.toarray() @ kernel[2:] + bias)))
    questions = int(row_indices[:, 0].max()) + 1
    train = sparse.csr_matrix((row_values, (row_indices[:, 0], row_indices[:, 1] - 2)), shape=(questions, len(idf) - 2))
    targets = np.zeros((questions, len(tagger.tags)), np.float32)
    targets[tag_indices[:, 1], tag_indices[:, 0]] = 1
    votes, clear = reference_votes(x, train, targets, hp.knn_k)
    known = set(tagger.vocabulary)
    named = np.zeros_like(deep)
    for i, (title, body) in enumerate(zip(titles, bodies, strict=True)):
        for boost, words in ((1.0, title), (0.25, list(title) + list(body))):
            for tag in mentions.mentioned([w for w in words if w in known], tagger.tags):
                named[i, tagger.tags.index(tag)] += boost
    assert (named == 1.25).sum() > 10 and (named == 0.25).sum() > 10  # named in the title, in the body only
    expected = 1 / (1 + np.exp(-(_logit(0.3 * deep + 0.4 * linear + 0.3 * votes) + shift + named)))
    check = served.any(axis=1) & clear  # a question with no known word scores zeros by design
    assert check.sum() > 40
    np.testing.assert_allclose(served[check], expected[check], atol=2e-5)
    assert np.abs(deep - votes).max() > 0.05 and np.abs(linear - votes).max() > 0.05  # three different views
    # The shift is centred and favours rare tags: the training data's most common tag is pushed down.
    assert abs(shift.mean()) < 1e-5
    assert shift[tagger.tags.index("baking")] < 0 < shift.max()


def test_a_model_with_neighbours_scores_large_inputs_in_small_batches_with_the_same_result(tiny_body_model, rows):
    """`Tagger.predict_proba` cuts a neighbours model's input into batches of `NEIGHBOURS_BATCH` rows (its
    layer's memory grows with the batch); the rows come back whole, in order, as one row at a time scores them."""
    from tagger.model import predictor

    _, titles, bodies, _, _ = rows
    tagger = Tagger.load(tiny_body_model)
    assert len(titles) > predictor.NEIGHBOURS_BATCH
    batched = tagger.predict_proba(titles, bodies)
    one_by_one = np.concatenate([tagger.predict_proba(titles[i:i + 1], bodies[i:i + 1])
                                 for i in range(0, len(titles), 37)])
    np.testing.assert_allclose(batched[::37], one_by_one, atol=1e-5)
    assert batched.shape == (len(titles), len(tagger.tags)) and batched.any(axis=1).sum() > len(titles) // 2
