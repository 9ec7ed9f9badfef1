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


def test_tfidf_scores_fit_once_per_set_of_rows(monkeypatch, tmp_path):
    df = real_questions()
    config = tok.TokenConfig(pos_tags=None)
    train = cache.tokens_many(df.title.tolist()[:600], config)
    test = cache.tokens_many(df.title.tolist()[600:800], config)
    train_tags, test_tags = df.tags.tolist()[:600], df.tags.tolist()[600:800]
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path))  # an empty cache folder: nothing scored before
    monkeypatch.setattr(baselines, "_TFIDF_SCORES", type(baselines._TFIDF_SCORES)())
    fits = []
    real_fit = baselines.TfidfBaseline.fit
    monkeypatch.setattr(baselines.TfidfBaseline, "fit", lambda self, *a: fits.append(1) or real_fit(self, *a))
    first = baselines.tfidf_scores(train, train_tags, test, test_tags)
    again = baselines.tfidf_scores([list(t) for t in train], list(train_tags), test, test_tags)
    assert first == again and len(fits) == 1
    direct = baselines.evaluate_scorer(real_fit(baselines.TfidfBaseline(), train, train_tags), test, test_tags)
    assert first == direct
    baselines.tfidf_scores(train[:-1], train_tags[:-1], test, test_tags)  # other rows: fitted anew
    assert len(fits) == 2


def test_tfidf_scores_survive_a_restart_and_a_damaged_file(monkeypatch, tmp_path):
    """A restarted server (an empty in-memory cache) reads the stored scores instead of refitting; a damaged
    or foreign file is refitted and rewritten, never returned."""
    df = real_questions()
    config = tok.TokenConfig(pos_tags=None)
    train = cache.tokens_many(df.title.tolist()[:500], config)
    test = cache.tokens_many(df.title.tolist()[500:700], config)
    train_tags, test_tags = df.tags.tolist()[:500], df.tags.tolist()[500:700]
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path))
    fits = []
    real_fit = baselines.TfidfBaseline.fit
    monkeypatch.setattr(baselines.TfidfBaseline, "fit", lambda self, *a: fits.append(1) or real_fit(self, *a))

    def restart():
        monkeypatch.setattr(baselines, "_TFIDF_SCORES", type(baselines._TFIDF_SCORES)())

    restart()
    first = baselines.tfidf_scores(train, train_tags, test, test_tags)
    stored = list((tmp_path / "baselines").glob("tfidf-*.json"))
    assert len(stored) == 1 and len(fits) == 1
    restart()
    assert baselines.tfidf_scores(train, train_tags, test, test_tags) == first and len(fits) == 1
    for damage in ("{not json", '{"p_at_1": "high"}', "[]"):
        stored[0].write_text(damage, encoding="utf-8")
        restart()
        assert baselines.tfidf_scores(train, train_tags, test, test_tags) == first
    assert len(fits) == 4
    restart()
    baselines.tfidf_scores(train, train_tags, test, test_tags)
    assert len(fits) == 4  # the last refit rewrote a whole file
    # An unwritable cache folder still gives the numbers.
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path / "file-not-folder"))
    (tmp_path / "file-not-folder").write_text("x")
    restart()
    assert baselines.tfidf_scores(train, train_tags, test, test_tags) == first and len(fits) == 5
