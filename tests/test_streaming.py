"""Streaming training: a generated Posts.xml trains through tf.data and gives a working Tagger."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.synthetic import write_synthetic_posts
from tagger import Tagger, cli
from tagger.data import loaders
from tagger.model import network, streaming
from tagger.model.network import HParams
from tagger.text import cache, tokens as tok


@pytest.fixture(scope="module")
def posts(tmp_path_factory):
    path = tmp_path_factory.mktemp("stream") / "Posts.xml"
    return write_synthetic_posts(path, 400, source=loaders.default_data_path(), seed=1)


HP = HParams(epochs=1, embedding_dim=16, filters=32, kernel_sizes=(1, 2), batch_size=32, patience=1, seed=5)


def test_synthetic_dump_is_a_stack_exchange_posts_xml(posts):
    report = loaders.LoadReport(path=str(posts), format="")
    rows = list(loaders.iter_questions(posts, report=report))
    assert report.format == "posts_xml"
    assert len(rows) == 400  # answer rows (PostTypeId 2) are skipped by the loader
    assert all(r["title"] and r["tags"] for r in rows)
    assert "PostTypeId=\"2\"" in posts.read_text(encoding="utf-8")


def test_spool_matches_the_apps_tokens(posts, tmp_path):
    config = tok.TokenConfig()
    spool = streaming.spool_tokens(posts, config, tmp_path)
    rows = list(spool.rows_iter())
    assert spool.rows == len(rows) == 400
    questions = loaders.load_questions(posts)
    assert [r[0] for r in rows[:50]] == cache.tokens_many(questions.title.tolist()[:50], config, use_cache=False)
    assert [r[1] for r in rows] == questions.tags.tolist()


def test_vocabulary_and_dataset(posts, tmp_path):
    spool = streaming.spool_tokens(posts, tok.TokenConfig(), tmp_path)
    vocab = streaming.vocabulary_and_tags(spool, HP)
    assert vocab.tags == sorted(vocab.tags) and vocab.vocabulary
    assert vocab.train_rows + vocab.val_rows <= 400 and vocab.val_rows > 0
    net = network.build(vocab.vocabulary, len(vocab.tags), HP)
    ds = streaming.make_dataset(spool, net.lookup, vocab.tags, HP, "train", shuffle=False, rows=vocab.train_rows)
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == -(-vocab.train_rows // HP.batch_size)
    x, y = batches[0]
    assert x.shape == (HP.batch_size, HP.max_len) and x.dtype == np.int64
    assert y.shape == (HP.batch_size, len(vocab.tags))
    assert sum(len(b[0]) for b in batches) == vocab.train_rows
    # The ids are the model's own lookup of the first training row's tokens: vocabulary[i] -> i + 2,
    # an unknown token -> 1, padding -> 0.
    first_train = next(r for i, r in enumerate(spool.rows_iter())
                       if i % 10 and set(r[1]) & set(vocab.tags))
    index = {t: i + 2 for i, t in enumerate(vocab.vocabulary)}
    expected = [index.get(t, 1) for t in first_train[0][:HP.max_len]]
    np.testing.assert_array_equal(x[0], expected + [0] * (HP.max_len - len(expected)))


def test_trains_one_epoch_into_a_working_tagger(posts, tmp_path):
    run = streaming.train_stream(posts, tok.TokenConfig(), HP, work_dir=tmp_path)
    tagger = run.tagger
    assert run.stats["questions"] == 400 and run.stats["steps"] > 0
    assert len(tagger.metadata["history"]) == 1
    tagger.save(tmp_path / "model")
    loaded = Tagger.load(tmp_path / "model")
    assert loaded.metadata["training_data"]["streamed"] is True
    suggestions = loaded.suggest("How do I keep bread dough from sticking to the pan?", 3)
    assert len(suggestions) == 3 and all(t in loaded.tags for t, _ in suggestions)
    probe = [["bread", "dough"], ["chicken", "stock"], []]
    np.testing.assert_allclose(loaded.predict_proba(probe), tagger.predict_proba(probe), atol=1e-6)


def test_max_steps_caps_batches(posts, tmp_path):
    run = streaming.train_stream(posts, tok.TokenConfig(), HP, work_dir=tmp_path, max_steps=3)
    assert run.stats["steps"] == 3


def test_command_line_reports_peak_memory(posts, tmp_path, capsys):
    assert cli.main(["train", "--stream", "--data", str(posts), "--out", str(tmp_path / "m"), "--max-steps", "2",
                     "--epochs", "1", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["questions"] == 400 and out["peak_rss_mb"] > 0 and out["steps"] == 2
    assert (tmp_path / "m" / "model.keras").is_file()
    assert cli.main(["train", "--stream", "--data", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "x"),
                     "--quiet"]) == 2
    assert "file not found" in capsys.readouterr().err
