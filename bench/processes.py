"""Measurements that need a fresh interpreter or a real browser: process memory with a model loaded,
the in-memory training reference for streaming, and the app's cold start to a rendered page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.measure import _child_env
from bench.server import free_port

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


def app_cold_start_browser(app_py: Path, timeout: float = 180) -> dict:
    """Seconds from `streamlit run` to the first page fully rendered in headless Chromium."""
    import urllib.request

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    port = free_port()
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


