"""The benchmark's helpers, its configuration choice, the fastText peer and a --quick smoke run.

No timing is asserted: the machine is shared and timings are noise here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench import measure, peers, report, run as bench
from tagger.model.predictor import FORMAT
from tagger.text import tokens as tok


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


def _fake_model(root: Path, name: str, pos, output="sigmoid", p1=None, filters=128):
    d = root / name
    d.mkdir(parents=True)
    (d / "model.keras").write_bytes(b"")  # read_metadata only checks it is there
    meta = {"format": FORMAT, "token_config": {"pos_tags": pos, "lowercase": True, "drop_stop_words": True},
            "tags": [], "threshold": 0.5,
            "hparams": {"output": output, "filters": filters, "epochs": 7},
            "metrics": {"heldout": {"p_at_1": p1}} if p1 is not None else {}}
    (d / "metadata.json").write_text(json.dumps(meta))


def test_shipped_configs_read_the_models_metadata(tmp_path):
    _fake_model(tmp_path, "nouns", ["NN", "NNS", "VBG"], p1=0.55, filters=64)
    _fake_model(tmp_path, "all-words", None, p1=0.60, filters=256)
    _fake_model(tmp_path, "nouns-softmax", ["NN", "NNS", "VBG"], output="softmax", p1=0.70)
    (tmp_path / "shipped.json").write_text(json.dumps(
        {"models": ["nouns", "all-words", "nouns-softmax"], "default": "all-words"}))
    cfg = peers.shipped_configs(tmp_path)
    assert cfg["question"].config.pos_tags == tok.DEFAULT_POS and cfg["question"].hp.filters == 64
    assert cfg["question"].source == "models/nouns/metadata.json"
    assert cfg["best"].config.pos_tags is None and cfg["best"].hp.filters == 256  # softmax never "best"
    assert cfg["softmax"].hp.output == "softmax" and cfg["softmax"].hp.filters == 64
    assert cfg["best"].hp.epochs == 7


def test_shipped_configs_fall_back_without_models(tmp_path):
    cfg = peers.shipped_configs(tmp_path)
    assert cfg["question"].config.pos_tags == tok.DEFAULT_POS and "fallback" in cfg["question"].source
    assert "fallback" in cfg["best"].source and cfg["softmax"].hp.output == "softmax"


def test_parse_args():
    args = bench.parse_args(["--quick", "--skip", "app,stream"])
    assert args.quick and args.skip == ["app", "stream"] and args.stream_max_steps == 5
    assert bench.parse_args([]).stream_sizes == [100_000, 1_000_000]
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
                       "--skip", "app,memory,stream"]) == 0
    printed = capsys.readouterr().out
    assert "### Quality" in printed and "### Speed" in printed
    results = json.loads((out / "results.json").read_text())
    keys = {r["key"] for r in results["quality"]}
    assert {"question", "best", "softmax", "tfidf"} <= keys
    for r in results["quality"]:
        assert 0 <= r["p_at_1"] <= 1 and r["n"] == results["data"]["heldout_rows"]
    measures = " ".join(r["measure"] for r in results["speed"])
    assert "Tagger.suggest" in measures and "throughput" in measures and "token preprocessing" in measures
    assert all(r["ratio"] is None or r["ratio"] > 0 for r in results["speed"])
    assert results["latency"]["suggest"]["n"] == 50
    assert not [n for n in results["notes"] if "failed" in n]
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
