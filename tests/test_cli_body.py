"""The command line with bodies: `suggest --body-file`, `evaluate` on a CSV with bodies, `train --body-len`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tagger.core import paths
from tagger.data import loaders
from tagger.model.predictor import Tagger
from tagger.scoring.baselines import evaluate_scorer
from tests.test_cli import cli

BODY = "<p>My <a href='http://example.com'>sourdough starter</a> has grey liquid on top.</p><pre><code>x()</code></pre>"


@pytest.fixture(scope="module")
def posts_csv(tmp_path_factory):
    """150 real questions with their bodies, as the project CSV (id,title,body,tags)."""
    path = tmp_path_factory.mktemp("posts") / "posts.csv"
    raw = pd.read_csv(paths.POSTS_FILE, keep_default_na=False).iloc[1000:1150]
    raw.to_csv(path, index=False)
    return path


def test_suggest_reads_a_body_file_with_a_body_model(tiny_body_model, tmp_path):
    body = tmp_path / "question.html"
    body.write_text(BODY, encoding="utf-8")
    r = cli("suggest", "--model", tiny_body_model, "--json", "What can I do with it?", "--body-file", body)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    tagger = Tagger.load(tiny_body_model)
    assert out["body_tokens"] == tagger.body_tokens(BODY) and "sourdough" in out["body_tokens"]
    assert out["body_note"] is None
    expected = tagger.suggest("What can I do with it?", 5, body=BODY)
    assert [t["tag"] for t in out["tags"]] == [t for t, _ in expected]


def test_suggest_with_a_title_only_model_says_the_body_is_ignored(tiny_models, tmp_path):
    from tests.app_helpers import TINY

    body = tmp_path / "question.md"
    body.write_text("I keep **basil** in water", encoding="utf-8")
    with_body = cli("suggest", "--model", tiny_models[TINY], "--json", "How do I store basil?", "--body-file", body)
    alone = cli("suggest", "--model", tiny_models[TINY], "--json", "How do I store basil?")
    assert with_body.returncode == 0 and alone.returncode == 0, with_body.stderr
    a, b = json.loads(with_body.stdout), json.loads(alone.stdout)
    assert a["tags"] == b["tags"] and a["body_tokens"] == []
    assert a["body_note"] == f"{TINY} reads titles only: the body was ignored"
    plain = cli("suggest", "--model", tiny_models[TINY], "How do I store basil?", "--body-file", body)
    assert "reads titles only: the body was ignored" in plain.stdout


def test_suggest_body_file_errors_are_one_line(tiny_body_model, tmp_path):
    r = cli("suggest", "--model", tiny_body_model, "bread", "--body-file", tmp_path / "missing.html")
    assert r.returncode == 2 and r.stderr.strip() == f"error: {tmp_path / 'missing.html'}: no such file (--body-file)"
    body = tmp_path / "b.txt"
    body.write_text("x")
    r = cli("suggest", "--model", tiny_body_model, "bread", "rice", "--body-file", body)
    assert r.returncode == 2 and "give one title with it" in r.stderr and "Traceback" not in r.stderr


def test_evaluate_scores_a_body_model_with_the_files_bodies(tiny_body_model, posts_csv):
    r = cli("evaluate", "--model", tiny_body_model, "--data", posts_csv, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"p_at_1", "p_at_5", "r_at_5", "micro_f1", "n"} and out["n"] == 150
    df = loaders.load_questions(posts_csv)
    tagger = Tagger.load(tiny_body_model)
    titles_only = evaluate_scorer(tagger, tagger.tokens_many(df.title.tolist()), df.tags.tolist())
    with_bodies = evaluate_scorer(tagger, tagger.tokens_many(df.title.tolist()), df.tags.tolist(),
                                  tagger.body_tokens_many(df.body.tolist()))
    keys = ("p_at_1", "p_at_5", "r_at_5", "micro_f1")
    assert [out[k] for k in keys] == pytest.approx([with_bodies[k] for k in keys])
    assert [with_bodies[k] for k in keys] != pytest.approx([titles_only[k] for k in keys])  # the bodies were read


def test_evaluate_says_what_it_did_with_bodies(tiny_models, tiny_body_model, posts_csv, tmp_path):
    from tests.app_helpers import TINY

    r = cli("evaluate", "--model", tiny_models[TINY], "--data", posts_csv, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["n"] == 150
    assert "reads titles only: the file's bodies are ignored" in r.stderr
    titles = tmp_path / "titles.csv"
    pd.read_csv(posts_csv)[["id", "title", "tags"]].to_csv(titles, index=False)
    r = cli("evaluate", "--model", tiny_body_model, "--data", titles, "--json")
    assert r.returncode == 0 and "this file has no bodies: scored on titles alone" in r.stderr


def test_train_a_title_body_model_and_refuse_one_without_bodies(posts_csv, tmp_path):
    out = tmp_path / "tb"
    r = cli("train", "--data", posts_csv, "--out", out, "--pos", "all", "--epochs", "1", "--body-len", "24",
            "--body-pos", "NN,NNS", "--filters", "16", "--embedding-dim", "16", "--bag-dim", "16",
            "--body-filters", "8")
    assert r.returncode == 0, r.stderr
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["hparams"]["body_len"] == 24 and meta["body_token_config"]["pos_tags"] == ["NN", "NNS"]
    words = Tagger.load(out).body_tokens("<p>The bread dough rises in the warm kitchen</p>")
    assert words == ["bread", "dough", "kitchen"]  # nouns only: not "rises" (VBZ) or "warm" (JJ)
    titles = tmp_path / "titles.csv"
    pd.read_csv(posts_csv)[["id", "title", "tags"]].to_csv(titles, index=False)
    r = cli("train", "--data", titles, "--out", tmp_path / "no", "--epochs", "1", "--body-len", "24")
    assert r.returncode == 2 and "has no bodies" in r.stderr
    r = cli("export", "--model", out, "--out", tmp_path / "exported")
    assert r.returncode == 2 and "reads titles and bodies" in r.stderr
