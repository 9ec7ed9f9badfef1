"""The yardsticks: TF-IDF + logistic regression must learn from the words, on real rows."""

import json

import numpy as np
import pytest

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


def _default_keys(questions):
    from tagger.app import slices

    return {config: baselines.tfidf_key(*rows) for config, rows in slices.default_baseline_rows(questions)}


def test_the_repository_ships_the_baselines_scores_for_every_retrain_default(questions):
    """A fresh server's first retrain with the page's untouched slice, whichever token filter, reads the
    baseline's scores instead of fitting ~700 logistic regressions beside the Conv1D."""
    keys = _default_keys(questions)
    assert len(set(keys.values())) == len(tok.FILTERS)
    for config, key in keys.items():
        assert baselines.shipped_file(key).is_file(), (
            f"no shipped TF-IDF scores for the Retrain page's default slice with {config.label}: the data, the "
            "token pipeline or the baseline changed; run `python -m tagger baselines` and commit data/baseline-scores/")


def test_the_shipped_scores_are_what_the_baseline_computes(questions, tmp_path):
    from tagger.app import slices

    _, rows = slices.default_baseline_rows(questions)[0]
    fresh = baselines.ship_tfidf_scores(*rows, folder=tmp_path)
    shipped = json.loads(baselines.shipped_file(baselines.tfidf_key(*rows)).read_text())
    fitted = json.loads(fresh.read_text())
    test_rows = len(rows[2])
    assert fitted["n"] == shipped["n"] == test_rows
    # Another CPU may round a last bit differently and flip a tie: one question in 2,404 at most.
    for measure in baselines.SCORE_KEYS:
        assert fitted[measure] == pytest.approx(shipped[measure], abs=1 / test_rows), measure


def test_a_fresh_servers_first_retrain_on_the_defaults_fits_no_baseline(questions, monkeypatch, tmp_path):
    import dataclasses

    from tagger.app import jobs, slices

    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path))  # nothing scored on this server yet
    monkeypatch.setattr(baselines, "_TFIDF_SCORES", type(baselines._TFIDF_SCORES)())
    fits = []
    real_fit = baselines.TfidfBaseline.fit
    monkeypatch.setattr(baselines.TfidfBaseline, "fit", lambda self, *a: fits.append(1) or real_fit(self, *a))
    config, train, test = slices.page_defaults(questions)[0]
    job = jobs.start(train, test, config, dataclasses.replace(jobs.DEMO_HPARAMS, epochs=1), owner="test-session")
    assert job.wait(300) and job.snapshot().status == jobs.DONE, job.snapshot().message
    assert fits == []
    baseline = job.result.tagger.metadata["metrics"]["baseline"]
    key = _default_keys(questions)[config]
    assert baseline == json.loads(baselines.shipped_file(key).read_text())
