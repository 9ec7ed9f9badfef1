"""The yardsticks: TF-IDF + logistic regression must learn from the words, on real rows."""

import numpy as np

from tagger.scoring import baselines
from tagger.text import cache, tokens as tok
from tests.core_fixtures import real_questions


def test_tfidf_learns_and_beats_the_most_frequent_tags():
    df = real_questions()
    train, test = df.iloc[:2400], df.iloc[2400:3000]
    config = tok.TokenConfig(pos_tags=None)
    train_tokens = cache.tokens_many(train.title.tolist(), config)
    test_tokens = cache.tokens_many(test.title.tolist(), config)
    tfidf = baselines.TfidfBaseline().fit(train_tokens, train.tags.tolist())
    trivial = baselines.MostFrequentBaseline().fit(train_tokens, train.tags.tolist())
    held_out = baselines.evaluate_scorer(tfidf, test_tokens, test.tags.tolist())
    floor = baselines.evaluate_scorer(trivial, test_tokens, test.tags.tolist())
    assert held_out["p_at_1"] > floor["p_at_1"] + 0.2, (held_out, floor)
    # On its own training rows the top tag is almost always a true tag: the columns line up with the tags.
    top = np.argmax(tfidf.predict_proba(train_tokens[:200]), axis=1)
    hits = [tfidf.tags[i] in tags for i, tags in zip(top, train.tags.tolist()[:200], strict=True)]
    assert np.mean(hits) > 0.8
