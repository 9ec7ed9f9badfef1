"""The benchmark's scaling sections: POS tagging on 1 vs N processes, and streaming training as the
data grows (10k, 100k, 1M generated questions), on one worker and on several.

- `tagging`: `python -m bench.tagging` in a fresh process (it imports no TensorFlow, as it would
  on a machine without it): titles per second in-process and with a pool of each size, every
  pool's output checked equal to the in-process output.
- `stream_runs`: for each size, a generated Posts.xml trains one epoch with
  `python -m tagger train --stream` (1 worker) and `--workers W` (W local workers under
  MultiWorkerMirroredStrategy), each in fresh processes. A W-worker run uses a per-worker batch of
  64 / W, so its global batch, and the number and size of its updates, equal the single worker's:
  the runs do the same training, and their validation P@1 (the same validation rows) and
  vocabulary are compared. Peak memory is each process's own high-water mark (VmHWM): for W
  workers the largest of the launcher's and the workers', and their sum.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import processes
from bench.measure import _run_json, load_average, speed_row, timed

SAME_TRAINING_TOLERANCE = 0.03  # validation P@1, 1 vs W workers (tests/test_distributed.py's tolerance)


def tagging(n: int, procs: list[int], data, log: Callable[[str], None]) -> dict:
    """bench.tagging in a fresh process; its JSON line."""
    log(f"[bench]   tagging {n:,} titles in-process and with {', '.join(map(str, procs))} processes")
    args = ["-m", "bench.tagging", "--n", str(n), "--processes", ",".join(map(str, procs)), "--quiet"]
    if data:
        args += ["--data", str(data)]
    return _run_json(args, timeout=6 * 3600)


def tagging_rows(result: dict) -> list[dict]:
    ref = result["in_process"]
    return [speed_row(f"POS tagging, {result['titles']:,} titles, pool of {r['processes']} process"
                      f"{'es' if r['processes'] > 1 else ''} (start-up included; output "
                      f"{'identical' if r['identical'] else 'DIFFERENT'})", r["titles_per_s"], "titles/s",
                      "in-process, one core", ref["titles_per_s"], higher_is_better=True)
            for r in result["pools"]]


def _train(xml: Path, n: int, workers: int, work: Path, max_steps: int | None) -> dict:
    run_dir = work / f"run-{n}-{workers}"
    run_dir.mkdir()
    cmd = ["-m", "tagger", "train", "--data", str(xml), "--epochs", "1", "--quiet", "--work-dir", str(run_dir),
           "--out", str(run_dir / "model"), "--overwrite"]
    cmd += ["--stream", "--batch-size", "64"] if workers == 1 else ["--workers", str(workers),
                                                                     "--batch-size", str(64 // workers)]
    if max_steps:
        cmd += ["--max-steps", str(max_steps)]
    load = load_average()
    stats, wall = timed(_run_json, cmd, timeout=6 * 3600)
    if workers == 1:
        peaks = [stats["peak_rss_mb"]]
        train_s = stats["train_seconds"]
    else:
        peaks = [stats["peak_rss_mb"], *stats["worker_peak_rss_mb"]]
        train_s = stats["cluster_seconds"]
    return {"mode": "streaming" if workers == 1 else "streaming, multi-worker", "workers": workers,
            "questions": stats["questions"], "wall_seconds": round(wall, 1), "tag_seconds": stats["tag_seconds"],
            "train_seconds": train_s, "steps": stats["steps"], "max_steps_per_epoch": max_steps,
            "peak_rss_mb": max(peaks), "peak_rss_mb_sum": round(sum(peaks), 1), "peak_rss_mb_each": peaks,
            "val_p_at_1": stats.get("val_p_at_1"), "vocab_fingerprint": stats.get("vocab_fingerprint"),
            "load_average_before": load, "load_average_after": load_average(), "command": " ".join(cmd[1:4])}


def stream_runs(sizes: list[int], workers: list[int], data, max_steps: int | None, inmemory_at: int | None,
                log: Callable[[str], None]) -> dict:
    """Every (size, workers) run, the in-memory reference at `inmemory_at`, and the 1-vs-W checks."""
    from bench.synthetic import write_synthetic_posts

    runs, checks, reference = [], [], None
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as d:
        work = Path(d)
        for n in sizes:
            xml = work / f"Posts-{n}.xml"
            _, gen_s = timed(write_synthetic_posts, xml, n, data, 0)
            size_mb = round(xml.stat().st_size / 2**20, 1)
            by_workers = {}
            for w in workers:
                log(f"[bench]   streaming {n:,} questions ({size_mb:.0f} MB Posts.xml), {w} worker(s)")
                run = _train(xml, n, w, work, max_steps)
                run.update(posts_xml_mb=size_mb, generate_seconds=round(gen_s, 1))
                runs.append(run)
                by_workers[w] = run
            if 1 in by_workers:
                one = by_workers[1]
                for w, run in by_workers.items():
                    if w == 1 or one["val_p_at_1"] is None or run["val_p_at_1"] is None:
                        continue
                    diff = run["val_p_at_1"] - one["val_p_at_1"]
                    checks.append({"questions": n, "workers": w, "val_p_at_1_1_worker": one["val_p_at_1"],
                                   f"val_p_at_1_{w}_workers": run["val_p_at_1"], "difference": round(diff, 4),
                                   "same_vocabulary_and_tags": run["vocab_fingerprint"] == one["vocab_fingerprint"],
                                   "within_tolerance": abs(diff) <= SAME_TRAINING_TOLERANCE})
            if n == inmemory_at:
                log(f"[bench]   in-memory reference at {n:,} questions")
                reference = _run_json(["-c", processes.INMEMORY_CHILD, str(xml)], timeout=6 * 3600)
            xml.unlink()
    return {"runs": runs, "checks": checks, "inmemory_reference": reference,
            "tolerance": SAME_TRAINING_TOLERANCE}


def stream_rows(result: dict) -> list[dict]:
    """Speed rows: memory and time of the largest size against the smallest, per worker count."""
    rows = []
    for w in sorted({r["workers"] for r in result["runs"]}):
        mine = [r for r in result["runs"] if r["workers"] == w]
        small, large = mine[0], mine[-1]
        label = f"{w} worker{'s' if w > 1 else ''}"
        if large is not small:
            rows.append(speed_row(f"streaming training, {label}, peak memory (largest process), "
                                  f"{large['questions']:,} questions", large["peak_rss_mb"], "MB",
                                  f"{small['questions']:,} questions", small["peak_rss_mb"]))
            rows.append(speed_row(f"streaming training, {label}, wall time, {large['questions']:,} questions",
                                  large["wall_seconds"], "s", f"{small['questions']:,} questions",
                                  small["wall_seconds"], higher_is_better=None))
    ref = result.get("inmemory_reference")
    same = [r for r in result["runs"] if ref and r["workers"] == 1 and r["questions"] == ref["questions"]]
    if same:
        rows.append(speed_row(f"streaming training, peak memory, {ref['questions']:,} questions",
                              same[0]["peak_rss_mb"], "MB",
                              f"in-memory path (load_questions + train_tagger), {ref['questions']:,}",
                              ref["peak_rss_mb"]))
    return rows
