"""The launcher of a local multi-worker run: N worker processes on 127.0.0.1, watched and time-boxed.

`run_cluster` never imports TensorFlow: it is process management only. It

- picks free loopback ports (bind 127.0.0.1:0, read the port, release it just before the workers
  start) and gives each worker its own `TF_CONFIG` (`{"cluster": {"worker": [...]}, "task":
  {"type": "worker", "index": i}}`), CPU only, in its own session;
- reads the workers' JSON progress lines (`tagger.model.distributed_worker`) as they come;
- **fails fast**: the moment one worker exits non-zero or is killed, it stops the others and
  raises `ClusterError` with one line naming the worker and how it ended. A survivor would
  otherwise sit in an all-reduce waiting for its dead peer (TensorFlow notices a lost peer by
  itself only through timeouts), so waiting for it is never the answer;
- bounds everything else: a stall timeout (no worker reported anything for that long: a worker
  alive but stuck) and a global deadline.

Stopping is SIGTERM, then SIGKILL after a short grace: TensorFlow installs a SIGTERM handler in
multi-worker processes (its preemption notifier) that does not end them.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tagger.core import paths

WORKER_MODULE = "tagger.model.distributed_worker"
GRACE_S = 3.0  # SIGTERM -> SIGKILL
FINISH_GRACE_S = 30.0  # after the chief saved and exited 0, how long the others get to exit by themselves
POLL_S = 0.25  # how often exits are checked between progress lines


class ClusterError(RuntimeError):
    """The run failed (a worker died, stalled, or the deadline passed); the message is one line."""


def free_ports(n: int) -> list[int]:
    """n free TCP ports on 127.0.0.1 (held together while choosing, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


@dataclass
class Worker:
    rank: int
    proc: subprocess.Popen
    log: Path
    events: list[dict] = field(default_factory=list)
    exited_at: float | None = None  # when the launcher first saw it gone (monotonic)

    def last(self, event: str) -> dict | None:
        return next((e for e in reversed(self.events) if e.get("event") == event), None)


def where(workers: list[Worker]) -> str:
    """How far the run got, in words: 'at step 5 of epoch 1' (the furthest step any worker reported)."""
    steps = [s for s in (w.last("step") for w in workers) if s]
    if not steps:
        return "before the first training step"
    step = max(steps, key=lambda s: (s.get("epoch", 0), s.get("step", 0)))
    return f"at step {step['step']} of epoch {step['epoch']}"


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def failure_reason(w: Worker) -> str:
    """What a failed worker said about why: its "error" line, or the collective's abort message."""
    err = w.last("error")
    try:
        lines = [ln.strip() for ln in w.log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        lines = []
    for ln in reversed(lines):
        if ln.startswith(("Collective ops is aborted by", "Collective has timed out")):
            return ln[:240]
    if err:
        return f"{err.get('type')}: {err.get('message')}"[:240]
    return ""


def stop(workers: list[Worker]) -> None:
    """SIGTERM every live worker, SIGKILL whatever is still alive after GRACE_S."""
    live = [w for w in workers if w.proc.poll() is None]
    for w in live:
        w.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for w in live:
        try:
            w.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()


def _start(rank: int, n: int, ports: list[int], job_path: Path, log_dir: Path) -> Worker:
    env = {**os.environ, "TF_CONFIG": tf_config(ports, rank),
           # Local workers train on CPU: one GPU is not shared by several processes' allocators.
           "CUDA_VISIBLE_DEVICES": "-1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(paths.REPO), os.environ.get("PYTHONPATH")) if p)}
    log = log_dir / f"worker-{rank}.log"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE, str(job_path), str(rank)],
                                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True, env=env,
                                start_new_session=True)  # a Ctrl-C reaches the launcher, which stops them
    return Worker(rank, proc, log)


def _read(w: Worker, events: queue.Queue) -> None:
    for line in w.proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # not one of the worker's progress lines
        if isinstance(event, dict):
            events.put((w.rank, event))
    events.put((w.rank, None))  # end of output


def run_cluster(job_path, n_workers: int, log_dir, *, deadline_s: float | None = None,
                stall_timeout_s: float | None = 600.0,
                on_event: Callable[[Worker, dict], None] | None = None) -> dict:
    """Run `n_workers` workers of `job_path` to the end; returns each worker's "done" line.

    Args:
        job_path: the job file the workers read (written by `tagger.model.distributed`).
        n_workers: worker processes, each with its own TF_CONFIG on 127.0.0.1.
        log_dir: where each worker's stderr goes (`worker-<rank>.log`).
        deadline_s: fail when the whole run takes longer (None: no deadline).
        stall_timeout_s: fail when no worker reports anything for this long (None: never).
        on_event: called as `on_event(worker, event)` for every progress line, in the launcher.

    Returns:
        `{"workers": [done line of worker 0, ...], "wall_seconds": ..., "note": ...}`.

    Raises:
        ClusterError: a worker failed or was killed, the run stalled, or the deadline passed.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    restore = _raise_on_sigterm()
    try:
        return _run(Path(job_path), n_workers, log_dir, deadline_s, stall_timeout_s, on_event)
    finally:
        restore()


def _raise_on_sigterm() -> Callable[[], None]:
    """While the cluster runs, a SIGTERM to the launcher stops the workers too (they run in their own
    session, so nothing else would reach them); returns what undoes it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be set from the main thread

    def terminated(signum, frame):
        raise ClusterError("the launcher was terminated (SIGTERM); the workers were stopped; nothing was saved")

    previous = signal.signal(signal.SIGTERM, terminated)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _run(job_path: Path, n_workers: int, log_dir: Path, deadline_s, stall_timeout_s, on_event) -> dict:
    ports = free_ports(n_workers)
    start = last_event = time.monotonic()
    events: queue.Queue = queue.Queue()
    workers = [_start(rank, n_workers, ports, job_path, log_dir) for rank in range(n_workers)]
    readers = [threading.Thread(target=_read, args=(w, events), daemon=True) for w in workers]
    for r in readers:
        r.start()
    note = None
    try:
        while True:
            try:
                rank, event = events.get(timeout=POLL_S)
            except queue.Empty:
                rank, event = None, None
            now = time.monotonic()
            if event is not None:
                last_event = now
                workers[rank].events.append(event)
                if on_event is not None:
                    on_event(workers[rank], event)
            for w in workers:
                if w.exited_at is None and w.proc.poll() is not None:
                    w.exited_at = now
            failed = [w for w in workers if w.exited_at is not None and w.proc.returncode != 0]
            if failed:
                raise ClusterError(_failure_message(failed, workers, now - start))
            if all(w.exited_at is not None for w in workers):
                break
            chief = workers[0]
            if chief.exited_at is not None and now - chief.exited_at > FINISH_GRACE_S:
                # Past the exit barrier nothing is left to do: a worker still alive is stuck in
                # TensorFlow's teardown. The chief saved the model; stop the rest and succeed.
                lingering = [w.rank for w in workers if w.exited_at is None]
                note = f"worker(s) {lingering} stopped {FINISH_GRACE_S:.0f} s after the chief had saved and exited"
                break
            if stall_timeout_s and now - last_event > stall_timeout_s:
                raise ClusterError(f"no worker reported progress for {stall_timeout_s:.0f} s (a worker stuck, or "
                                   f"a collective waiting for one); stopped workers {_live(workers)}")
            if deadline_s and now - start > deadline_s:
                raise ClusterError(f"the multi-worker run did not finish within {deadline_s:.0f} s; stopped "
                                   f"workers {_live(workers)}")
    finally:
        stop(workers)  # on success this is a no-op; on any error, nobody is left waiting
        for r in readers:
            r.join(timeout=5)
    done = [w.last("done") or {} for w in workers]
    return {"workers": done, "wall_seconds": round(time.monotonic() - start, 1), "note": note}


def _live(workers: list[Worker]) -> str:
    return ", ".join(str(w.rank) for w in workers if w.proc.poll() is None) or "none"


def _failure_message(failed: list[Worker], workers: list[Worker], elapsed: float) -> str:
    # The cause first: a worker killed by a signal explains why its peers' collectives then failed.
    first = sorted(failed, key=lambda w: (w.proc.returncode >= 0, w.exited_at))[0]
    reason = failure_reason(first) if first.proc.returncode > 0 else ""
    others = [w.rank for w in workers if w is not first]
    return (f"worker {first.rank} {describe_exit(first.proc.returncode)} {where(workers)}, {elapsed:.0f} s into "
            f"the run" + (f" ({reason})" if reason else "")
            + f"; the run stopped worker(s) {', '.join(map(str, others))} rather than leave them waiting in a "
            "collective; nothing was saved")
