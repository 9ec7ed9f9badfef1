"""Multi-worker training: `python -m tagger train --workers 2` on 127.0.0.1, end to end.

Real worker processes under MultiWorkerMirroredStrategy, as a user runs them (the CLI), on a small
generated Posts.xml: the saved model answers like a single-worker model trained on the same data,
and a worker killed mid-run ends the run with one clear line instead of a hang. Every wait is
bounded (generous, for a busy 2-core machine); no timing is asserted.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.synthetic import write_synthetic_posts
from tagger import Tagger
from tagger.data import loaders
from tagger.data.split import holdout_split
from tagger.model import cluster
from tagger.scoring.baselines import MostFrequentBaseline, evaluate_scorer
from tests.core_fixtures import real_questions

REPO = Path(__file__).resolve().parents[1]
BOUND_S = 900  # a whole CLI run, on a machine shared with other jobs
SHAPE = ["--embedding-dim", "32", "--filters", "64", "--kernel-sizes", "1,2", "--learning-rate", "0.005",
         "--epochs", "5", "--seed", "3", "--quiet"]
# Two workers of 32 rows a step make a global batch of 64, the single worker's batch: the same
# number of updates of the same size, so the two runs should learn the same thing. Seeds, shuffles
# and the order of the rows differ, which moved P@1 by up to TOLERANCE between runs here.
TOLERANCE = 0.03


def cli(*args, timeout=BOUND_S):
    return subprocess.run([sys.executable, "-m", "tagger", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A generated Posts.xml made from the fixed split's training questions, and the held-out ones."""
    root = tmp_path_factory.mktemp("workers")
    train, test = holdout_split(real_questions())
    source = root / "train.csv"
    train.assign(tags=train.tags.str.join(" "))[["id", "title", "tags"]].to_csv(source, index=False)
    return {"root": root, "posts": write_synthetic_posts(root / "Posts.xml", 8000, source=source, seed=3),
            "test": test, "source": source}


@pytest.fixture(scope="module")
def trained(data):
    root = data["root"]
    two = cli("train", "--workers", "2", "--data", data["posts"], "--out", root / "two", "--batch-size", "32",
              "--work-dir", root / "work", *SHAPE)
    assert two.returncode == 0, two.stderr[-3000:]
    one = cli("train", "--stream", "--data", data["posts"], "--out", root / "one", "--batch-size", "64", *SHAPE)
    assert one.returncode == 0, one.stderr[-3000:]
    last = [json.loads(r.stdout.strip().splitlines()[-1]) for r in (two, one)]
    return {"two": last[0], "one": last[1], "work": root / "work"}


def test_two_workers_save_one_ordinary_model(data, trained, scratch_registry):
    stats = trained["two"]
    assert stats["workers"] == 2 and stats["questions"] == 8000
    # Every worker took the same steps on its own shard, and the all-reduced loss is the same on both.
    assert stats["steps"] == stats["steps_per_epoch"] * 5 and min(stats["shard_rows"]) >= stats["steps_per_epoch"] * 32
    losses = stats["worker_losses"]
    assert len(losses) == 2 and len(losses[0]) == 5 and losses[0] == pytest.approx(losses[1], rel=1e-4)
    assert losses[0][-1] < losses[0][0]
    # The same data preparation as the single-worker path: same vocabulary and tags.
    assert stats["vocab_fingerprint"] == trained["one"]["vocab_fingerprint"]
    tagger = Tagger.load(data["root"] / "two")
    meta = tagger.metadata
    assert meta["format"] == "cooking-tagger/2" and meta["training_data"]["workers"] == 2
    assert meta["training_data"]["global_batch"] == 64 and len(meta["history"]) == 5
    assert 0 < meta["threshold"] < 1 and "val_p_at_1" in meta["history"][-1]
    # The app's registry takes it like any other model.
    shutil.copytree(data["root"] / "two", scratch_registry.root / "two-workers")
    assert scratch_registry.load("two-workers").suggest("How do I keep bread dough from sticking?", 3)


def test_two_workers_answer_like_one_worker_on_held_out_questions(data, trained):
    test = data["test"]  # real questions the generated dump was not made from
    two, one = Tagger.load(data["root"] / "two"), Tagger.load(data["root"] / "one")
    tokens = two.tokens_many(test.title.tolist())  # the same filter for both
    scores = {name: evaluate_scorer(t, tokens, test.tags.tolist()) for name, t in (("two", two), ("one", one))}
    seen = loaders.load_questions(data["posts"]).tags.tolist()
    floor = evaluate_scorer(MostFrequentBaseline().fit(None, seen), tokens, test.tags.tolist())["p_at_1"]
    print({k: round(v["p_at_1"], 4) for k, v in scores.items()}, "most frequent:", round(floor, 4))
    assert abs(scores["two"]["p_at_1"] - scores["one"]["p_at_1"]) <= TOLERANCE
    assert scores["two"]["p_at_1"] > floor + 0.05  # it learned from the tokens, not only the base rates


def test_a_deadline_stops_the_workers_and_says_so(trained):
    work = trained["work"]
    with pytest.raises(cluster.ClusterError, match="did not finish within 2 s") as err:
        cluster.run_cluster(work / "job.json", 2, work / "deadline-logs", deadline_s=2)
    assert "\n" not in str(err.value)


def test_a_worker_that_fails_to_start_fails_the_run_with_its_reason(tmp_path):
    with pytest.raises(cluster.ClusterError) as err:
        cluster.run_cluster(tmp_path / "no-such-job.json", 2, tmp_path / "logs", deadline_s=BOUND_S)
    message = str(err.value)
    assert "exited with status 3 before the first training step" in message and "FileNotFoundError" in message
    assert "nothing was saved" in message and "\n" not in message


def _lines(stream, into: queue.Queue):
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def _long_run_until(data, out, until: str):
    """Start a 2-worker CLI run far longer than any test waits for; return once a stderr line starts
    with `until`: (process, {rank: pid}, the stderr line queue)."""
    # A CSV this time: the loader streams any data file.
    proc = subprocess.Popen([sys.executable, "-m", "tagger", "train", "--workers", "2", "--data", data["source"],
                             "--out", out, "--epochs", "200", "--embedding-dim", "16", "--filters", "16",
                             "--deadline", str(BOUND_S - 60)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
    pids, seen, end = {}, [], time.monotonic() + BOUND_S
    try:
        while not (any(ln.startswith(until) for ln in seen) and len(pids) == 2):
            line = lines.get(timeout=max(1.0, end - time.monotonic()))
            assert line is not None, f"the run ended early: {seen[-5:]}"
            seen.append(line)
            if line.startswith("worker ") and " ready (pid " in line:
                pids[int(line.split()[1])] = int(line.split("(pid ")[1].split(")")[0])
        return proc, pids, lines
    except BaseException:
        proc.kill()
        raise


def _finish(proc, lines) -> list[str]:
    try:
        proc.wait(timeout=BOUND_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = []
    while (line := lines.get(timeout=30)) is not None:
        rest.append(line)
    return rest


def test_a_worker_killed_mid_run_fails_the_run_with_one_clear_line(data, tmp_path):
    out = tmp_path / "never"
    proc, pids, lines = _long_run_until(data, out, "the first step is done")
    os.kill(pids[1], signal.SIGKILL)
    rest = _finish(proc, lines)
    assert proc.returncode == 2
    assert rest and rest[-1].startswith("error: worker 1 was killed by SIGKILL at step "), rest[-3:]
    assert "nothing was saved" in rest[-1] and not any("Traceback" in ln for ln in rest)
    assert not out.exists()
    assert not Path(f"/proc/{pids[0]}").exists()  # the survivor was stopped, not left waiting


def test_a_terminated_launcher_takes_its_workers_with_it(data, tmp_path):
    proc, pids, lines = _long_run_until(data, tmp_path / "never", "worker 1 ready")
    proc.send_signal(signal.SIGTERM)
    rest = _finish(proc, lines)
    assert proc.returncode == 2 and rest[-1].startswith("error: the launcher was terminated (SIGTERM)"), rest[-3:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids.values())


def test_worker_options_are_checked_before_any_work(data, tmp_path):
    r = cli("train", "--workers", "0", "--data", data["posts"], "--out", tmp_path / "x")
    assert r.returncode == 2 and r.stderr.strip() == "error: --workers must be between 1 and 16"
    r = cli("train", "--workers", "2", "--data", data["posts"], "--out", tmp_path / "x", "--eval-data", data["source"])
    assert r.returncode == 2 and "--eval-data needs the single-process path" in r.stderr
    r = cli("train", "--workers", "2", "--data", tmp_path / "missing.xml", "--out", tmp_path / "x")
    assert r.returncode == 2 and r.stderr.strip().endswith("missing.xml: file not found")
    (tmp_path / "exists").mkdir()
    r = cli("train", "--workers", "2", "--data", data["posts"], "--out", tmp_path / "exists")
    assert r.returncode == 2 and "already exists" in r.stderr and "Traceback" not in r.stderr


def test_too_little_data_for_two_workers_says_so(tmp_path):
    small = tmp_path / "small.csv"
    df = real_questions().head(60)
    df.assign(tags=df.tags.str.join(" "))[["id", "title", "tags"]].to_csv(small, index=False)
    r = cli("train", "--workers", "2", "--data", small, "--out", tmp_path / "m", "--quiet")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("error: too little to")


def test_ports_and_tf_config():
    ports = cluster.free_ports(3)
    assert len(set(ports)) == 3 and all(p > 0 for p in ports)
    config = json.loads(cluster.tf_config(ports, 1))
    assert config == {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": 1}}
    assert cluster.describe_exit(-9) == "was killed by SIGKILL" and cluster.describe_exit(3) == "exited with status 3"
