"""Training without loading the data set into memory: the streaming loader feeds a `tf.data` pipeline.

`train_stream(path, config, hp)` works on any file `tagger.data.iter_questions` reads, a Stack
Exchange Posts.xml with millions of questions included:

1. One streaming pass over the questions (`iter_questions`, Posts.xml via `iterparse`) tags each
   title once with the same `tokens.tag_title` + `tokens.filter_tagged` the app uses, and spools
   `[tokens, tags]` as JSON lines to a work file on disk (~60 bytes a question). Tagging is the
   slow step (~0.5 ms a title), so it is done once, not once per epoch.
2. Two cheap passes over the spool count tags and tokens - `baseline.frequent_tags` and
   `model.build_vocabulary` take the streamed rows directly. Their counters grow with the number
   of *distinct* tokens and tags, not with the number of questions.
3. Each epoch, `tf.data.Dataset.from_generator` streams the spool, encodes chunks with
   `model.encode` / `model.targets` (the exact ids `Tagger` uses), shuffles within a bounded
   buffer, batches and prefetches. Every 10th question (validation_split 0.1) is held out; a
   bounded sample of them picks the threshold and reports P@1 per epoch.

The result is an ordinary `Tagger`. Memory stays flat as the data grows: see `python -m
tagger.bench` (peak memory for 100k vs 1M generated questions) and `docs/scaling.md`.

Command line (the benchmark runs these in subprocesses, one per size, to measure peak memory):

    python -m tagger.streaming generate --n 100000 --out /tmp/Posts.xml
    python -m tagger.streaming train --data /tmp/Posts.xml --out /tmp/model [--epochs 1] [--max-steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from tagger import baseline, data, metrics, paths, tokens as tok
from tagger.model import HParams, build_model, build_vocabulary, compile_model, encode, targets

paths.quiet_tensorflow()

CHUNK = 512  # rows encoded per numpy call inside the generator
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


def _is_val(i: int, every: int) -> bool:
    return every > 0 and i % every == 0


def _val_every(hp: HParams) -> int:
    return int(round(1 / hp.validation_split)) if hp.validation_split > 0 else 0


# --- pass 1: questions -> spooled tokens -----------------------------------------------------------
@dataclass
class Spool:
    """Tokens and tags of every usable question, one JSON line each, in file order."""

    path: Path
    rows: int
    seconds: float
    report: data.LoadReport

    def rows_iter(self) -> Iterator[tuple[list[str], list[str]]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                tokens, tags = json.loads(line)
                yield tokens, tags


def spool_tokens(path, config: tok.TokenConfig, work_dir, limit: int | None = None,
                 progress: Callable[[int], None] | None = None) -> Spool:
    """Stream the questions of `path`, tag and filter each title once, write the spool."""
    start = time.perf_counter()
    report = data.LoadReport(path=str(path), format="")
    out = Path(work_dir) / "tokens.jsonl"
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for q in data.iter_questions(path, report=report):
            f.write(json.dumps([tok.tokens(q["title"], config), q["tags"]],
                               ensure_ascii=False))
            f.write("\n")
            n += 1
            if progress is not None and n % 10_000 == 0:
                progress(n)
            if limit is not None and n >= limit:
                break
    return Spool(out, n, time.perf_counter() - start, report)


# --- pass 2: vocabulary and tags ------------------------------------------------------------------
@dataclass
class Vocab:
    vocabulary: list[str]
    tags: list[str]
    train_rows: int  # usable rows (at least one learnable tag) on each side of the split
    val_rows: int


def vocabulary_and_tags(spool: Spool, hp: HParams) -> Vocab:
    """The same vocabulary and tag list `train_tagger` would build, from streamed rows."""
    every = _val_every(hp)
    tags = baseline.frequent_tags((t for _, t in spool.rows_iter()), hp.min_tag_count)
    known = set(tags)
    counts = {"train": 0, "val": 0}

    def train_tokens():
        for i, (tokens, t) in enumerate(spool.rows_iter()):
            if known.intersection(t):
                if _is_val(i, every):
                    counts["val"] += 1
                else:
                    counts["train"] += 1
                    yield tokens

    vocabulary = build_vocabulary(train_tokens(), hp.max_vocab, hp.min_token_count)
    return Vocab(vocabulary, tags, counts["train"], counts["val"])


# --- pass 3: the tf.data pipeline -----------------------------------------------------------------
def make_dataset(spool: Spool, vocabulary: list[str], tags: list[str], hp: HParams, part: str = "train",
                 shuffle: bool = True, rows: int | None = None):
    """A `tf.data.Dataset` of (token ids [max_len], targets [n_tags]) batches streamed from the spool.

    `rows` (the usable rows of this part, from `vocabulary_and_tags`) lets Keras know the epoch's length.
    """
    import tensorflow as tf

    if part not in ("train", "val"):
        raise ValueError("part must be 'train' or 'val'")
    every = _val_every(hp)
    index = {t: i + 2 for i, t in enumerate(vocabulary)}
    known = set(tags)

    def chunks():
        toks, ys = [], []
        for i, (tokens, tag_list) in enumerate(spool.rows_iter()):
            if _is_val(i, every) != (part == "val") or not known.intersection(tag_list):
                continue  # rows with no learnable tag teach nothing, as in train_tagger
            toks.append(tokens)
            ys.append(tag_list)
            if len(toks) == CHUNK:
                yield encode(toks, index, hp.max_len), targets(ys, tags, hp.output)
                toks, ys = [], []
        if toks:
            yield encode(toks, index, hp.max_len), targets(ys, tags, hp.output)

    ds = tf.data.Dataset.from_generator(chunks, output_signature=(
        tf.TensorSpec([None, hp.max_len], tf.int32), tf.TensorSpec([None, len(tags)], tf.float32)))
    ds = ds.unbatch()
    if shuffle:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=hp.seed, reshuffle_each_iteration=True)
    ds = ds.batch(hp.batch_size)
    if rows is not None:
        ds = ds.apply(tf.data.experimental.assert_cardinality(-(-rows // hp.batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)


def _predict(model, x, batch: int = 1024) -> np.ndarray:
    """Scores in fixed-size chunks: one call on 20,000 rows would hold every row's activations."""
    return np.concatenate([model.predict_on_batch(x[i:i + batch]) for i in range(0, len(x), batch)]) \
        if len(x) else np.zeros((0, model.output_shape[-1]), np.float32)


def _val_sample(spool: Spool, tags: list[str], hp: HParams, vocabulary: list[str], limit: int = VAL_SAMPLE):
    every = _val_every(hp)
    known = set(tags)
    token_lists, tag_lists = [], []
    for i, (tokens, tag_list) in enumerate(spool.rows_iter()):
        if _is_val(i, every) and known.intersection(tag_list):
            token_lists.append(tokens)
            tag_lists.append(tag_list)
            if len(token_lists) >= limit:
                break
    index = {t: i + 2 for i, t in enumerate(vocabulary)}
    return encode(token_lists, index, hp.max_len), tag_lists


@dataclass
class StreamRun:
    tagger: object  # tagger.predictor.Tagger
    stats: dict


def train_stream(path, config: tok.TokenConfig, hp: HParams, *, work_dir=None, max_steps: int | None = None,
                 limit: int | None = None, progress: Callable[[str], None] | None = None) -> StreamRun:
    """Train a Conv1D tagger from a streamed file; nothing proportional to the data is held in memory.

    `max_steps` caps the batches per epoch (for benchmarks on very large files); the vocabulary and
    tag passes always cover every question.
    """
    import keras

    from tagger.predictor import Tagger
    from tagger.training import model_metadata

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
        vocabulary, tags = vocab.vocabulary, vocab.tags
        count_seconds = time.perf_counter() - t0
        peaks["after_counting"] = round(peak_rss_mb(), 1)
        if len(tags) < 2 or not vocabulary:
            raise ValueError(f"too little to learn from: {len(tags)} tags with at least {hp.min_tag_count} "
                             f"questions and {len(vocabulary)} tokens")
        train_ds = make_dataset(spool, vocabulary, tags, hp, "train", rows=vocab.train_rows)
        if max_steps:
            train_ds = train_ds.take(max_steps)
        x_val, val_tags = _val_sample(spool, tags, hp, vocabulary)
        model = build_model(len(vocabulary) + 2, len(tags), hp)
        compile_model(model, hp)
        history: list[dict] = []
        state = {"steps": 0}

        class Reporter(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                state["steps"] += 1

            def on_epoch_end(self, epoch, logs=None):
                row = {"epoch": epoch + 1, "loss": float((logs or {}).get("loss", np.nan))}
                if len(x_val):
                    probs = _predict(self.model, x_val)
                    row["val_p_at_1"] = metrics.precision_at_k(val_tags, metrics.rank_tags(tags, probs, 1), 1)
                history.append(row)
                say(f"epoch {epoch + 1}: {row}")

        t0 = time.perf_counter()
        model.fit(train_ds, epochs=hp.epochs, verbose=0, shuffle=False, callbacks=[Reporter()])
        train_seconds = time.perf_counter() - t0
        peaks["after_training"] = round(peak_rss_mb(), 1)
        threshold = 0.5
        if len(x_val):
            threshold = metrics.best_threshold(val_tags, tags, _predict(model, x_val))
        metadata = model_metadata(
            config, vocabulary, tags, threshold, hp, history,
            {"source": Path(path).name, "rows": spool.rows, "rows_used": vocab.train_rows + vocab.val_rows,
             "streamed": True, "max_steps_per_epoch": max_steps, "seconds": round(train_seconds, 1)})
        stats = {"questions": spool.rows, "tag_seconds": round(spool.seconds, 1),
                 "count_seconds": round(count_seconds, 1), "train_seconds": round(train_seconds, 1),
                 "steps": state["steps"], "epochs": hp.epochs, "max_steps_per_epoch": max_steps,
                 "spool_mb": round(spool.path.stat().st_size / 2**20, 1), "peak_rss_mb_by_phase": peaks,
                 "train_rows": vocab.train_rows, "val_rows": vocab.val_rows,
                 "vocabulary": len(vocabulary), "tags": len(tags), "skipped": dict(spool.report.skipped)}
        return StreamRun(Tagger(model, metadata), stats)
    finally:
        if own_dir is not None:
            own_dir.cleanup()


# --- synthetic Stack Exchange dumps ---------------------------------------------------------------
def write_synthetic_posts(out, n: int, source=None, seed: int = 0, answers_every: int = 4) -> Path:
    """Write a Posts.xml with `n` questions made by recombining real titles, streaming to disk.

    Each question joins the first half of one real title with the second half of another and
    takes the first title's tags (plus, sometimes, one of the second's); every `answers_every`-th
    question is followed by an answer row, which the loader must skip. Only the ~12k source rows
    are held in memory, whatever `n` is.
    """
    src = data.default_data_path(source)
    if src is None:
        raise ValueError("no source data for the synthetic dump: pass source or set TAGGER_DATA")
    df = data.load_questions(src)
    titles = [t.split() for t in df.title]
    tag_lists = df.tags.tolist()
    rng = random.Random(seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    post_id = 0
    with open(out, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        for q in range(n):
            a, b = rng.randrange(len(titles)), rng.randrange(len(titles))
            wa, wb = titles[a], titles[b]
            title = " ".join(wa[: max(1, len(wa) // 2)] + wb[len(wb) // 2:])
            tags = list(tag_lists[a])
            if rng.random() < 0.3 and tag_lists[b][0] not in tags:
                tags.append(tag_lists[b][0])
            post_id += 1
            qid = post_id
            f.write(f'  <row Id="{qid}" PostTypeId="1" Title={quoteattr(title)} '
                    f'Tags={quoteattr("".join(f"<{t}>" for t in tags[:5]))} Body="" />\n')
            if answers_every and q % answers_every == 0:
                post_id += 1
                f.write(f'  <row Id="{post_id}" PostTypeId="2" ParentId="{qid}" Body="&lt;p&gt;answer&lt;/p&gt;" />\n')
        f.write("</posts>\n")
    return out


# --- command line ---------------------------------------------------------------------------------
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tagger.streaming", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write a synthetic Posts.xml of N questions")
    g.add_argument("--n", type=int, required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--source", help="questions to recombine (default: TAGGER_DATA)")
    g.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("train", help="train from a streamed file; prints a JSON line with peak memory")
    t.add_argument("--data", required=True)
    t.add_argument("--out", help="save the model here")
    t.add_argument("--pos", default="NN,NNS,VBG")
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--max-steps", type=int, help="cap the batches per epoch")
    t.add_argument("--work-dir", help="where the token spool goes (default: a temporary folder)")
    t.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    try:
        if args.command == "generate":
            start = time.perf_counter()
            out = write_synthetic_posts(args.out, args.n, args.source, args.seed)
            print(json.dumps({"path": str(out), "questions": args.n, "mb": round(out.stat().st_size / 2**20, 1),
                              "seconds": round(time.perf_counter() - start, 1)}))
            return 0
        hp = HParams(epochs=args.epochs, batch_size=args.batch_size, patience=args.epochs)
        log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
        start = time.perf_counter()
        run = train_stream(args.data, tok.TokenConfig.from_pos(args.pos), hp, work_dir=args.work_dir,
                           max_steps=args.max_steps, progress=log)
        if args.out:
            run.tagger.metadata["name"] = Path(args.out).name
            run.tagger.save(args.out, overwrite=True)
        print(json.dumps({**run.stats, "seconds": round(time.perf_counter() - start, 1),
                          "peak_rss_mb": round(peak_rss_mb(), 1), "pid": os.getpid()}))
        return 0
    except (data.DataError, tok.TokenizerError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
