"""One worker of a multi-worker training run: `python -m tagger.model.distributed_worker JOB RANK`.

Started by `tagger.model.distributed` (the launcher), never by hand: the launcher has written the
job file (vocabulary, tags, hyperparameters, this run's shard files, steps per epoch) and sets
`TF_CONFIG` for this process. The worker, in this order, because each step fails otherwise:

1. **Strategy first.** Threading options, then `MultiWorkerMirroredStrategy` (ring all-reduce over
   gRPC, a timeout on every collective), before any other TensorFlow call: the strategy starts the
   gRPC server and the collective runtime, and refuses once the eager context exists.
2. **Its own shard.** Worker k reads shard file k only, with auto-sharding OFF (a generator dataset
   can't be sharded by file, and DATA sharding would make every worker read everything). Batches
   carry the *global* batch (per-replica batch x replicas): Keras distributes the dataset and
   re-batches it to global / replicas rows per replica. The stream repeats, and every worker takes
   the launcher's `steps_per_epoch` (from the smallest shard): an all-reduce waits for every worker,
   so one that ran out of data early would leave the others blocked in a collective.
3. **Build in scope, fit with two Keras fixes.** The network is built and compiled inside
   `strategy.scope()`; `keras_multi_worker_fixes` patches this one model instance around two Keras
   3.15 bugs that stop `fit` before its first step under this strategy; then `training.fit`, the
   project's one training loop, runs the fixed number of epochs (no validation: early stopping
   would need its number agreed by every worker, see docs/scaling.md).
4. **Only the chief saves** (`model.keras` of the tokens -> probabilities model, to a temporary
   name, then `os.replace`); then every worker meets at an exit barrier (a one-element all-reduce),
   so no worker tears down while a peer still needs it.

It reports JSON lines on stdout ({"event": "ready" | "step" | "epoch" | "saved" | "done" | "error",
...}), which the launcher watches; anything else goes to stderr (the launcher's log file). Exit
status 0 on success, 3 on any error (the "error" line says which).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from tagger.core import atomic, paths

paths.quiet_tensorflow()

T0 = time.perf_counter()


def say(event: str, **fields) -> None:
    """One progress line for the launcher."""
    print(json.dumps({"event": event, "t": round(time.perf_counter() - T0, 2), **fields}), flush=True)


def make_strategy(threads: int, collective_timeout_s: float):
    """The MultiWorkerMirroredStrategy of this process's TF_CONFIG, and (rank, number of workers)."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=collective_timeout_s,
        implementation=tf.distribute.experimental.CommunicationImplementation.RING)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    resolver = strategy.cluster_resolver
    return strategy, resolver.task_id, resolver.cluster_spec().num_tasks("worker")


def keras_multi_worker_fixes(model, element_spec) -> None:
    """Work around two Keras 3.15 bugs that stop `model.fit` under a multi-worker strategy.

    Both changes are attributes of this one model instance: no class is patched, nothing is saved
    in `model.keras`, and every other model in the process is left alone (keras-team/keras#20585,
    tensorflow/tensorflow#72388, keras-team/keras#21069).

    1. `fit` first runs `_maybe_symbolic_build(iterator=...)`, which takes the first distributed
       batch and reduces it with `strategy.reduce("MEAN", batch, axis=None)` only to learn its
       shapes; with PerReplica values from several workers that raises "Attempt to convert a value
       (PerReplica...) ... to a Tensor". Keras needs shapes and dtypes only, so it gets a local
       one-row zero batch made from the dataset's `element_spec`.
    2. Each step's logs go through `strategy.reduce("MEAN", value, axis=0)`, which fails on scalar
       logs ("Invalid reduction dimension 0 for input with 0 dimensions"). Returning every scalar
       log with shape [1] from `train_step` / `test_step` (Keras's public override points) makes
       that the mean across replicas it was meant to be.

    Args:
        model: the compiled Keras model that `fit` will train.
        element_spec: the `element_spec` of the dataset passed to `fit`.
    """
    import tensorflow as tf

    example = tf.nest.map_structure(lambda s: tf.zeros([1] + [d or 1 for d in s.shape[1:]], s.dtype), element_spec)
    symbolic_build = model._maybe_symbolic_build

    def build_from_spec(iterator=None, data_batch=None):
        return symbolic_build(data_batch=example if data_batch is None else data_batch)

    model._maybe_symbolic_build = build_from_spec

    def rank_one_logs(step):
        def wrapped(data):
            return tf.nest.map_structure(lambda v: tf.reshape(v, [1]) if v.shape.rank == 0 else v, step(data))

        return wrapped

    model.train_step = rank_one_logs(model.train_step)
    model.test_step = rank_one_logs(model.test_step)


def exit_barrier(strategy, n_workers: int) -> None:
    """Wait until every worker is past training (and the chief has saved).

    Without it, the research runs saw the worker that finished last sit 5-95 s in `fit`'s teardown
    after its peer had exited, until a heartbeat to the departed chief failed. The barrier's sum
    doubles as a check that every worker is still there.
    """
    import tensorflow as tf

    total = strategy.reduce("SUM", strategy.run(lambda: tf.ones([])), axis=None)
    if int(total) != n_workers:
        raise RuntimeError(f"the exit barrier counted {int(total)} workers, expected {n_workers}")


def save_model(model, path: Path) -> None:
    """Write `model.keras` atomically: a reader never finds half a file."""
    atomic.write_file(path, model.save)


def train(job: dict, rank_arg: int) -> dict:
    """The worker's whole run; returns what its "done" line reports."""
    strategy, rank, n_workers = make_strategy(job["threads"], job["collective_timeout_s"])
    if rank != rank_arg:
        raise RuntimeError(f"TF_CONFIG says this is worker {rank}, the launcher started worker {rank_arg}")
    import keras

    from tagger.model import network, streaming, training
    from tagger.model.network import HParams

    hp = HParams.from_dict(job["hparams"])
    keras.utils.set_random_seed(hp.seed)  # the same initial weights on every worker
    replicas = strategy.num_replicas_in_sync
    shard = streaming.Spool.of(job["shards"][rank], job["shard_rows"][rank])
    steps = int(job["steps_per_epoch"])
    with strategy.scope():
        net = network.build(job["vocabulary"], len(job["tags"]), hp, tag_prior=job["tag_prior"])
        network.compile_trainer(net.trainer, hp)
    # The shard holds training rows only (validation_split 0 here: the launcher kept the validation
    # rows apart), in global batches, endlessly; a different shuffle per worker.
    shard_hp = dataclasses.replace(hp, validation_split=0.0, batch_size=hp.batch_size * replicas,
                                   seed=hp.seed + rank)
    ds = streaming.make_dataset(shard, net.lookup, job["tags"], shard_hp, "train", repeat=True)
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    ds = ds.with_options(options)
    keras_multi_worker_fixes(net.trainer, ds.map(network.member_targets(hp)).element_spec)
    say("ready", rank=rank, pid=os.getpid(), workers=n_workers, replicas=replicas, steps_per_epoch=steps,
        shard_rows=shard.rows, global_batch=hp.batch_size * replicas)

    def report(p: training.Progress) -> None:
        if p.epoch_done:
            say("epoch", rank=rank, epoch=p.epoch, loss=p.history[-1]["loss"])
        else:
            say("step", rank=rank, epoch=p.epoch + 1, step=p.batch)

    start = time.perf_counter()
    history = training.fit(net, ds, steps, None, job["tags"], hp, progress=report, steps_per_epoch=steps)
    fit_seconds = time.perf_counter() - start
    if rank == 0:
        save_model(net.model, Path(job["model_path"]))
        say("saved", rank=rank, path=job["model_path"])
    exit_barrier(strategy, n_workers)
    return {"rank": rank, "fit_seconds": round(fit_seconds, 2), "steps": steps * hp.epochs, "history": history,
            "peak_rss_mb": round(streaming.peak_rss_mb(), 1)}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m tagger.model.distributed_worker JOB.json RANK (started by the launcher)",
              file=sys.stderr)
        return 2
    try:
        job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        say("done", **train(job, int(argv[1])))
        return 0
    except Exception as e:  # the launcher reads this line; the traceback goes to the log
        import traceback

        traceback.print_exc()
        lines = str(e).strip().splitlines()
        say("error", type=type(e).__name__, message=lines[0][:300] if lines else "")
        return 3


if __name__ == "__main__":
    sys.exit(main())
