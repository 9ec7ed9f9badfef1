"""Command line: `python -m tagger {train,evaluate,suggest,tokens,split,models,export,story}`.

Every error ends with exit status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tagger.cli_options import HP_OPTIONS, add_train_arguments
from tagger.core import paths
from tagger.data import loaders
from tagger.data.split import fingerprint, holdout_split
from tagger.text import cache, tokens as tok
from tagger.text.pool import PoolError


class UsageError(Exception):
    pass


def _data_path(value: str | None) -> Path:
    path = loaders.default_data_path(value)
    if path is None:
        raise UsageError(f"no data: pass --data CSV or set TAGGER_DATA (the default, {paths.DATA_FILE}, "
                         "is missing from this checkout)")
    return Path(path)


def _load_tagger(value: str | None):
    from tagger.model.predictor import Tagger
    from tagger.store.registry import Registry

    if value:
        return Tagger.load(value)
    reg = Registry()
    name = reg.active_name()
    if name is None:
        raise UsageError(f"no usable model in {reg.root}; pass --model DIR")
    return reg.load(name)


def cmd_train(args) -> None:
    from tagger.model.network import HParams
    from tagger.model.training import run_experiment, train_on_all_rows, train_tagger

    config = tok.TokenConfig.from_pos(args.pos)
    hp = HParams(epochs=args.epochs, seed=args.seed,
                 **{k: v for k, v in vars(args).items() if k in HP_OPTIONS and v is not None},
                 **({"kernel_sizes": tuple(int(k) for k in args.kernel_sizes.split(","))} if args.kernel_sizes else {}))
    body_config = tok.TokenConfig.from_pos(args.body_pos) if hp.body_len else None
    if hp.body_len and not args.data and loaders.default_data_path() == paths.DATA_FILE:
        path = paths.POSTS_FILE  # the shipped questions with their bodies, when no other data was chosen
    else:
        path = _data_path(args.data)
    if args.workers != 1:
        if hp.body_len:
            raise UsageError("--workers trains title-only models: leave out --body-len")
        return _train_distributed(args, path, config, hp)
    if args.stream:
        if hp.body_len:
            raise UsageError("--stream trains title-only models: leave out --body-len")
        return _train_streamed(args, path, config, hp)
    if args.all_rows and args.eval_data:
        raise UsageError("--all-rows measures on the fixed split of --data itself: leave out --eval-data")
    df = loaders.load_questions(path)
    if hp.body_len and not (df.body.str.len() > 0).any():
        raise UsageError(f"{path.name} has no bodies: a title + body model (--body-len) needs a file with a body "
                         f"column, e.g. {paths.POSTS_FILE.name}")
    info = {"source": path.name, "fingerprint": fingerprint(df)}
    start = time.perf_counter()
    if args.all_rows:
        exp = train_on_all_rows(df, config, hp, data_info=info, body_config=body_config)
        tagger = exp.tagger
        print(exp.results.round(4).to_string())
    elif args.eval_data:
        test = loaders.load_questions(args.eval_data)
        exp = run_experiment(df, test, config, hp, data_info=info, body_config=body_config)
        tagger = exp.tagger
        tagger.metadata["metrics"]["heldout_source"] = Path(args.eval_data).name
        print(exp.results.round(4).to_string())
    else:
        bodies = (cache.body_tokens_many(df.body.tolist(), body_config, hp.body_len) if hp.body_len else None)
        tagger = train_tagger(cache.tokens_many(df.title.tolist(), config), df.tags.tolist(), config, hp,
                              data_info=info, body_lists=bodies, body_config=body_config)
    tagger.metadata["training_data"]["seconds"] = round(time.perf_counter() - start, 1)
    out = Path(args.out)
    tagger.metadata["name"] = out.name
    tagger.save(out, overwrite=args.overwrite)
    members = tagger.hparams.members
    print(f"saved {out} ({len(tagger.tags)} tags, {len(tagger.vocabulary)} tokens, "
          f"{members} member{'s' if members > 1 else ''}, threshold {tagger.threshold:.2f}, "
          f"{len(tagger.metadata['history'])} epochs"
          + (f"; its split-trained twin in {out / 'split'})" if tagger.twin is not None else ")"))


def _train_streamed(args, path: Path, config, hp) -> None:
    """`train --stream`: the data file is streamed through tf.data, never held in memory."""
    from tagger.model import streaming

    if args.eval_data:
        raise UsageError("--eval-data needs the in-memory path: leave out --stream")
    start = time.perf_counter()
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    run = streaming.train_stream(path, config, hp, work_dir=args.work_dir, max_steps=args.max_steps, progress=log)
    out = Path(args.out)
    run.tagger.metadata["name"] = out.name
    run.tagger.save(out, overwrite=args.overwrite)
    stats = {**run.stats, "seconds": round(time.perf_counter() - start, 1),
             "peak_rss_mb": round(streaming.peak_rss_mb(), 1), "out": str(out)}
    print(json.dumps(stats))


def _train_distributed(args, path: Path, config, hp) -> None:
    """`train --workers N`: N local worker processes under MultiWorkerMirroredStrategy, data streamed."""
    from tagger.model import distributed, streaming

    if args.workers < 1 or args.workers > distributed.MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {distributed.MAX_WORKERS}")
    for flag, used in (("--eval-data", args.eval_data), ("--all-rows", args.all_rows)):
        if used:
            raise UsageError(f"{flag} needs the single-process path: leave out --workers")
    if args.deadline is not None and args.deadline <= 0:
        raise UsageError("--deadline must be a positive number of seconds")
    out = Path(args.out)
    if out.exists() and not args.overwrite:  # say so now, not after the whole run
        raise UsageError(f"{out} already exists: pass --overwrite to replace it")
    start = time.perf_counter()
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    run = distributed.train_distributed(path, config, hp, args.workers, work_dir=args.work_dir,
                                        max_steps=args.max_steps, deadline_s=args.deadline, progress=log)
    run.tagger.metadata["name"] = out.name
    run.tagger.save(out, overwrite=args.overwrite)
    stats = {**run.stats, "seconds": round(time.perf_counter() - start, 1),
             "peak_rss_mb": round(streaming.peak_rss_mb(), 1), "out": str(out)}
    print(json.dumps(stats))


def cmd_evaluate(args) -> None:
    from tagger.scoring.baselines import evaluate_scorer

    tagger = _load_tagger(args.model)
    df = loaders.load_questions(_data_path(args.data))
    has_bodies = bool((df.body.str.len() > 0).any())
    # A body-aware model is scored with the file's bodies; a title-only model reads titles whatever the file
    # holds. Either mismatch is said on stderr, so --json's stdout stays one JSON line.
    if tagger.uses_body and not has_bodies:
        print(f"note: {tagger.name} reads titles and bodies, but this file has no bodies: scored on titles alone",
              file=sys.stderr)
    elif has_bodies and not tagger.uses_body:
        print(f"note: {tagger.name} reads titles only: the file's bodies are ignored", file=sys.stderr)
    bodies = tagger.body_tokens_many(df.body.tolist()) if has_bodies else None
    result = evaluate_scorer(tagger, tagger.tokens_many(df.title.tolist()), df.tags.tolist(), bodies)
    if args.json:
        print(json.dumps({k: result[k] for k in ("p_at_1", "p_at_5", "r_at_5", "micro_f1", "n")}))
    else:
        for k in ("p_at_1", "p_at_5", "r_at_5", "micro_f1", "macro_f1"):
            print(f"{k:9s} {result[k]:.4f}")
        print(f"{'n':9s} {result['n']}")


def cmd_suggest(args) -> None:
    if args.k < 1:
        raise UsageError("--k must be at least 1")
    body = None
    if args.body_file:
        if len(args.titles) > 1:
            raise UsageError("--body-file is the body of one question: give one title with it")
        body = _read_body(args.body_file)
    tagger = _load_tagger(args.model)
    results = []
    for title in args.titles:
        tokens, body_tokens = tagger.tokens(title), tagger.body_tokens(body)
        tags = [{"tag": t, "probability": round(p, 4)}
                for t, p in tagger.suggest_tokens(tokens, args.k, body_tokens if tagger.uses_body else None)]
        result = {"title": title, "tokens": tokens, "tags": tags, "note": tagger.silence(tokens, body_tokens)}
        if body is not None:
            result.update(body_tokens=body_tokens, body_note=tagger.body_note(body))
        results.append(result)
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0]))
        return
    for r in results:
        print(r["title"])
        if r.get("body_note"):
            print(f"  ({r['body_note']})")
        if r["note"]:
            print(f"  ({r['note']}: nothing to suggest)")
        for t in r["tags"]:
            print(f"  {t['probability']:.3f}  {t['tag']}")


def _read_body(value: str) -> str:
    """The body file's text ('-': standard input), capped like the app's box."""
    from tagger.text.clean import MAX_BODY_CHARS

    if value == "-":
        raw = sys.stdin.buffer.read(MAX_BODY_CHARS * 20 + 1)
    else:
        path = Path(value)
        if not path.is_file():
            raise UsageError(f"{value}: no such file (--body-file)")
        with open(path, "rb") as f:
            raw = f.read(MAX_BODY_CHARS * 20 + 1)  # clean_body parses at most this much markup
    return raw.decode("utf-8", errors="replace")


def cmd_tokens(args) -> None:
    config = tok.TokenConfig.from_pos(args.pos) if args.pos else None
    if config is None:
        from tagger.model.predictor import read_metadata
        from tagger.store.registry import Registry

        if args.model:
            meta = read_metadata(Path(args.model))
        else:
            reg = Registry()
            name = reg.active_name()
            meta = read_metadata(reg.path(name)) if name else {"token_config": tok.TokenConfig().to_dict()}
        config = tok.TokenConfig.from_dict(meta["token_config"])
    for title in args.titles:
        print(" ".join(tok.tokens(title, config)))


def cmd_split(args) -> None:
    df = loaders.load_questions(_data_path(args.data))
    train, test = holdout_split(df, args.n_test)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train.csv", train), ("test.csv", test)):
        part.assign(tags=part.tags.str.join(" "))[["id", "title", "tags"]].to_csv(out / name, index=False)
    print(f"{len(train)} training and {len(test)} held-out questions in {out}")


def cmd_models(args) -> None:
    from tagger.store import admin
    from tagger.store.registry import Registry

    reg = Registry()
    if args.activate:
        # The command line runs on the server, beside models/: it acts as the operator (see admin.operator_grant).
        reg.activate(args.activate, grant=admin.operator_grant())
    active = reg.active_name()
    for e in reg.entries():
        mark = "*" if e.name == active else " "
        if e.metadata is None:
            print(f"{mark} {e.name:24s} UNUSABLE: {e.problem}")
            continue
        m = e.metadata.get("metrics", {}).get("heldout", {})
        p1 = f"P@1 {m['p_at_1']:.3f}" if "p_at_1" in m else ""
        print(f"{mark} {e.name:24s} {tok.TokenConfig.from_dict(e.metadata['token_config']).label:16s} {p1}")


def cmd_export(args) -> None:
    from tagger.model.export import export_savedmodel

    tagger = _load_tagger(args.model)
    out = export_savedmodel(tagger, Path(args.out), overwrite=args.overwrite)
    print(f"exported {tagger.name} to {out} (SavedModel, signature serving_default: tokens -> probabilities; "
          f"{len(tagger.tags)} tags)")


def cmd_story(args) -> None:
    """Compute the Story page's numbers once and write them (atomically) where the page reads them."""
    from tagger.app import story

    path = _data_path(args.data)
    df = loaders.load_questions(path)[["id", "title", "tags"]]
    if args.rows is not None:
        if args.rows < 50:
            raise UsageError("--rows must be at least 50")
        df = df.head(args.rows).reset_index(drop=True)
    settings = story.StorySettings.quick() if args.quick else story.StorySettings()
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    result = story.compute(df, settings=settings, source=path.name, log=log)
    out = story.write(result, Path(args.out) if args.out else None)
    fixed = story.model(result, "fixed")
    print(f"wrote {out}: original network {story.pct(result['replay']['accuracy'])} accuracy "
          f"(the question: {story.pct(story.ORIGINAL_ACCURACY)}), fixed network P@1 {story.score(fixed['p_at_1'])}, "
          f"{result['seconds']:.0f} s")


def cmd_baselines(args) -> None:
    """Store the TF-IDF baseline's scores on the Retrain page's default slices (one per token filter)."""
    from tagger.app import slices

    df = loaders.load_questions(_data_path(args.data))[["id", "title", "tags"]]
    for written in slices.ship_default_baselines(df, Path(args.out) if args.out else None):
        print(f"wrote {written}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tagger", description="Cooking Tagger command line")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a Conv1D model on a whole data file")
    add_train_arguments(t)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="P@1, P@5, R@5, micro-F1 of a model on a data file")
    e.add_argument("--model")
    e.add_argument("--data")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("suggest", help="suggest tags for titles")
    s.add_argument("--model")
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.add_argument("--body-file", help="the question's body (HTML, Markdown or plain text; '-': stdin), read by a "
                                       "title + body model and ignored, with a note, by a title-only one")
    s.add_argument("titles", nargs="+")
    s.set_defaults(func=cmd_suggest)

    k = sub.add_parser("tokens", help="the tokens a model sees for titles")
    k.add_argument("--model")
    k.add_argument("--pos", help="POS filter instead of a model's, e.g. NN,NNS,VBG or all")
    k.add_argument("titles", nargs="+")
    k.set_defaults(func=cmd_tokens)

    sp = sub.add_parser("split", help="write the fixed train/held-out split as two CSV files")
    sp.add_argument("--data")
    sp.add_argument("--out-dir", required=True)
    sp.add_argument("--n-test", type=int, default=2404)
    sp.set_defaults(func=cmd_split)

    m = sub.add_parser("models", help="list the registry's models, or activate one")
    m.add_argument("--activate")
    m.set_defaults(func=cmd_models)

    x = sub.add_parser("export", help="write a model as a TensorFlow SavedModel for TensorFlow Serving")
    x.add_argument("--model", help="model directory (default: the registry's active model)")
    x.add_argument("--out", required=True)
    x.add_argument("--overwrite", action="store_true")
    x.set_defaults(func=cmd_export)

    st = sub.add_parser("story", help="compute the Story page's numbers (docs/story.json) from the data")
    st.add_argument("--data")
    st.add_argument("--out", help="where to write the JSON (default: docs/story.json, or $TAGGER_STORY)")
    st.add_argument("--rows", type=int, help="only the first N questions (a quick check, not the shipped story)")
    st.add_argument("--quick", action="store_true", help="small networks and 2 epochs: a smoke run")
    st.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    st.set_defaults(func=cmd_story)

    b = sub.add_parser("baselines", help="store the TF-IDF baseline's scores on the Retrain page's default slices")
    b.add_argument("--data")
    b.add_argument("--out", help="folder to write them to (default: data/baseline-scores/, which the app reads)")
    b.set_defaults(func=cmd_baselines)
    return p


def main(argv=None) -> int:
    paths.quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2
    except Exception as e:  # the CLI's promise: one line, no traceback
        from tagger.model.cluster import ClusterError
        from tagger.model.predictor import ModelError

        known = (UsageError, loaders.DataError, tok.TokenizerError, PoolError, ClusterError, ModelError, ValueError,
                 OSError)
        msg = str(e) if isinstance(e, known) else f"{e.__class__.__name__}: {e}"
        print(f"error: {msg.splitlines()[0] if msg else e.__class__.__name__}", file=sys.stderr)
        return 2
    return 0
