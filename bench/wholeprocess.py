"""Training as a whole process: from the data file (tagging cache warm) to a saved model, as a user
runs it, for the Conv1D (`python -m tagger train`) and for fastText's tutorial settings.

Both start a fresh Python, read the same CSV, take the same tokens from the tagging cache and save a
model; their wall-clock times are compared in alternating rounds (Conv1D, fastText, Conv1D, ...) so
that a change in the machine's load hits both, and the medians are reported with their ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.measure import _child_env, load_average
from bench.peers import FASTTEXT
from tagger.core import paths

# fastText as a whole process: the same loader and tokens as the Conv1D, its tutorial settings.
FASTTEXT_CHILD = r"""
import os, sys, tempfile
import fasttext
from tagger.data import loaders
from tagger.text import cache, tokens as tok
df = loaders.load_questions(sys.argv[1])
token_lists = cache.tokens_many(df.title.tolist(), tok.TokenConfig.from_pos(sys.argv[2]))
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    for tokens, tags in zip(token_lists, df.tags):
        if tokens:
            f.write(" ".join("__label__" + t for t in tags) + " " + " ".join(tokens) + "\n")
model = fasttext.train_supervised(input=f.name, verbose=0, seed=0, **PARAMS)
model.save_model(sys.argv[3])
os.unlink(f.name)
"""


def conv1d_command(data: Path, out: Path, pos: str, members: int, epochs: int) -> list[str]:
    return [sys.executable, "-m", "tagger", "train", "--data", str(data), "--out", str(out), "--pos", pos,
            "--members", str(members), "--epochs", str(epochs), "--overwrite"]


def fasttext_command(data: Path, out: Path, pos: str) -> list[str]:
    return [sys.executable, "-c", FASTTEXT_CHILD.replace("PARAMS", repr(FASTTEXT)), str(data), pos, str(out)]


def _wall(cmd: list[str], timeout: float) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=paths.REPO, env=_child_env(), capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd[1:4])} failed: {' | '.join(tail)}")
    return seconds


def compare(data: Path, pos: str = "all", members: int = 1, epochs: int = 10, rounds: int = 3,
            log: Callable[[str], None] = lambda msg: None, timeout: float = 1800) -> dict:
    """Median wall seconds of each whole process over `rounds` alternating rounds, and their ratio."""
    times: dict[str, list[float]] = {"conv1d": [], "fasttext": []}
    loads = []
    with tempfile.TemporaryDirectory(prefix="bench-whole-") as d:
        for i in range(rounds):
            loads.append(load_average())
            times["conv1d"].append(_wall(conv1d_command(data, Path(d) / "conv", pos, members, epochs), timeout))
            times["fasttext"].append(_wall(fasttext_command(data, Path(d) / "ft.bin", pos), timeout))
            log(f"[bench]   round {i + 1}: Conv1D {times['conv1d'][-1]:.1f} s, fastText {times['fasttext'][-1]:.1f} s")
    conv, ft = statistics.median(times["conv1d"]), statistics.median(times["fasttext"])
    return {"command": " ".join(conv1d_command(data, Path("OUT"), pos, members, epochs)[1:]),
            "fasttext": f"fastText tutorial settings {FASTTEXT}, same loader and tokens, saved model",
            "pos": pos, "rounds": rounds, "seconds": times, "conv1d_median_s": conv, "fasttext_median_s": ft,
            "ratio": conv / ft if ft else None, "load_average_per_round": loads}
