"""Load test: many browser sessions asking Suggest for tags, first on a quiet server, then while a retrain runs.

    .venv/bin/python bench/load_test.py                 # 20 sessions x 5 suggestions per phase
    .venv/bin/python bench/load_test.py --sessions 5 --requests 3 --out bench-results/load-small.json

It starts its own `streamlit run app.py` on a free 127.0.0.1 port over a scratch copy of `models/` (the real
registry is never touched), drives headless Chromium (/usr/bin/chromium) through Playwright, and stops
everything at the end. Localhost only, and bounded: at most 2 x requests x (sessions + 1) + sessions
suggestions, each given `--request-timeout` seconds, and the whole run is cut off after `--max-seconds`.

Phases:
  1. idle        one session, one suggestion at a time (the best a visitor gets)
  2. concurrent  every session at once, no training
  3. retrain     every session at once while one more session trains a model on the Retrain page

A suggestion's latency is from pressing Enter in the title box to the page showing that title's own
tokens (each title carries a unique word, so stale output from the previous run can't count). An error
is a suggestion that doesn't show within the timeout, a traceback or "Something went wrong" on the
page, an uncaught page error or a console error. The server's memory is its VmRSS from /proc, sampled
twice a second. Client and server share the machine: the browsers' rendering is part of the load.
Prints a table and writes JSON (default bench-results/load.json; the server's log beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: `python bench/load_test.py`

from bench.server import StreamlitServer, free_port  # noqa: E402

CHROMIUM = os.environ.get("TAGGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TITLES = [
    "How long can I keep cooked rice in the fridge",
    "Can I substitute baking soda for baking powder in pancakes",
    "Why does my sourdough bread come out dense",
    "How do I store fresh basil",
    "What temperature should I roast a chicken at",
    "Can I freeze cheese sauce",
    "How do I keep garlic from burning in the pan",
    "Is it safe to eat raw eggs in mayonnaise",
    "How do I sharpen a kitchen knife",
    "Why is my caramel grainy",
]


# --- the server -----------------------------------------------------------------------------------
def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = set(), {root}
    while frontier:
        children = {p for p, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy (all cores, everyone's processes), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / TICK


class CpuMeter:
    """CPU-seconds spent between `start()` and `stop()` by the server, by this script's browsers, by everyone."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def _clients(self) -> float:
        return sum(cpu_seconds(p) for p in descendants(os.getpid()) if p != self.server_pid) + cpu_seconds(os.getpid())

    def start(self) -> None:
        self._t = time.monotonic()
        self._server, self._clients0, self._machine = (cpu_seconds(self.server_pid), self._clients(),
                                                       machine_busy_seconds())

    def stop(self) -> dict:
        wall = time.monotonic() - self._t
        server = cpu_seconds(self.server_pid) - self._server
        clients = self._clients() - self._clients0  # note: exited processes' time is lost; browsers live on
        machine = machine_busy_seconds() - self._machine
        return {"wall_s": round(wall, 1), "server_cpu_s": round(server, 1), "browsers_cpu_s": round(clients, 1),
                "other_processes_cpu_s": round(max(machine - server - clients, 0), 1),
                "machine_busy_pct": round(100 * machine / (wall * (os.cpu_count() or 1)), 1),
                "load_average_1min_at_end": round(os.getloadavg()[0], 2)}


class MemoryProbe:
    """Samples the server's VmRSS; `mark(phase)` starts attributing samples to a phase."""

    def __init__(self, pid: int):
        self.pid, self.phase = pid, "start"
        self.samples: list[tuple[float, str, float]] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        t0 = time.monotonic()
        while True:
            value = rss_mib(self.pid)
            if value is not None:
                self.samples.append((time.monotonic() - t0, self.phase, value))
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def mark(self, phase: str) -> None:
        self.phase = phase

    def summary(self) -> dict:
        if self._task:
            self._task.cancel()
        by_phase: dict[str, list[float]] = {}
        for _, phase, value in self.samples:
            by_phase.setdefault(phase, []).append(value)
        return {
            "peak_mib": round(max((v for *_, v in self.samples), default=0), 1),
            "by_phase": {p: {"min_mib": round(min(v), 1), "max_mib": round(max(v), 1),
                             "last_mib": round(v[-1], 1)} for p, v in by_phase.items()},
        }


# --- one browser session --------------------------------------------------------------------------
@dataclass
class Result:
    phase: str
    session: int
    latency_s: float | None  # None: it failed
    error: str = ""


@dataclass
class Session:
    index: int
    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


async def open_session(context, url: str, index: int, timeout_ms: float) -> Session:
    from playwright.async_api import expect

    page = await context.new_page()
    session = Session(index, page)
    page.on("console", lambda m: session.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: session.page_errors.append(str(e)))
    await page.goto(url + "/")
    await expect(page.get_by_text("Enter a question title above, or try an example:", exact=True)).to_be_visible(
        timeout=timeout_ms)
    return session


async def suggest_once(session: Session, phase: str, n: int, timeout_ms: float) -> Result:
    """Type a title with a unique word, press Enter, wait until that word shows in 'What the model saw'."""
    page = session.page
    marker = f"q{session.index:02d}x{n:03d}"
    title = f"{TITLES[(session.index + n) % len(TITLES)]} {marker}?"
    main = page.get_by_test_id("stMain")
    box = main.get_by_role("textbox", name="Question title", exact=True)
    errors_before = len(session.console_errors) + len(session.page_errors)
    await box.fill(title)
    start = time.perf_counter()
    await box.press("Enter")
    shown = main.get_by_test_id("stHtml").filter(has_text=marker)
    try:
        await shown.first.wait_for(state="visible", timeout=timeout_ms)
    except Exception as e:  # noqa: BLE001 - a timeout (or a closed page) is the error we count
        return Result(phase, session.index, None, f"no result within {timeout_ms / 1000:.0f} s ({type(e).__name__})")
    latency = time.perf_counter() - start
    problems = []
    if await main.get_by_test_id("stException").count():
        problems.append("traceback on the page")
    if await main.get_by_text("Something went wrong").count():
        problems.append("'Something went wrong' on the page")
    new_errors = (session.console_errors + session.page_errors)[errors_before:]
    if new_errors:
        problems.append(f"console: {new_errors[0][:200]}")
    return Result(phase, session.index, None if problems else latency, "; ".join(problems))


async def run_session(session: Session, phase: str, requests: int, first: int, timeout_ms: float,
                      think: tuple[float, float], rng: random.Random) -> list[Result]:
    out = []
    for n in range(first, first + requests):
        out.append(await suggest_once(session, phase, n, timeout_ms))
        await asyncio.sleep(rng.uniform(*think))
    return out


# --- the retrain session ----------------------------------------------------------------------------
async def start_retrain(context, url: str, sample: int, epochs: int, timeout_ms: float):
    """Open Retrain in its own session, set up a slice, press Start; returns the page once progress shows."""
    from playwright.async_api import expect

    page = await context.new_page()
    await page.goto(url + "/")
    main = page.get_by_test_id("stMain")
    await expect(page.get_by_role("heading", name="Suggest tags")).to_be_visible(timeout=timeout_ms)
    await page.get_by_test_id("stSidebar").get_by_role("link", name=re.compile(r"Retrain$")).click()
    await expect(main.get_by_text("1. Data slice", exact=True)).to_be_visible(timeout=timeout_ms)
    box = main.get_by_role("spinbutton", name="Sample size (0: all)", exact=True)
    await box.fill(str(sample))
    await box.press("Enter")
    await expect(main.get_by_test_id("stMetric").first.get_by_test_id("stMetricValue")).to_have_text(
        f"{sample:,}", timeout=timeout_ms)
    slider = main.get_by_role("slider").and_(main.locator("[aria-label='Epochs']"))
    await slider.focus()
    await page.keyboard.press("Home")
    for _ in range(epochs - 1):
        await page.keyboard.press("ArrowRight")
    await expect(slider).to_have_attribute("aria-valuetext", str(epochs), timeout=timeout_ms)
    await main.get_by_role("button", name="Start training").click()
    await expect(main.get_by_test_id("stProgress")).to_be_visible(timeout=timeout_ms)
    return page


# One read of the page, in the page: asking "is there a progress bar?" and then "what does it say?" as
# two round trips races a short retrain that finishes in between (the element is gone when the second
# question arrives, and Playwright waits for it until its timeout).
_RETRAIN_STATE_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return "unknown";
    const finished = [...main.querySelectorAll("p")].find(e => /^Training finished in/.test(e.innerText || ""));
    if (finished) return finished.innerText.trim();
    const bar = main.querySelector('[data-testid="stProgress"]');
    return bar ? "running: " + bar.innerText.trim() : "unknown";
}"""


async def retrain_state(page) -> str:
    """The Retrain page's state as one snapshot: "Training finished in …", "running: …" or "unknown"."""
    return await page.evaluate(_RETRAIN_STATE_JS)


# --- the run ----------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summarize(results: list[Result]) -> dict:
    ok = [r.latency_s for r in results if r.latency_s is not None]
    errors = [r.error for r in results if r.latency_s is None]
    return {
        "requests": len(results), "ok": len(ok), "errors": len(errors),
        "p50_s": None if not ok else round(percentile(ok, 0.50), 3),
        "p95_s": None if not ok else round(percentile(ok, 0.95), 3),
        "max_s": None if not ok else round(max(ok), 3),
        "mean_s": None if not ok else round(statistics.fmean(ok), 3),
        "error_examples": sorted(set(errors))[:5],
    }


async def run(args) -> dict:
    from playwright.async_api import TimeoutError as PlaywrightTimeout, async_playwright

    timeout_ms = args.request_timeout * 1000
    rng = random.Random(args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="tagger-load-"))
    models = scratch / "models"
    shutil.copytree(REPO / "models", models, ignore=shutil.ignore_patterns(".*", "active.json"))
    out = Path(args.out) if Path(args.out).is_absolute() else REPO / args.out
    env = dict(os.environ, TAGGER_MODELS=str(models))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    extra = tuple(part for option in args.streamlit_option
                  for part in (f"--{option.split('=', 1)[0]}", option.split("=", 1)[1]))
    server = StreamlitServer(free_port(), env, out.with_name(out.stem + "-server.log"), extra)
    report: dict = {"config": vars(args).copy(), "phases": {}, "notes": []}
    try:
        t0 = time.monotonic()
        server.wait_healthy()
        report["server_start_s"] = round(time.monotonic() - t0, 1)
        memory = MemoryProbe(server.proc.pid)
        memory.start()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = [await browser.new_context(viewport={"width": 1280, "height": 1000})
                        for _ in range(args.sessions + 1)]
            for c in contexts:
                c.set_default_timeout(timeout_ms)

            # Sessions open one after another (the first one loads TensorFlow and the model).
            memory.mark("open")
            t0 = time.monotonic()
            sessions = []
            for i in range(args.sessions):
                sessions.append(await open_session(contexts[i], server.url, i, timeout_ms))
            report["open_sessions_s"] = round(time.monotonic() - t0, 1)
            # One unmeasured suggestion per session: the first one loads the model, and each browser tab
            # renders its first charts (loading Vega) only once.
            warm = [await suggest_once(s, "warmup", 0, timeout_ms) for s in sessions]
            report["warmup_first_suggestion_s"] = warm[0].latency_s
            report["warmup_errors"] = sum(r.latency_s is None for r in warm)

            cpu = CpuMeter(server.proc.pid)

            # 1. idle: one session, one at a time.
            memory.mark("idle")
            cpu.start()
            idle = []
            for n in range(1, args.requests * 2 + 1):
                idle.append(await suggest_once(sessions[0], "idle", n, timeout_ms))
                await asyncio.sleep(0.2)
            report["phases"]["idle (1 session)"] = {**summarize(idle), **cpu.stop()}

            # 2. every session at once, no training.
            memory.mark("concurrent")
            cpu.start()
            together = await asyncio.gather(*(run_session(s, "concurrent", args.requests, 100, timeout_ms,
                                                          (0.2, 1.0), random.Random(rng.random()))
                                              for s in sessions))
            report["phases"][f"concurrent ({args.sessions} sessions)"] = {
                **summarize([r for rs in together for r in rs]), **cpu.stop()}

            # 3. the same while one more session trains a model: the load starts once the model is training
            # (preparing the tokens comes first and can take a while on a busy machine).
            memory.mark("retrain")
            t_train = time.monotonic()
            trainer = await start_retrain(contexts[-1], server.url, args.retrain_sample, args.retrain_epochs,
                                          timeout_ms * 2)
            deadline = time.monotonic() + 300
            while "Training: epoch" not in (state := await retrain_state(trainer)) and time.monotonic() < deadline:
                if state.startswith("Training finished"):
                    break
                await asyncio.sleep(1)
            report["retrain_preparing_s"] = round(time.monotonic() - t_train, 1)
            states: list[str] = []

            async def watch_retrain():
                while True:
                    states.append(await retrain_state(trainer))
                    await asyncio.sleep(2)

            watcher = asyncio.get_running_loop().create_task(watch_retrain())
            cpu.start()
            loaded = await asyncio.gather(*(run_session(s, "retrain", args.requests, 200, timeout_ms,
                                                        (0.2, 1.0), random.Random(rng.random()))
                                            for s in sessions))
            watcher.cancel()
            phase = {**summarize([r for rs in loaded for r in rs]), **cpu.stop()}
            training = [x for x in states if "Training: epoch" in x]
            phase["retrain_at_start"] = states[0] if states else state
            phase["retrain_at_end"] = await retrain_state(trainer)
            phase["share_of_phase_with_model_training_pct"] = round(100 * len(training) / max(len(states), 1))
            report["phases"][f"concurrent + retrain ({args.sessions} sessions)"] = phase
            if phase["retrain_at_end"].startswith("running"):
                stop = trainer.get_by_test_id("stMain").get_by_role("button", name="Stop training")
                try:
                    await stop.click(timeout=10_000)
                except PlaywrightTimeout:
                    pass  # the run ended between the check and the click, and its Stop button went with it
            memory.mark("after")
            await asyncio.sleep(2)
            report["retrain_phase_wall_s"] = round(time.monotonic() - t_train, 1)
            report["console_errors"] = sum(len(s.console_errors) + len(s.page_errors) for s in sessions)
            await browser.close()
        report["memory"] = memory.summary()
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def machine() -> dict:
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), "0")
    return {"cpus": os.cpu_count(), "memory_gib": round(int(mem) / 1024 ** 2, 1), "python": platform.python_version(),
            "platform": platform.platform(), "load_average_at_start": os.getloadavg()}


def print_table(report: dict) -> None:
    print(f"\n{'phase':<36} {'requests':>8} {'errors':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for name, p in report["phases"].items():
        f = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"{name:<36} {p['requests']:>8} {p['errors']:>6} {f(p['p50_s']):>7} {f(p['p95_s']):>7} "
              f"{f(p['max_s']):>7}")
    mem = report.get("memory", {})
    if mem:
        print(f"\nserver memory (VmRSS): peak {mem['peak_mib']:.0f} MiB; by phase (max): "
              + ", ".join(f"{k} {v['max_mib']:.0f}" for k, v in mem["by_phase"].items()))
    print(f"\n{'phase':<36} {'wall s':>7} {'server CPU s':>12} {'browsers CPU s':>14} {'others CPU s':>12} "
          f"{'machine busy':>12}")
    for name, p in report["phases"].items():
        print(f"{name:<36} {p['wall_s']:>7.0f} {p['server_cpu_s']:>12.1f} {p['browsers_cpu_s']:>14.1f} "
              f"{p['other_processes_cpu_s']:>12.1f} {p['machine_busy_pct']:>11.0f}%")
    retrain = next((p for n, p in report["phases"].items() if "retrain" in n), None)
    if retrain:
        print(f"retrain when the phase began: {retrain['retrain_at_start']}\n"
              f"retrain when the phase ended: {retrain['retrain_at_end']}\n"
              f"model training during {retrain['share_of_phase_with_model_training_pct']}% of the phase")
    print(f"console errors in all sessions: {report.get('console_errors')}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    ap.add_argument("--requests", type=int, default=5, help="suggestions per session per phase (default 5)")
    ap.add_argument("--request-timeout", type=float, default=120, help="seconds one suggestion may take")
    ap.add_argument("--max-seconds", type=float, default=1500, help="the whole run is cut off after this")
    ap.add_argument("--retrain-sample", type=int, default=6000, help="questions in the retrain's slice")
    ap.add_argument("--retrain-epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="bench-results/load.json")
    ap.add_argument("--streamlit-option", action="append", default=[], metavar="KEY=VALUE",
                    help="extra server option, e.g. runner.postScriptGC=false (repeatable)")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 40 or not 1 <= args.requests <= 20:
        ap.error("keep it bounded: 1-40 sessions, 1-20 requests each")
    if not Path(CHROMIUM).is_file():
        ap.error(f"{CHROMIUM} is missing: apt-get install -y chromium (or set TAGGER_CHROMIUM)")
    report = {"machine": machine()}
    t0 = time.monotonic()
    try:
        report.update(asyncio.run(asyncio.wait_for(run(args), args.max_seconds)))
    except (asyncio.TimeoutError, TimeoutError):
        report["aborted"] = f"cut off at --max-seconds {args.max_seconds:.0f}"
        print(report["aborted"], file=sys.stderr)
    report["wall_s"] = round(time.monotonic() - t0, 1)
    out = REPO / args.out if not Path(args.out).is_absolute() else Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    if "phases" in report:
        print_table(report)
    print(f"\nwall time {report['wall_s']:.0f} s; JSON: {out}")
    return 1 if "aborted" in report else 0


if __name__ == "__main__":
    sys.exit(main())
