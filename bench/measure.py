"""Timing helpers, machine facts and child processes for the benchmark."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from tagger.core import paths


def latency_stats(seconds: Sequence[float]) -> dict:
    """p50/p95/mean in milliseconds of per-call timings given in seconds."""
    a = np.asarray(seconds, dtype=float) * 1000
    if not len(a):
        return {"p50_ms": None, "p95_ms": None, "mean_ms": None, "n": 0}
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "mean_ms": float(a.mean()), "n": int(len(a))}


def ratio(value, reference) -> float | None:
    """value / reference, or None when either is missing or the reference is zero."""
    if value is None or reference is None or not reference:
        return None
    return float(value) / float(reference)


def describe_ratio(r: float | None, higher_is_better: bool | None) -> str:
    """'0.05x (20x better)' style text for a ratio of value to reference (None: no judgement)."""
    if r is None:
        return "n/a"
    if higher_is_better is None:
        return f"{r:.3g}x"
    if r == 0:
        return "0x"
    better = r > 1 if higher_is_better else r < 1
    factor = r if r >= 1 else 1 / r
    word = "better" if better else "worse"
    if 0.95 <= r <= 1.05:
        return f"{r:.2f}x (about the same)"
    return f"{r:.3g}x ({factor:.3g}x {word})"


def time_each(fn: Callable, items: Sequence, warmup: int = 10) -> list[float]:
    """Seconds per call of fn(item), after `warmup` untimed calls."""
    for item in list(items)[:warmup]:
        fn(item)
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t0)
    return out


def timed(fn: Callable, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0


def speed_row(measure: str, value, unit: str, reference: str | None = None, reference_value=None,
              higher_is_better: bool | None = False, **extra) -> dict:
    r = ratio(value, reference_value)
    return {"measure": measure, "value": value, "unit": unit, "reference": reference,
            "reference_value": reference_value, "ratio": r,
            "compare": describe_ratio(r, higher_is_better) if reference else "", **extra}


# --- environment ---------------------------------------------------------------------------------
def machine_info() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        tf = sys.modules.get("tensorflow")
        gpus = [d.name for d in tf.config.list_physical_devices("GPU")] if tf else []
    except Exception:
        gpus = []
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "gpus": gpus,
            "os": platform.platform(), "python": platform.python_version()}


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(paths.REPO), env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    return env


def _run_json(args: list[str], timeout: float) -> dict:
    """Run a child Python process and parse the last line of its stdout as JSON."""
    proc = subprocess.run([sys.executable, *args], cwd=paths.REPO, env=_child_env(), capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"child {' '.join(args[:3])} failed: {' | '.join(tail)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


