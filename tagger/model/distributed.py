"""Training on several worker processes: `python -m tagger train --workers N` (N local workers).

The model is the same Conv1D, trained by the same loop (`training.fit`), with TensorFlow's
`MultiWorkerMirroredStrategy`: every worker holds a copy of the weights and each step's gradients
are averaged across workers by an all-reduce, so one step is one step on the global batch
(per-replica batch x workers). `train_distributed` does it in three parts:

1. **Here, once, before any worker starts** (nothing that every worker must agree on is computed
   twice): the data file is streamed and tagged on every core into the token spool
   (`streaming.spool_tokens`, any file the loader reads: a project CSV or a Stack Exchange
   Posts.xml); the vocabulary and the tag list are counted from it (`streaming.vocabulary_and_tags`,
   the same rule as single-worker streaming: every 10th question is validation); the training rows
   are dealt into one shard file per worker (row i to shard i mod N); and a job file says what each
   worker needs, with `steps_per_epoch` from the smallest shard.
2. **The cluster** (`cluster.run_cluster`, which never imports TensorFlow): N processes of
   `tagger.model.distributed_worker` on 127.0.0.1 ports, watched; a worker that dies fails the
   run within seconds, with one line saying which. The chief (worker 0) saves the trained model.
3. **Here again, after the cluster is done**: the chief's `model.keras` is loaded in this process
   (no strategy, no peers), the validation rows are scored with plain model calls to pick the
   threshold and report P@1 (in a cluster, `model.predict` on the chief alone would wait for the
   other workers), and the result is an ordinary `Tagger`: format 2, metadata like any model,
   loaded by `Tagger.load` and the app.

The run trains a fixed number of epochs: early stopping would need the validation score agreed by
every worker each epoch (docs/scaling.md).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tagger.core import atomic, paths
from tagger.model import cluster, network, streaming
from tagger.model.network import HParams
from tagger.scoring.labels import TagColumns
from tagger.text import pool, tokens as tok

paths.quiet_tensorflow()

MAX_WORKERS = 16
COLLECTIVE_TIMEOUT_S = 120.0  # a collective waiting this long for a peer fails (a peer hung in Python)
STALL_TIMEOUT_S = 600.0  # no progress line from any worker for this long fails the run


@dataclasses.dataclass
class Prepared:
    """What part 1 wrote: the spool (validation rows included), its counts, and the job file."""

    spool: streaming.Spool
    vocab: streaming.Vocab
    job_path: Path
    job: dict


def write_shards(spool: streaming.Spool, vocab: streaming.Vocab, hp: HParams, workers: int,
                 out_dir: Path) -> tuple[list[str], list[int]]:
    """Deal the spool's training rows (learnable, not validation) into one JSON-lines file per worker."""
    columns = TagColumns(vocab.tags)
    files = [out_dir / f"shard-{k:03d}-of-{workers:03d}.jsonl" for k in range(workers)]
    rows = [0] * workers
    handles = [open(f, "w", encoding="utf-8") for f in files]
    try:
        k = 0
        for i, (tokens, tags) in enumerate(spool.rows_iter()):
            if streaming.is_validation(i, hp) or not columns.learnable(tags):
                continue
            handles[k % workers].write(json.dumps([tokens, tags], ensure_ascii=False) + "\n")
            rows[k % workers] += 1
            k += 1
    finally:
        for h in handles:
            h.close()
    return [str(f) for f in files], rows


def prepare(path, config: tok.TokenConfig, hp: HParams, workers: int, work_dir, *, limit: int | None = None,
            max_steps: int | None = None, processes: int | None = None,
            say: Callable[[str], None] = lambda msg: None) -> Prepared:
    """Part 1: the spool, the vocabulary and tags, the shard files and the job file, in `work_dir`."""
    if hp.fitted_beside:
        raise ValueError("the wide and neighbours branches, the rarity shift and the tag-name boost are fitted in "
                         "memory beside the Conv1D: multi-worker training builds the Conv1D only (drop --wide, --knn, "
                         "--rarity, --mention-title and --mention-body)")
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    spool = streaming.spool_tokens(path, config, work_dir, limit, lambda n: say(f"tagged {n} questions"),
                                   processes=processes)
    say(f"tagged {spool.rows} questions in {spool.seconds:.0f} s")
    vocab = streaming.vocabulary_and_tags(spool, hp)
    if len(vocab.tags) < 2 or not vocab.vocabulary:
        raise ValueError(f"too little to learn from: {len(vocab.tags)} tags with at least {hp.min_tag_count} "
                         f"questions and {len(vocab.vocabulary)} tokens")
    shards, rows = write_shards(spool, vocab, hp, workers, work_dir)
    steps = min(rows) // hp.batch_size  # per replica: each worker takes batch_size rows a step
    if max_steps:
        steps = min(steps, max_steps)
    if steps < 1:
        raise ValueError(f"too little to train {workers} workers: the smallest shard has {min(rows)} training "
                         f"questions, fewer than one batch of {hp.batch_size}")
    job = {"vocabulary": vocab.vocabulary, "tags": vocab.tags, "tag_prior": vocab.tag_prior,
           "hparams": hp.to_dict(), "shards": shards,
           "shard_rows": rows, "steps_per_epoch": steps, "model_path": str(work_dir / "model.keras"),
           "threads": max(1, pool.available_cores() // workers), "collective_timeout_s": COLLECTIVE_TIMEOUT_S}
    Path(job["model_path"]).unlink(missing_ok=True)  # a reused work dir: never mistake an old model for this run's
    job_path = work_dir / "job.json"
    atomic.write_json(job_path, job)
    return Prepared(spool, vocab, job_path, job)


def _progress_reporter(say: Callable[[str], None], epochs: int, steps: int):
    """Turns the workers' progress lines into a few readable ones (the chief's epochs, each worker's start)."""

    def on_event(worker: cluster.Worker, event: dict) -> None:
        kind = event.get("event")
        if kind == "ready":
            say(f"worker {worker.rank} ready (pid {event.get('pid')}): {event.get('shard_rows')} training questions, "
                f"{steps} steps of {event.get('global_batch')} (global batch) per epoch")
        elif kind == "epoch" and worker.rank == 0:
            say(f"epoch {event.get('epoch')}/{epochs}: loss {event.get('loss'):.4f}")
        elif kind == "step" and worker.rank == 0 and event.get("epoch") == 1 and event.get("step") == 1:
            say("the first step is done: the workers are training together")

    return on_event


def finish(prepared: Prepared, config: tok.TokenConfig, hp: HParams, workers: int, done: list[dict],
           source: str):
    """Part 3: the chief's saved model, its threshold and metadata, as a `Tagger` (unsaved)."""
    import keras

    import tagger.model.layers  # noqa: F401  (registers the network's custom layer for safe_mode)
    from tagger.model import training
    from tagger.model.predictor import Tagger
    from tagger.scoring import metrics

    model = keras.models.load_model(prepared.job["model_path"], compile=False, safe_mode=True)
    tags = prepared.vocab.tags
    validation = streaming.validation_sample(prepared.spool, network.lookup_of(model), tags, hp)
    history = [dict(row) for row in done[0].get("history", [])]
    threshold = 0.5
    if len(validation):
        probs = training.predict(network.core_of(model), validation.ids)
        threshold = metrics.best_threshold(validation.true_tags, tags, probs)
        if history:  # scored once, after the last epoch (no per-epoch validation in the cluster)
            history[-1].update(training.validation_scores(validation, probs, tags, hp))
    job = prepared.job
    info = {"source": source, "rows": prepared.spool.rows,
            "rows_used": prepared.vocab.train_rows + prepared.vocab.val_rows, "streamed": True,
            "workers": workers, "strategy": "MultiWorkerMirroredStrategy (127.0.0.1)",
            "global_batch": hp.batch_size * workers, "steps_per_epoch": job["steps_per_epoch"],
            "shard_rows": job["shard_rows"], "validation_rows_scored": len(validation)}
    metadata = training.model_metadata(config, len(prepared.vocab.vocabulary), tags, threshold, hp, history, info)
    return Tagger(model, metadata)


def train_distributed(path, config: tok.TokenConfig, hp: HParams, workers: int, *, work_dir=None,
                      max_steps: int | None = None, limit: int | None = None, deadline_s: float | None = None,
                      stall_timeout_s: float | None = STALL_TIMEOUT_S, processes: int | None = None,
                      progress: Callable[[str], None] | None = None) -> streaming.StreamRun:
    """Train a Conv1D tagger on `workers` local worker processes; returns it (unsaved) with statistics.

    Args:
        path: any data file the loader streams (project CSV, Kaggle CSV, fastText lines, Posts.xml).
        config: the token filter.
        hp: hyperparameters; `batch_size` is per worker (the global batch is `workers` times it) and
            `epochs` are all trained (no early stopping).
        workers: worker processes (2 to `MAX_WORKERS`).
        work_dir: where the spool, shards, job file, worker logs and the chief's model go (default:
            a temporary folder, removed afterwards).
        max_steps: cap the steps per epoch (benchmarks on very large files).
        limit: read only the first `limit` questions.
        deadline_s: fail when the cluster runs longer than this (None: no deadline).
        stall_timeout_s: fail when no worker reports progress for this long.
        processes: tagging processes for the spool (None: every core).
        progress: called with a line of text as the run goes.

    Raises:
        cluster.ClusterError: a worker failed, was killed or stalled, or the deadline passed.
        ValueError: the data is too small for the model or for this many workers.
    """
    if not 2 <= int(workers) <= MAX_WORKERS:
        raise ValueError(f"--workers must be between 1 and {MAX_WORKERS} (1: the single-process path)")
    say = progress or (lambda msg: None)
    own_dir = None
    if work_dir is None:
        own_dir = tempfile.TemporaryDirectory(prefix="tagger-workers-")
        work_dir = own_dir.name
    try:
        t0 = time.perf_counter()
        prepared = prepare(path, config, hp, workers, work_dir, limit=limit, max_steps=max_steps,
                           processes=processes, say=say)
        prepare_seconds = time.perf_counter() - t0
        parent_peak = streaming.peak_rss_mb()  # before this process imports TensorFlow (part 3)
        say(f"starting {workers} workers on 127.0.0.1 (logs in {Path(work_dir) / 'logs'})")
        result = cluster.run_cluster(
            prepared.job_path, workers, Path(work_dir) / "logs", deadline_s=deadline_s,
            stall_timeout_s=stall_timeout_s,
            on_event=_progress_reporter(say, hp.epochs, prepared.job["steps_per_epoch"]))
        if result["note"]:
            say(result["note"])
        t1 = time.perf_counter()
        tagger = finish(prepared, config, hp, workers, result["workers"], Path(path).name)
        finish_seconds = time.perf_counter() - t1
        done = result["workers"]
        last = tagger.metadata["history"][-1] if tagger.metadata["history"] else {}
        stats = {"questions": prepared.spool.rows, "workers": workers, "tag_seconds": round(prepared.spool.seconds, 1),
                 "prepare_seconds": round(prepare_seconds, 1), "cluster_seconds": result["wall_seconds"],
                 "fit_seconds": [d.get("fit_seconds") for d in done], "finish_seconds": round(finish_seconds, 1),
                 "steps": done[0].get("steps"), "steps_per_epoch": prepared.job["steps_per_epoch"],
                 "epochs": hp.epochs, "max_steps_per_epoch": max_steps, "shard_rows": prepared.job["shard_rows"],
                 "train_rows": prepared.vocab.train_rows, "val_rows": prepared.vocab.val_rows,
                 "vocabulary": len(prepared.vocab.vocabulary), "tags": len(prepared.vocab.tags),
                 "val_p_at_1": last.get("val_p_at_1"), "vocab_fingerprint": streaming.fingerprint(prepared.vocab),
                 "worker_losses": [[row.get("loss") for row in d.get("history", [])] for d in done],
                 "parent_peak_rss_mb_before_finish": round(parent_peak, 1),
                 "worker_peak_rss_mb": [d.get("peak_rss_mb") for d in done],
                 "skipped": dict(prepared.spool.report.skipped)}
        tagger.metadata["training_data"]["seconds"] = round(time.perf_counter() - t0, 1)
        return streaming.StreamRun(tagger, stats)
    finally:
        if own_dir is not None:
            own_dir.cleanup()
