"""The benchmark's helpers, its configuration choice, the fastText peer and a --quick smoke run.

No timing is asserted: the machine is shared and timings are noise here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench import measure, peers, quality, recipes, report, run as bench
from tagger.model.predictor import FORMAT
from tagger.text import tokens as tok
from tests.core_fixtures import site_packages_without

REPO = Path(__file__).resolve().parents[1]


def test_latency_stats():
    s = measure.latency_stats([0.001] * 90 + [0.010] * 10)
    assert s["n"] == 100
    assert s["p50_ms"] == pytest.approx(1.0)
    assert s["p95_ms"] == pytest.approx(10.0)
    assert s["mean_ms"] == pytest.approx(1.9)
    assert measure.latency_stats([]) == {"p50_ms": None, "p95_ms": None, "mean_ms": None, "n": 0}


def test_ratio_and_its_description():
    assert measure.ratio(1.0, 4.0) == 0.25
    assert measure.ratio(None, 1.0) is None and measure.ratio(1.0, 0) is None and measure.ratio(1.0, None) is None
    assert measure.describe_ratio(0.25, higher_is_better=False) == "0.25x (4x better)"
    assert measure.describe_ratio(0.25, higher_is_better=True) == "0.25x (4x worse)"
    assert measure.describe_ratio(2.0, higher_is_better=True) == "2x (2x better)"
    assert measure.describe_ratio(1.01, higher_is_better=False).endswith("(about the same)")
    assert measure.describe_ratio(0.5, higher_is_better=None) == "0.5x"
    assert measure.describe_ratio(None, True) == "n/a"


def test_speed_row_and_tables():
    row = measure.speed_row("suggest p50", 1.0, "ms", "model.predict p50", 50.0)
    assert row["ratio"] == 0.02 and row["compare"] == "0.02x (50x better)"
    assert measure.speed_row("x", 1.0, "s")["compare"] == ""
    table = report.markdown_table([{"a": "x", "b": 0.12345}, {"a": "y", "b": None}], [("a", "A"), ("b", "B")])
    assert table.splitlines() == ["| A | B |", "|---|---|", "| x | 0.123 |", "| y | - |"]
    assert "suggest p50" in report.speed_table([row])


def test_time_each_warms_up_then_times_every_item():
    calls = []
    out = measure.time_each(calls.append, [1, 2, 3], warmup=2)
    assert calls == [1, 2, 1, 2, 3] and len(out) == 3 and all(t >= 0 for t in out)


def _fake_model(root: Path, name: str, pos, output="sigmoid", members=1, filters=128, twin_hparams=None):
    d = root / name
    d.mkdir(parents=True)
    (d / "model.keras").write_bytes(b"")  # read_metadata only checks it is there
    meta = {"format": FORMAT, "token_config": {"pos_tags": pos, "lowercase": True, "drop_stop_words": True},
            "tags": [], "threshold": 0.5,
            "hparams": {"output": output, "filters": filters, "epochs": 7, "members": members}}
    if twin_hparams:
        meta["recipe"] = {"twin_hparams": twin_hparams}
    (d / "metadata.json").write_text(json.dumps(meta))


def test_recipes_come_from_every_shipped_model(tmp_path):
    _fake_model(tmp_path, "nouns", ["NN", "NNS", "VBG"], filters=64)
    # Trained on every row: the recipe is the one its twin was measured with (10 epochs), not its final 7.
    _fake_model(tmp_path, "all-words", None, members=3, filters=256,
                twin_hparams={"filters": 256, "epochs": 10, "members": 3})
    _fake_model(tmp_path, "not-shipped", None)
    (tmp_path / "shipped.json").write_text(json.dumps({"models": ["nouns", "all-words"], "default": "all-words"}))
    found = {r.key: r for r in recipes.shipped_recipes(tmp_path)}
    assert list(found) == ["nouns", "all-words", "all-words (1 member)"]
    assert found["nouns"].config.pos_tags == tok.DEFAULT_POS and found["nouns"].hp.filters == 64
    assert found["all-words"].hp.epochs == 10 and found["all-words"].hp.members == 3
    single = found["all-words (1 member)"]
    assert single.hp.members == 1 and single.hp.filters == 256 and single.config.pos_tags is None


def test_recipes_without_shipped_models_fall_back_to_the_defaults(tmp_path):
    found = recipes.shipped_recipes(tmp_path)
    assert [r.config.pos_tags for r in found] == [None, tok.DEFAULT_POS]
    assert all("defaults" in r.source for r in found)


def test_summaries_are_mean_and_spread_over_seeds():
    runs = [{"seed": s, "n": 10, "p_at_1": p, "p_at_5": 0.2, "r_at_5": 0.5, "micro_f1": 0.4, "train_seconds": 1.0}
            for s, p in ((1, 0.6), (2, 0.7))]
    out = quality.summarize(runs)
    assert out["p_at_1"] == pytest.approx(0.65) and out["p_at_1_std"] == pytest.approx(0.05)
    assert out["p_at_5_std"] == 0 and out["seeds"] == [1, 2] and out["runs"] == runs
    rows = [{"key": "conv", "kind": "conv1d", "tokens": "all words", "p_at_1": 0.70, "r_at_5": 0.60},
            {"key": "tfidf", "kind": "peer", "tokens": "all words", "p_at_1": 0.66, "r_at_5": 0.65},
            {"key": "ft", "kind": "peer", "tokens": "all words", "p_at_1": 0.68, "r_at_5": 0.61},
            {"key": "other", "kind": "peer", "tokens": "NN", "p_at_1": 0.99, "r_at_5": 0.99}]
    (vs,) = quality.versus_best_peer(rows)
    assert vs["p_at_1_vs_best_peer"] == pytest.approx(0.02) and vs["best_peer_p_at_1"] == "ft"
    assert vs["r_at_5_vs_best_peer"] == pytest.approx(-0.05) and vs["best_peer_r_at_5"] == "tfidf"
    assert "+0.020 (vs ft)" in report.versus_table([vs])


def test_parse_args():
    args = bench.parse_args(["--quick", "--skip", "app,stream"])
    assert args.quick and args.skip == ["app", "stream"] and args.stream_max_steps == 5 and args.seeds == [1]
    defaults = bench.parse_args([])
    assert defaults.stream_sizes == [10_000, 100_000, 1_000_000] and defaults.stream_workers == [1, 2]
    assert defaults.seeds == [1, 2, 3] and defaults.tagging_n == 100_000 and defaults.tagging_processes[0] == 1
    with pytest.raises(SystemExit):
        bench.parse_args(["--skip", "nope"])


def test_fasttext_peer_scores_like_the_others_and_retries_nan(monkeypatch):
    import fasttext

    rows = [["bread", "dough", "flour"], ["chicken", "stock"], ["knife", "sharpening"]] * 30
    tags = [["baking", "bread"], ["chicken", "stock"], ["knives"]] * 30
    real = fasttext.train_supervised
    calls = []

    def flaky(*args, **kwargs):
        calls.append(kwargs["seed"])
        if len(calls) == 1:
            raise RuntimeError("Encountered NaN.")
        return real(*args, **kwargs)

    monkeypatch.setattr(fasttext, "train_supervised", flaky)
    ft = peers.FastTextScorer(seed=3).fit(rows, tags)
    assert calls == [3, 4] and ft.seed_used == 4 and ft.nan_retries == 1
    assert ft.tags == sorted({t for row in tags for t in row})
    probs = ft.predict_proba([["bread", "flour"], []])
    assert probs.shape == (2, len(ft.tags))
    assert ft.tags[int(np.argmax(probs[0]))] in ("baking", "bread")
    assert 0.05 <= ft.threshold <= 0.9


def test_quick_run_writes_json_and_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path / "cache"))
    (tmp_path / "no-models").mkdir()
    out = tmp_path / "bench"
    assert bench.main(["--quick", "--silent", "--out", str(out), "--models", str(tmp_path / "no-models"),
                       "--seeds", "1,2", "--skip", "app,memory,tagging,stream"]) == 0
    printed = capsys.readouterr().out
    assert "### Quality" in printed and "### Speed" in printed and "whole process" in printed
    results = json.loads((out / "results.json").read_text())
    kinds = {(r["kind"], r["tokens"]) for r in results["quality"]}
    assert {("conv1d", "all words"), ("peer", "all words"), ("conv1d", "NN,NNS,VBG"), ("peer", "NN,NNS,VBG")} <= kinds
    peers_ = [r["model"] for r in results["quality"] if r["kind"] == "peer"]
    assert any("TF-IDF" in m for m in peers_) and any("fastText" in m for m in peers_)
    for r in results["quality"]:
        assert r["seeds"] == [1, 2] and len(r["runs"]) == 2 and r["n"] == results["data"]["heldout_rows"]
        assert 0 <= r["p_at_1"] <= 1 and r["p_at_1_std"] >= 0
        assert r["p_at_1"] == pytest.approx(np.mean([x["p_at_1"] for x in r["runs"]]))
    assert len(results["versus_best_peer"]) == 3  # all words, NN,NNS,VBG, and title + body
    assert any(k == "conv1d" and t.startswith("title + body") for k, t in kinds)
    assert any(t["target"].endswith("P@1 >= 0.72 and R@5 >= 0.75") for t in results["targets"])
    whole = results["whole_process"]
    assert whole["conv1d_median_s"] > 0 and whole["fasttext_median_s"] > 0 and whole["ratio"] > 0
    assert "--members 1" in whole["command"] and "--pos all" in whole["command"]
    measures = " ".join(r["measure"] for r in results["speed"])
    assert "Tagger.suggest" in measures and "throughput" in measures and "token preprocessing" in measures
    assert all(r["ratio"] is None or r["ratio"] > 0 for r in results["speed"])
    assert any("Tagger.suggest p50" in t["target"] for t in results["targets"])
    retrain = results["retrain"]  # the Retrain page's defaults, to a saved model that loads
    assert retrain["rows"] == results["data"]["rows"] and retrain["seconds"] > 0 and retrain["first_seconds"] > 0
    assert retrain["unseen_slice_seconds"] > 0 and retrain["unseen_slice_rows"] < retrain["rows"]
    assert {r["model"] for r in retrain["results"]} >= {"TF-IDF + logistic regression (same tokens)"}
    assert any("Retrain page" in t["target"] for t in results["targets"])
    nouns = [t for t in results["targets"] if t["target"].startswith("one network on NN,NNS,VBG")]
    assert len(nouns) == 1 and isinstance(nouns[0]["met"], bool)
    assert not [n for n in results["notes"] if "failed" in n], results["notes"]
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tagging_benchmark_runs_where_tensorflow_is_not_installed(tmp_path):
    # As on a many-core machine without TensorFlow: the child can't import it (nor Keras) at all.
    shadow = site_packages_without(tmp_path / "site-packages", ("tensorflow", "tf_keras", "keras", "tensorboard"))
    # No --data and no TAGGER_DATA: the repository's gzipped data/cooking.csv.gz is read.
    env = {k: v for k, v in os.environ.items() if k != "TAGGER_DATA"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(shadow)])
    r = subprocess.run([sys.executable, "-S", "-m", "bench.tagging", "--n", "300", "--processes", "1,2", "--chunk",
                        "40"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])  # one JSON line
    assert out["source_titles"] == 12404
    assert "titles/s" in r.stderr and "pool of 2" in r.stderr  # the table for a person
    assert out["titles"] == 300 and out["tensorflow_imported"] is False and out["all_identical"] is True
    assert [p["processes"] for p in out["pools"]] == [1, 2]
    assert all(p["identical"] and p["titles_per_s"] > 0 for p in out["pools"])
    assert out["in_process"]["titles_per_s"] > 0


def test_tagging_benchmark_rejects_bad_options():
    r = subprocess.run([sys.executable, "-m", "bench.tagging", "--processes", "0"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: --n, --chunk and every --processes value must be at least 1"


def test_quick_scaling_sections_compare_one_and_two_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "bench"
    assert bench.main(["--quick", "--silent", "--out", str(out), "--tagging-processes", "1,2",
                       "--skip", "quality,train,speed,tokens,memory,app"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert not [n for n in results["notes"] if "failed" in n], results["notes"]
    assert results["tagging"]["all_identical"] and len(results["tagging"]["pools"]) == 2
    runs = results["stream"]
    assert [(r["questions"], r["workers"]) for r in runs] == [(800, 1), (800, 2)]
    assert all(r["peak_rss_mb"] > 0 and r["wall_seconds"] > 0 and r["steps"] == 5 for r in runs)
    assert len(runs[1]["peak_rss_mb_each"]) == 3  # the launcher and two workers
    (check,) = results["stream_checks"]
    assert check["same_vocabulary_and_tags"] is True and check["workers"] == 2
    printed = (out / "results.md").read_text()
    assert "1 vs N processes" in printed and "the same training?" in printed
