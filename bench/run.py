"""Benchmarks against the peers: `python -m bench [--quick] [--out DIR]`.

One command prints two tables (quality, speed), and writes `results.json` and `results.png` to
`--out` (default `bench-results/`).

Quality, on the project's fixed held-out split (`data.holdout_split`: the last 2,404 questions),
with the question's tokens (NN, NNS, VBG) for every peer:
  - Conv1D with the question's filter; the best Conv1D configuration; the softmax + categorical
    cross-entropy head (the original question's failure); TF-IDF + logistic regression; fastText
    as in its tutorial (lr=1.0, epoch=25, wordNgrams=2, one thread; another seed if it hits NaN).
  - The Conv1D hyperparameters come from the shipped models' metadata in `models/` where there are
    shipped models; otherwise from the fallbacks below. All are retrained here on the training part.

Speed, each figure next to a reference measured in the same run, with their ratio:
  suggestion latency (Tagger.suggest vs the same steps with `model.predict`), the model step alone
  (the Tagger's tf.function vs predict_on_batch vs predict), throughput for 1,000 titles (batch vs one
  by one), training seconds per epoch on all rows (Conv1D vs fastText), token preprocessing (cached
  vs uncached tagging), process memory with the model loaded (vs the same imports without a model),
  app cold start to first rendered page (vs a warm reload), and streaming training's peak memory for
  100k vs 1M generated questions (vs the in-memory path at 100k).

The machine is shared (2 cores; other jobs may run): timings are noisy, so the JSON keeps the load
average before and after each section.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.measure import _child_env, _run_json, latency_stats, load_average, machine_info, speed_row, time_each, timed
from bench.peers import FASTTEXT, FastTextScorer, shipped_configs
from bench.report import report, write_chart
from tagger.core import paths
from tagger.data import loaders
from tagger.data.split import fingerprint, holdout_split
from tagger.scoring import baselines
from tagger.text import cache

paths.quiet_tensorflow()

SECTIONS = ("quality", "speed", "train", "tokens", "memory", "app", "stream")
TARGETS = {"best_p_at_1": 0.62, "suggest_p50_ms": 2.0, "train_10_epochs_s": 30.0}


# --- the benchmark -------------------------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.out = Path(args.out)
        self.skip = set(args.skip)
        self.results: dict = {"notes": [], "load_average": {}}
        self.log = (lambda *a: None) if args.silent else (lambda *a: print(*a, file=sys.stderr, flush=True))

    # ---- data
    def load(self):
        path = loaders.default_data_path(self.args.data)
        if path is None or not Path(path).exists():
            raise SystemExit(f"error: no data: pass --data CSV or set TAGGER_DATA (the default, {paths.DATA_FILE}, "
                             "is missing)")
        df = loaders.load_questions(path)
        if self.quick:
            df = df.head(self.args.quick_rows).reset_index(drop=True)
        self.df = df
        self.train, self.test = holdout_split(df)
        self.results["data"] = {"path": str(path), "rows": len(df), "train_rows": len(self.train),
                                "heldout_rows": len(self.test), "fingerprint": fingerprint(df),
                                "split": "data.holdout_split: the last 2,404 rows (file order) are held out"
                                if not self.quick else "quick: first rows only, last 20 % held out"}
        self.configs = shipped_configs(Path(self.args.models) if self.args.models else None)
        if self.quick:
            small = dict(epochs=2, embedding_dim=16, filters=32, patience=2)
            self.configs = {k: dataclasses.replace(c, hp=dataclasses.replace(c.hp, **small)) for k, c in
                            self.configs.items()}
        self.results["configs"] = {k: {"token_config": c.config.to_dict(), "hparams": c.hp.to_dict(),
                                       "source": c.source} for k, c in self.configs.items()}

    def tokens(self, titles, config):
        return cache.tokens_many(list(titles), config)

    def section(self, name):
        bench = self

        class Ctx:
            def __enter__(self):
                bench.log(f"[bench] {name} ...")
                self.t0 = time.perf_counter()
                self.before = load_average()

            def __exit__(self, *exc):
                bench.results["load_average"][name] = {"before": self.before, "after": load_average(),
                                                       "seconds": round(time.perf_counter() - self.t0, 1)}
                bench.log(f"[bench] {name} done in {time.perf_counter() - self.t0:.0f} s")
                return False

        return Ctx()

    # ---- quality
    def quality(self):
        from tagger.model.training import train_tagger

        train_tags, test_tags = self.train.tags.tolist(), self.test.tags.tolist()
        q = self.configs["question"].config
        qtrain, qtest = self.tokens(self.train.title, q), self.tokens(self.test.title, q)
        rows, self.taggers = [], {}
        labels = {"question": "Conv1D, the question's filter (NN,NNS,VBG), sigmoid",
                  "best": "Conv1D, best configuration",
                  "softmax": "Conv1D, softmax + categorical cross-entropy (the original failure)"}
        for key in ("question", "best", "softmax"):
            c = self.configs[key]
            if c.config == q:
                tr, te = qtrain, qtest
            else:
                tr, te = self.tokens(self.train.title, c.config), self.tokens(self.test.title, c.config)
            self.log(f"[bench]   training {key} ({c.config.label}, {c.hp.output}, epochs {c.hp.epochs})")
            tagger, secs = timed(train_tagger, tr, train_tags, c.config, c.hp)
            self.taggers[key] = tagger
            res = baselines.evaluate_scorer(tagger, te, test_tags)
            rows.append({"model": labels[key], "key": key, "tokens": c.config.label, **res,
                         "train_seconds": secs, "epochs_run": len(tagger.metadata["history"])})
        tfidf, secs = timed(baselines.TfidfBaseline(min_tag_count=self.configs["question"].hp.min_tag_count).fit,
                            qtrain, train_tags)
        rows.append({"model": "TF-IDF + logistic regression", "key": "tfidf", "tokens": q.label,
                     **baselines.evaluate_scorer(tfidf, qtest, test_tags), "train_seconds": secs})
        best = self.configs["best"].config
        if best != q:
            btrain, btest = self.tokens(self.train.title, best), self.tokens(self.test.title, best)
            tf2, secs = timed(baselines.TfidfBaseline(min_tag_count=self.configs["best"].hp.min_tag_count).fit,
                              btrain, train_tags)
            rows.append({"model": "TF-IDF + logistic regression (best config's tokens)", "key": "tfidf_best",
                         "tokens": best.label, **baselines.evaluate_scorer(tf2, btest, test_tags),
                         "train_seconds": secs})
        try:
            ft, secs = timed(FastTextScorer().fit, qtrain, train_tags)
            rows.append({"model": "fastText (tutorial: lr=1.0, epoch=25, wordNgrams=2)", "key": "fasttext",
                         "tokens": q.label, **baselines.evaluate_scorer(ft, qtest, test_tags),
                         "train_seconds": secs, "seed": ft.seed_used, "nan_retries": ft.nan_retries})
        except ImportError:
            self.results["notes"].append("fastText not installed: pip install -r requirements-bench.txt")
        self.results["quality"] = rows

    # ---- speed: latency, throughput
    def speed(self):
        import tensorflow as tf

        from tagger.model import network

        tagger = self.taggers["best"] if hasattr(self, "taggers") else None
        if tagger is None:
            from tagger.model.training import train_tagger

            c = self.configs["best"]
            tagger = train_tagger(self.tokens(self.train.title, c.config), self.train.tags.tolist(), c.config, c.hp)
            self.taggers = {"best": tagger}
        n = self.args.latency_n
        titles = self.test.title.tolist()[:n]
        token_lists = [tagger.tokens(t) for t in titles]  # also warms NLTK up
        n_ref = min(len(titles), 30 if self.quick else 100)
        rows = []

        def strings(token_list):
            return tf.constant(network.pad([token_list], tagger.max_len), tf.string)

        def predict_path(title):
            probs = tagger.model.predict(strings(tagger.tokens(title)), verbose=0)[0]
            return tagger.ranked(probs, 5)

        suggest = latency_stats(time_each(lambda t: tagger.suggest(t, 5), titles, warmup=20))
        reference = latency_stats(time_each(predict_path, titles[:n_ref], warmup=3))
        tokenize = latency_stats(time_each(lambda t: tagger.tokens(t), titles, warmup=10))
        self.results["latency"] = {"suggest": suggest, "suggest_with_model_predict": reference,
                                   "tokenize": tokenize}
        rows.append(speed_row("Tagger.suggest, one title, p50 (tokenize + tag + model)", suggest["p50_ms"], "ms",
                              "same steps with model.predict, p50", reference["p50_ms"]))
        rows.append(speed_row("Tagger.suggest, one title, p95", suggest["p95_ms"], "ms",
                              "same steps with model.predict, p95", reference["p95_ms"]))
        rows.append(speed_row("tokenize + POS-tag one title, p50", tokenize["p50_ms"], "ms",
                              "Tagger.suggest p50 (its share of the whole)", suggest["p50_ms"],
                              higher_is_better=None))

        xs = [strings(t) for t in token_lists]
        fn = latency_stats(time_each(lambda i: tagger.predict_proba([token_lists[i]]), range(len(xs)), 10))
        pob = latency_stats(time_each(lambda i: tagger.model.predict_on_batch(xs[i]), range(len(xs)), 10))
        pred = latency_stats(time_each(lambda i: tagger.model.predict(xs[i], verbose=0), range(n_ref), 3))
        self.results["latency"].update({"model_tf_function": fn, "model_predict_on_batch": pob,
                                        "model_predict": pred})
        rows.append(speed_row("model step: Tagger's tf.function, p50", fn["p50_ms"], "ms",
                              "model.predict, p50", pred["p50_ms"]))
        rows.append(speed_row("model step: model.predict_on_batch, p50", pob["p50_ms"], "ms",
                              "model.predict, p50", pred["p50_ms"]))

        # Throughput: 1,000 titles, tokens not cached (fresh titles), batch vs one by one.
        many = self.test.title.tolist()[: self.args.throughput_n]
        many = (many * (-(-self.args.throughput_n // max(len(many), 1))))[: self.args.throughput_n]

        def batch():
            probs = tagger.predict_proba(cache.tokens_many(many, tagger.config, use_cache=False))
            return [tagger.ranked(r, 5) for r in probs]

        _, batch_s = timed(batch)
        _, loop_s = timed(lambda: [tagger.suggest(t, 5) for t in many])
        rows.append(speed_row(f"throughput, {len(many):,} titles in one batch", len(many) / batch_s, "titles/s",
                              "one Tagger.suggest call per title", len(many) / loop_s, higher_is_better=True))
        self.results["throughput"] = {"titles": len(many), "batch_seconds": batch_s, "loop_seconds": loop_s}
        self.results.setdefault("speed", []).extend(rows)

    # ---- speed: training per epoch on all rows
    def train_speed(self):
        from tagger.model.training import train_tagger

        all_tags = self.df.tags.tolist()
        rows, detail = [], {}
        q_tokens = self.tokens(self.df.title, self.configs["question"].config)  # cached from here on
        ft_secs = None
        try:
            _, ft_secs = timed(FastTextScorer(validation=0).fit, q_tokens, all_tags)
        except ImportError:
            pass
        ft_epoch = ft_secs / FASTTEXT["epoch"] if ft_secs else None
        for key in ("question", "best"):
            c = self.configs[key]
            epochs = c.hp.epochs if self.quick else 10
            hp = dataclasses.replace(c.hp, epochs=epochs, patience=epochs)  # all epochs, no early stop
            toks = self.tokens(self.df.title, c.config)
            tagger, secs = timed(train_tagger, toks, all_tags, c.config, hp)
            ran = len(tagger.metadata["history"])
            detail[key] = {"rows": len(toks), "epochs": ran, "seconds": secs, "seconds_per_epoch": secs / ran}
            rows.append(speed_row(f"training, {key} config, {len(toks):,} questions, seconds per epoch",
                                  secs / ran, "s", "fastText, seconds per epoch (1 thread)", ft_epoch))
            rows.append(speed_row(f"training, {key} config, {ran} epochs total (tokens cached)", secs, "s",
                                  f"fastText, {FASTTEXT['epoch']} epochs total (1 thread)", ft_secs))
        detail["fasttext_all_rows_seconds"] = ft_secs
        self.results["training"] = detail
        self.results.setdefault("speed", []).extend(rows)

    # ---- speed: token preprocessing with and without the cache
    def token_speed(self):
        titles = self.df.title.tolist()
        config = self.configs["question"].config
        cache.tokens_many(titles, config)  # make sure the cache entry exists
        _, uncached = timed(cache.tokens_many, titles, config, use_cache=False)
        _, cached = timed(cache.tokens_many, titles, config, use_cache=True)
        self.results["tokens"] = {"titles": len(titles), "uncached_seconds": uncached, "cached_seconds": cached}
        self.results.setdefault("speed", []).append(
            speed_row(f"token preprocessing, {len(titles):,} titles, cached", cached, "s",
                      "the same without the cache", uncached))

    # ---- process memory with the model loaded
    def memory(self):
        tagger = self.taggers["best"]
        with tempfile.TemporaryDirectory(prefix="bench-model-") as d:
            tagger.save(Path(d) / "model")
            loaded = _run_json(["-c", MEMORY_CHILD, str(Path(d) / "model")], timeout=300)
            bare = _run_json(["-c", MEMORY_CHILD, ""], timeout=300)
        self.results["memory"] = {"with_model": loaded, "imports_only": bare}
        self.results.setdefault("speed", []).append(
            speed_row("process memory (RSS) with the model loaded, after one suggestion", loaded["rss_mb"], "MB",
                      "same imports (TensorFlow, Keras, NLTK), no model", bare["rss_mb"]))

    # ---- app cold start
    def app(self):
        app_py = paths.REPO / "app.py"
        if not app_py.exists():
            self.results["notes"].append("app cold start not measured: app.py is missing")
            return
        result = None
        if shutil.which("chromium") or shutil.which("chromium-browser"):
            try:
                result = app_cold_start_browser(app_py)
            except Exception as e:  # fall back to the headless script run
                self.results["notes"].append(f"browser cold start failed ({e.__class__.__name__}: {e}); "
                                             "used AppTest instead")
        if result is None:
            result = _run_json(["-c", APPTEST_CHILD, str(app_py)], timeout=300)
        self.results["app"] = result
        self.results.setdefault("speed", []).append(
            speed_row(f"app cold start to first rendered page ({result['method']})", result["cold_seconds"], "s",
                      "warm reload of the same page", result["warm_seconds"]))

    # ---- streaming: peak memory vs size
    def stream(self):
        sizes = self.args.stream_sizes
        runs, rows = [], []
        with tempfile.TemporaryDirectory(prefix="bench-stream-") as d:
            for n in sizes:
                xml = Path(d) / f"Posts-{n}.xml"
                from bench.synthetic import write_synthetic_posts

                _, gen_s = timed(write_synthetic_posts, xml, n, self.args.data, 0)
                size_mb = xml.stat().st_size / 2**20
                self.log(f"[bench]   streaming {n:,} questions ({size_mb:.0f} MB Posts.xml)")
                cmd = ["-m", "tagger", "train", "--stream", "--data", str(xml), "--epochs", "1", "--quiet",
                       "--work-dir", d, "--out", str(Path(d) / f"model-{n}"), "--overwrite"]
                if self.args.stream_max_steps:
                    cmd += ["--max-steps", str(self.args.stream_max_steps)]
                run = _run_json(cmd, timeout=3 * 3600)
                run.update({"mode": "streaming", "posts_xml_mb": round(size_mb, 1),
                            "generate_seconds": round(gen_s, 1)})
                runs.append(run)
                if n == sizes[0] and not self.args.no_inmemory_reference:
                    self.log(f"[bench]   in-memory reference at {n:,} questions")
                    ref = _run_json(["-c", INMEMORY_CHILD, str(xml)], timeout=3 * 3600)
                    self.results["stream_inmemory_reference"] = ref
                xml.unlink()
        self.results["stream"] = runs
        small, large = runs[0], runs[-1]
        rows.append(speed_row(f"streaming training, peak memory, {large['questions']:,} questions",
                              large["peak_rss_mb"], "MB", f"streaming, {small['questions']:,} questions",
                              small["peak_rss_mb"]))
        ref = self.results.get("stream_inmemory_reference")
        if ref:
            rows.append(speed_row(f"streaming training, peak memory, {small['questions']:,} questions",
                                  small["peak_rss_mb"], "MB",
                                  f"in-memory path (load_questions + train_tagger), {ref['questions']:,}",
                                  ref["peak_rss_mb"]))
        self.results.setdefault("speed", []).extend(rows)

    # ---- targets from the core issue
    def targets(self):
        out = []
        q = {r["key"]: r for r in self.results.get("quality", [])}
        if "question" in q and "tfidf" in q:
            out.append({"target": "Conv1D (question's filter) vs TF-IDF, P@1, same tokens",
                        "value": f"{q['question']['p_at_1']:.3f} vs {q['tfidf']['p_at_1']:.3f}",
                        "met": q["question"]["p_at_1"] > q["tfidf"]["p_at_1"]})
        if "best" in q:
            out.append({"target": f"best configuration P@1 >= {TARGETS['best_p_at_1']}",
                        "value": f"{q['best']['p_at_1']:.3f}", "met": q["best"]["p_at_1"] >= TARGETS["best_p_at_1"]})
        lat = self.results.get("latency", {}).get("suggest")
        if lat:
            out.append({"target": f"Tagger.suggest median <= {TARGETS['suggest_p50_ms']} ms after warm-up",
                        "value": f"{lat['p50_ms']:.2f} ms", "met": lat["p50_ms"] <= TARGETS["suggest_p50_ms"]})
        tr = self.results.get("training", {})
        for key in ("question", "best"):
            if key in tr and not self.quick:
                t = tr[key]
                out.append({"target": f"training, {key} config, all {t['rows']:,} questions, {t['epochs']} epochs "
                                      f"<= {TARGETS['train_10_epochs_s']:.0f} s (tokens cached)",
                            "value": f"{t['seconds']:.1f} s", "met": t["seconds"] <= TARGETS["train_10_epochs_s"]})
        self.results["targets"] = out

    def run(self) -> dict:
        start = time.time()
        self.results["run"] = {"started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "quick": self.quick,
                               "argv": sys.argv[1:], "sections_skipped": sorted(self.skip)}
        self.results["machine"] = machine_info()
        with self.section("load"):
            self.load()
        steps = [("quality", self.quality), ("speed", self.speed), ("train", self.train_speed),
                 ("tokens", self.token_speed), ("memory", self.memory), ("app", self.app),
                 ("stream", self.stream)]
        for name, step in steps:
            if name in self.skip:
                continue
            if name == "memory" and not hasattr(self, "taggers"):
                continue
            with self.section(name):
                try:
                    step()
                except Exception as e:
                    if self.args.strict:
                        raise
                    self.results["notes"].append(f"{name} failed: {e.__class__.__name__}: {e}")
                    self.log(f"[bench] {name} FAILED: {e}")
        self.targets()
        from tagger.model.training import library_versions

        versions = library_versions()
        try:
            from importlib.metadata import version

            import fasttext  # noqa: F401

            versions["fasttext-numpy2-wheel"] = version("fasttext-numpy2-wheel")
        except Exception:
            pass
        self.results["versions"] = versions
        self.results["machine"] = machine_info()
        self.results["run"]["seconds"] = round(time.time() - start, 1)
        self.results["run"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
        return self.results


# --- child processes (each measures a fresh interpreter) ----------------------------------------
MEMORY_CHILD = r"""
import json, sys
from tagger.text import tokens as tok
import tensorflow, keras
from tagger.model.predictor import Tagger
tok.tokens("How do I keep bread dough from sticking?", tok.TokenConfig())
if sys.argv[1]:
    t = Tagger.load(sys.argv[1])
    t.suggest("How do I keep bread dough from sticking?")
from tagger.model.streaming import peak_rss_mb
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) / 1024
print(json.dumps({"rss_mb": round(rss, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}))
"""

APPTEST_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
cold = time.perf_counter() - t0
t1 = time.perf_counter()
at.run()
warm = time.perf_counter() - t1
print(json.dumps({"method": "AppTest script run in a fresh process, no browser", "cold_seconds": cold,
                  "warm_seconds": warm, "exceptions": len(at.exception)}))
"""

INMEMORY_CHILD = r"""
import json, sys, tempfile, os, time
os.environ["TAGGER_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
from tagger.data import loaders
from tagger.text import cache, tokens as tok
from tagger.model.network import HParams
from tagger.model.training import train_tagger
t0 = time.perf_counter()
df = loaders.load_questions(sys.argv[1])
config = tok.TokenConfig()
hp = HParams(epochs=1, patience=1)
t = train_tagger(cache.tokens_many(df.title.tolist(), config), df.tags.tolist(), config, hp)
from tagger.model.streaming import peak_rss_mb
print(json.dumps({"questions": len(df), "seconds": round(time.perf_counter() - t0, 1),
                  "peak_rss_mb": round(peak_rss_mb(), 1)}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_cold_start_browser(app_py: Path, timeout: float = 180) -> dict:
    """Seconds from `streamlit run` to the first page fully rendered in headless Chromium."""
    import urllib.request

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    port = _free_port()
    ready = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app_py), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=app_py.parent, env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("streamlit exited before serving")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError("streamlit did not start")
                time.sleep(0.05)
            server_ready = time.perf_counter() - t0
            page.goto(url, timeout=timeout * 1000)
            page.wait_for_selector(ready, timeout=timeout * 1000)
            page.wait_for_selector('[data-testid="stElementContainer"]', timeout=timeout * 1000)
            cold = time.perf_counter() - t0
            warm = []
            for _ in range(3):
                t1 = time.perf_counter()
                page.reload(wait_until="domcontentloaded")
                page.wait_for_selector(ready, timeout=timeout * 1000)
                page.wait_for_selector('[data-testid="stElementContainer"]', timeout=timeout * 1000)
                warm.append(time.perf_counter() - t1)
            errors = page.locator('[data-testid="stException"]').count()
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            browser.close()
    return {"method": "streamlit run + headless Chromium", "cold_seconds": cold, "server_ready_seconds": server_ready,
            "warm_seconds": float(np.median(warm)), "warm_runs": warm, "exceptions_on_page": errors}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description="Cooking Tagger benchmarks")
    p.add_argument("--quick", action="store_true", help="a few hundred rows, tiny models: a smoke run")
    p.add_argument("--out", default="bench-results", help="folder for results.json and results.png")
    p.add_argument("--data", help="questions file (default: TAGGER_DATA)")
    p.add_argument("--models", help="model registry to read the shipped configurations from (default: models/)")
    p.add_argument("--skip", default="", help=f"comma-separated sections to skip: {','.join(SECTIONS)}")
    p.add_argument("--stream-sizes", help="generated questions per streaming run (default 100000,1000000)")
    p.add_argument("--stream-max-steps", type=int, help="cap the training batches of each streaming run")
    p.add_argument("--no-inmemory-reference", action="store_true",
                   help="skip the in-memory training run that the streaming memory is compared with")
    p.add_argument("--strict", action="store_true", help="stop at the first failing section")
    p.add_argument("--silent", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    args.skip = [s for s in args.skip.split(",") if s]
    bad = set(args.skip) - set(SECTIONS)
    if bad:
        p.error(f"unknown section(s) {', '.join(sorted(bad))}; choose from {', '.join(SECTIONS)}")
    default_sizes = "400,800" if args.quick else "100000,1000000"
    args.stream_sizes = [int(x) for x in (args.stream_sizes or default_sizes).split(",")]
    args.quick_rows = 800
    args.latency_n = 50 if args.quick else 500
    args.throughput_n = 100 if args.quick else 1000
    if args.quick and args.stream_max_steps is None:
        args.stream_max_steps = 5
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    results = Bench(args).run()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = report(results)
    print(text)
    from tagger.core import atomic

    atomic.write_json(out / "results.json", results)
    os.chmod(out / "results.json", 0o644)  # the atomic write's temporary file is private
    (out / "results.md").write_text(text + "\n", encoding="utf-8")
    try:
        png = write_chart(results, out / "results.png")
        if png:
            print(f"\nwrote {out / 'results.json'}, {out / 'results.md'} and {png}")
    except Exception as e:  # the numbers matter more than the picture
        print(f"\nwrote {out / 'results.json'}; chart failed: {e.__class__.__name__}: {e}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
