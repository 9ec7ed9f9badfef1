"""Training without loading the data set into memory: the streaming loader feeds a `tf.data` pipeline.

`train_stream(path, config, hp)` works on any file `tagger.data.loaders.iter_questions` reads, a
Stack Exchange Posts.xml with millions of questions included:

1. One streaming pass over the questions (`iter_questions`, Posts.xml via `iterparse`) tags each
   title once with the same `tokens.tag_title` + `filter_tagged` the app uses, on every core
   (`tagger.text.pool`), and spools `[tokens, tags]` as JSON lines to a work file on disk (~60 bytes
   a question). Tagging is the slow step (~0.5 ms a title), so it is done once, not once per epoch.
2. Two cheap passes over the spool count tags (`TagColumns.learn`) and tokens
   (`network.build_vocabulary`). Their counters grow with the number of *distinct* tokens and tags,
   not with the number of questions.
3. Each epoch, `tf.data.Dataset.from_generator` streams the spool in padded chunks, the model's own
   `StringLookup` turns tokens into ids, and the batches go through `training.fit`, the same loop
   as in-memory training. Every 10th question (validation_split 0.1) is held out; a bounded sample
   of them picks the threshold and reports P@1 per epoch.

The result is an ordinary `Tagger`. Memory stays flat as the data grows (see the benchmark and
`docs/scaling.md`). Command line: `python -m tagger train --stream --data Posts.xml --out DIR`.
"""

from __future__ import annotations

import hashlib
import json
import resource
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from tagger.core import paths
from tagger.data import loaders
from tagger.model import network, training
from tagger.model.network import HParams
from tagger.scoring import metrics
from tagger.scoring.labels import TagColumns
from tagger.text import pool, tokens as tok

paths.quiet_tensorflow()

CHUNK = 512  # rows padded per numpy call inside the generator
SHUFFLE_BUFFER = 20_000  # rows; bounds the memory the shuffle needs
VAL_SAMPLE = 20_000  # validation rows kept in memory for the threshold and P@1


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's VmHWM (the high-water mark of this program's own memory) first: `ru_maxrss` also counts
    what a forking parent had resident when it started this process, so a child of a big process
    would report the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _val_every(hp: HParams) -> int:
    return int(round(1 / hp.validation_split)) if hp.validation_split > 0 else 0


def is_validation(i: int, hp: HParams) -> bool:
    """Row i of the spool is a validation row (every 1/validation_split-th row)."""
    every = _val_every(hp)
    return every > 0 and i % every == 0


# --- pass 1: questions -> spooled tokens -----------------------------------------------------------
@dataclass
class Spool:
    """Tokens and tags of every usable question, one JSON line each, in file order."""

    path: Path
    rows: int
    seconds: float
    report: loaders.LoadReport

    @classmethod
    def of(cls, path, rows: int) -> "Spool":
        """A spool file written before (e.g. a multi-worker run's shard), to read again."""
        return cls(Path(path), int(rows), 0.0, loaders.LoadReport(path=str(path), format="spool"))

    def rows_iter(self) -> Iterator[tuple[list[str], list[str]]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                tokens, tags = json.loads(line)
                yield tokens, tags


def spool_tokens(path, config: tok.TokenConfig, work_dir, limit: int | None = None,
                 progress: Callable[[int], None] | None = None, processes: int | None = None) -> Spool:
    """Stream the questions of `path`, tag and filter each title once, write the spool.

    The titles are POS-tagged on every core (`pool.tag_stream`, `processes` of them; a file of fewer
    than 10,000 questions is tagged in this process), in file order, so the spool is the same
    whoever tagged it.
    """
    start = time.perf_counter()
    report = loaders.LoadReport(path=str(path), format="")
    out = Path(work_dir) / "tokens.jsonl"
    questions = islice(loaders.iter_questions(path, report=report), limit)
    # The pool reads titles ahead of the results it returns; each question's tags wait here, in
    # the same order, for its tagged title (a few thousand at most: the pool's read-ahead).
    waiting_tags: deque[list[str]] = deque()

    def titles():
        for q in questions:
            waiting_tags.append(q["tags"])
            yield q["title"]

    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for tagged in pool.tag_stream(titles(), processes):
            f.write(json.dumps([tok.filter_tagged(tagged, config), waiting_tags.popleft()], ensure_ascii=False))
            f.write("\n")
            n += 1
            if progress is not None and n % 10_000 == 0:
                progress(n)
    return Spool(out, n, time.perf_counter() - start, report)


# --- pass 2: vocabulary and tags ------------------------------------------------------------------
@dataclass
class Vocab:
    vocabulary: list[str]
    tags: list[str]
    train_rows: int  # usable rows (at least one learnable tag) on each side of the split
    val_rows: int
    tag_prior: list[float] = field(default_factory=list)  # each tag's share of the training rows


def fingerprint(vocab: Vocab) -> str:
    """A short digest of the vocabulary and tag list, to tell whether two runs learned the same columns."""
    return hashlib.sha256(json.dumps([vocab.vocabulary, vocab.tags]).encode("utf-8")).hexdigest()[:12]


def vocabulary_and_tags(spool: Spool, hp: HParams) -> Vocab:
    """The same vocabulary, tag list and tag prior `train_tagger` would build, from streamed rows."""
    columns = TagColumns.learn((t for _, t in spool.rows_iter()), hp.min_tag_count)
    counts = {"train": 0, "val": 0}
    tag_counts: Counter = Counter()

    def train_tokens():
        for i, (tokens, t) in enumerate(spool.rows_iter()):
            if columns.learnable(t):
                if is_validation(i, hp):
                    counts["val"] += 1
                else:
                    counts["train"] += 1
                    tag_counts.update(set(t) & columns.known)
                    yield tokens

    vocabulary = network.build_vocabulary(train_tokens(), hp.max_vocab, hp.min_token_count)
    # As in train_tagger: the output biases start at the base rates, not at "every tag 50 %".
    prior = [tag_counts[t] / max(counts["train"], 1) for t in columns.tags]
    return Vocab(vocabulary, columns.tags, counts["train"], counts["val"], prior)


# --- pass 3: the tf.data pipeline -----------------------------------------------------------------
def make_dataset(spool: Spool, lookup, tags: list[str], hp: HParams, part: str = "train",
                 shuffle: bool = True, rows: int | None = None, repeat: bool = False):
    """A `tf.data.Dataset` of (token ids [max_len], targets [n_tags]) batches streamed from the spool.

    `lookup` is the model's StringLookup, so the ids are the ones the saved model computes. `rows`
    (the usable rows of this part, from `vocabulary_and_tags`) lets Keras know the epoch's length.
    `repeat` makes an endless stream of full batches, for a multi-worker run where every worker must
    take the same number of equal steps (`steps_per_epoch` then says where an epoch ends).
    """
    import tensorflow as tf

    if part not in ("train", "val"):
        raise ValueError("part must be 'train' or 'val'")
    columns = TagColumns(tags)
    softmax = hp.output == "softmax"

    def chunks():
        toks, ys = [], []
        for i, (tokens, tag_list) in enumerate(spool.rows_iter()):
            if is_validation(i, hp) != (part == "val") or not columns.learnable(tag_list):
                continue  # rows with no learnable tag teach nothing, as in train_tagger
            toks.append(tokens)
            ys.append(tag_list)
            if len(toks) == CHUNK:
                yield network.pad(toks, hp.max_len), columns.multi_hot(ys, softmax)
                toks, ys = [], []
        if toks:
            yield network.pad(toks, hp.max_len), columns.multi_hot(ys, softmax)

    ds = tf.data.Dataset.from_generator(chunks, output_signature=(
        tf.TensorSpec([None, hp.max_len], tf.string), tf.TensorSpec([None, len(tags)], tf.float32)))
    ds = ds.map(lambda t, y: (lookup(t), y)).unbatch()
    if shuffle:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=hp.seed, reshuffle_each_iteration=True)
    if repeat:
        return ds.repeat().batch(hp.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    ds = ds.batch(hp.batch_size)
    if rows is not None:
        ds = ds.apply(tf.data.experimental.assert_cardinality(-(-rows // hp.batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)


def validation_sample(spool: Spool, lookup, tags: list[str], hp: HParams,
                      limit: int = VAL_SAMPLE) -> training.Validation:
    """The spool's first `limit` usable validation rows, looked up by `lookup`, to score and pick a threshold."""
    import tensorflow as tf

    columns = TagColumns(tags)
    token_lists, tag_lists = [], []
    for i, (tokens, tag_list) in enumerate(spool.rows_iter()):
        if is_validation(i, hp) and columns.learnable(tag_list):
            token_lists.append(tokens)
            tag_lists.append(tag_list)
            if len(token_lists) >= limit:
                break
    ids = lookup(tf.constant(network.pad(token_lists, hp.max_len), tf.string))
    return training.Validation(ids, columns.multi_hot(tag_lists, hp.output == "softmax"), tag_lists)


@dataclass
class StreamRun:
    tagger: object  # tagger.model.predictor.Tagger
    stats: dict


def train_stream(path, config: tok.TokenConfig, hp: HParams, *, work_dir=None, max_steps: int | None = None,
                 limit: int | None = None, progress: Callable[[str], None] | None = None) -> StreamRun:
    """Train a Conv1D tagger from a streamed file; nothing proportional to the data is held in memory.

    `max_steps` caps the batches per epoch (for benchmarks on very large files); the vocabulary and
    tag passes always cover every question.
    """
    import keras

    from tagger.model.predictor import Tagger

    if hp.fitted_beside:
        raise ValueError("the wide and neighbours branches, the rarity shift and the tag-name boost are fitted in "
                         "memory beside the Conv1D: streamed training builds the Conv1D only (drop --wide, --knn, "
                         "--rarity, --mention-title and --mention-body)")
    say = progress or (lambda msg: None)
    keras.utils.set_random_seed(hp.seed)
    own_dir = None
    if work_dir is None:
        own_dir = tempfile.TemporaryDirectory(prefix="tagger-stream-")
        work_dir = own_dir.name
    try:
        spool = spool_tokens(path, config, work_dir, limit, lambda n: say(f"tagged {n} questions"))
        say(f"tagged {spool.rows} questions in {spool.seconds:.0f} s")
        peaks = {"after_tagging": round(peak_rss_mb(), 1)}
        t0 = time.perf_counter()
        vocab = vocabulary_and_tags(spool, hp)
        count_seconds = time.perf_counter() - t0
        peaks["after_counting"] = round(peak_rss_mb(), 1)
        if len(vocab.tags) < 2 or not vocab.vocabulary:
            raise ValueError(f"too little to learn from: {len(vocab.tags)} tags with at least {hp.min_tag_count} "
                             f"questions and {len(vocab.vocabulary)} tokens")
        net = network.build(vocab.vocabulary, len(vocab.tags), hp, tag_prior=vocab.tag_prior)
        network.compile_trainer(net.trainer, hp)
        train_ds = make_dataset(spool, net.lookup, vocab.tags, hp, "train", rows=vocab.train_rows)
        batches = -(-vocab.train_rows // hp.batch_size)
        if max_steps:
            train_ds, batches = train_ds.take(max_steps), min(batches, max_steps)
        validation = validation_sample(spool, net.lookup, vocab.tags, hp)
        state = {"steps": 0}

        def count(p: training.Progress) -> None:
            if p.epoch_done:
                say(f"epoch {p.epoch}: {p.history[-1]}")
            else:
                state["steps"] += 1

        t0 = time.perf_counter()
        history = training.fit(net, train_ds, batches, validation, vocab.tags, hp, progress=count)
        train_seconds = time.perf_counter() - t0
        peaks["after_training"] = round(peak_rss_mb(), 1)
        threshold = 0.5
        if len(validation):
            threshold = metrics.best_threshold(validation.true_tags, vocab.tags,
                                               training.predict(net.core, validation.ids))
        metadata = training.model_metadata(
            config, len(vocab.vocabulary), vocab.tags, threshold, hp, history,
            {"source": Path(path).name, "rows": spool.rows, "rows_used": vocab.train_rows + vocab.val_rows,
             "streamed": True, "max_steps_per_epoch": max_steps, "seconds": round(train_seconds, 1)})
        stats = {"questions": spool.rows, "tag_seconds": round(spool.seconds, 1),
                 "count_seconds": round(count_seconds, 1), "train_seconds": round(train_seconds, 1),
                 "steps": state["steps"], "epochs": hp.epochs, "max_steps_per_epoch": max_steps,
                 "spool_mb": round(spool.path.stat().st_size / 2**20, 1), "peak_rss_mb_by_phase": peaks,
                 "train_rows": vocab.train_rows, "val_rows": vocab.val_rows,
                 "vocabulary": len(vocab.vocabulary), "tags": len(vocab.tags), "vocab_fingerprint": fingerprint(vocab),
                 "val_p_at_1": history[-1].get("val_p_at_1") if history else None,
                 "skipped": dict(spool.report.skipped)}
        return StreamRun(Tagger(net.model, metadata), stats)
    finally:
        if own_dir is not None:
            own_dir.cleanup()
