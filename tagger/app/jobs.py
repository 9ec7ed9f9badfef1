"""One background run per server process (a training run or the Story page's replay), that any session can
watch and only its owner can stop.

Streamlit reruns page scripts but imports modules once per process, so a module-level slot is shared by
every session of the server: that is what makes "one run at a time" hold across browsers, and what keeps
a live replay and a retrain from running at once. A run happens in a plain thread: `TrainingJob` calls
`tagger.model.training.run_experiment`, `ReplayJob` replays the original question's network
(`tagger.model.replay`). Both report progress per batch and epoch, poll a stop flag (the user's Stop
button or the time limit), and keep their result in memory. Nothing is written to disk here: a model
reaches the registry only when its owner saves it, so a failed or stopped run can never touch the
active model. No Streamlit here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import pandas as pd

from tagger.model.network import HParams
from tagger.model.replay import ReplaySettings
from tagger.model.training import Progress, TrainingStopped
from tagger.text import cache, tokens as tok

# Limits that keep a public demo responsive on a small server; the Retrain page states them.
MAX_ROWS = 13_000
MAX_EPOCHS = 15
MAX_SECONDS = 240
# The Retrain page's starting point: the recipe the CLI trains with, in fewer epochs, so that a retrain on
# every question ends in seconds (`make bench` times it; most of the P@1 comes in the first epochs).
DEMO_HPARAMS = HParams(epochs=5)

RUNNING, DONE, FAILED, STOPPED = "running", "done", "failed", "stopped"
TRAINING, REPLAY = "training", "replay"

log = logging.getLogger(__name__)


class JobBusy(RuntimeError):
    """Another run is still going on this server."""


@dataclass
class Snapshot:
    """A consistent copy of a job's state for drawing one frame of the UI."""

    status: str
    phase: str
    fraction: float  # 0..1 of the planned batches
    epoch: int  # epochs finished
    epochs: int
    batch: int
    batches: int
    elapsed: float
    history: list[dict] = field(default_factory=list)
    message: str = ""  # why it failed or stopped
    kind: str = TRAINING


class BackgroundJob:
    """The thread, the progress, the stop flag and the time limit every run shares; `_work` does the run."""

    kind = "run"
    failure = "The run failed"

    def __init__(self, epochs: int, owner: str = "", max_seconds: float = MAX_SECONDS):
        self.epochs, self.owner, self.max_seconds = epochs, owner, max_seconds
        self.result = None  # what `_work` returned, once done
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._status, self._phase, self._message = RUNNING, "Preparing tokens", ""
        self._fraction, self._epoch, self._batch, self._batches = 0.0, 0, 0, 0
        self._history: list[dict] = []
        self._started = time.monotonic()
        self._ended: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"tagger-{self.kind}", daemon=True)

    # --- control -------------------------------------------------------------------------------
    def start(self) -> "BackgroundJob":
        self._thread.start()
        return self

    def owned_by(self, session_id: str) -> bool:
        return bool(session_id) and session_id == self.owner

    def stop_for(self, session_id: str) -> bool:
        """The Stop button: stops the run only for the session that started it. True if it did."""
        if not self.owned_by(session_id):
            return False
        self.stop()
        return True

    def stop(self, reason: str = "Stopped on request; nothing was saved.") -> None:
        with self._lock:
            if self._status == RUNNING and not self._stop.is_set():
                self._message = reason
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (tests, scripts); True if it did."""
        return self._finished.wait(timeout)

    @property
    def running(self) -> bool:
        return not self._finished.is_set()

    # --- state -------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        with self._lock:
            end = self._ended if self._ended is not None else time.monotonic()
            return Snapshot(self._status, self._phase, self._fraction, self._epoch, self.epochs,
                            self._batch, self._batches, end - self._started,
                            [dict(r) for r in self._history], self._message, self.kind)

    # --- the thread -------------------------------------------------------------------------
    def _should_stop(self) -> bool:
        if not self._stop.is_set() and time.monotonic() - self._started > self.max_seconds:
            self.stop(f"Stopped at the demo's time limit of {self.max_seconds:.0f} seconds; nothing was saved. "
                      "Try fewer epochs or a smaller slice.")
        return self._stop.is_set()

    def _progress(self, p: Progress) -> None:
        with self._lock:
            self._batches = p.batches
            if len(p.history) > self._epoch:  # an epoch just ended (its row was appended first)
                self._epoch = len(p.history)
                self._history = [dict(r) for r in p.history]
                self._fraction = self._epoch / max(p.epochs, 1)
                self._batch = p.batches
            else:
                self._batch = p.batch
                self._fraction = (p.epoch + p.batch / max(p.batches, 1)) / max(p.epochs, 1)
            self._phase = f"Training: epoch {min(p.epoch + 1, p.epochs)} of {p.epochs}"

    def _work(self):
        raise NotImplementedError

    def _run(self) -> None:
        try:
            result = self._work()
            with self._lock:
                self.result, self._status, self._phase, self._fraction = result, DONE, "Finished", 1.0
        except TrainingStopped:
            with self._lock:
                self._status, self._phase = STOPPED, "Stopped"
                self._message = self._message or "Stopped; nothing was saved."
        except Exception as e:  # noqa: BLE001 - the UI shows the reason; the log keeps the traceback
            log.exception("%s run failed", self.kind)
            reason = str(e) if isinstance(e, (ValueError, tok.TokenizerError)) else f"{e.__class__.__name__}: {e}"
            with self._lock:
                self._status, self._phase = FAILED, "Failed"
                self._message = f"{self.failure}: {reason.splitlines()[0] if reason else 'unknown error'}"
        finally:
            with self._lock:
                self._ended = time.monotonic()
            self._finished.set()


class TrainingJob(BackgroundJob):
    """A Conv1D trained on a slice and compared with the baseline (`training.run_experiment`)."""

    kind = TRAINING
    failure = "Training failed"

    def __init__(self, train: pd.DataFrame, test: pd.DataFrame, config: tok.TokenConfig, hp: HParams, *,
                 data_info: dict | None = None, compare_with: dict | None = None, owner: str = "",
                 max_seconds: float = MAX_SECONDS):
        super().__init__(hp.epochs, owner, max_seconds)
        self.train, self.test, self.config, self.hp = train, test, config, hp
        self.data_info = dict(data_info or {})
        self.compare_with = dict(compare_with or {})

    def _work(self):
        from tagger.model.training import run_experiment

        result = run_experiment(self.train, self.test, self.config, self.hp, data_info=self.data_info,
                                compare_with=self.compare_with, progress=self._progress,
                                should_stop=self._should_stop)
        result.tagger.metadata["training_data"]["seconds"] = round(time.monotonic() - self._started, 1)
        return result


class ReplayJob(BackgroundJob):
    """The original question's network replayed on these questions (`replay.replay`); result: a `Replay`."""

    kind = REPLAY
    failure = "The replay failed"

    def __init__(self, questions: pd.DataFrame, settings: ReplaySettings, *, config: tok.TokenConfig | None = None,
                 owner: str = "", max_seconds: float = MAX_SECONDS):
        super().__init__(settings.epochs, owner, max_seconds)
        self.questions, self.settings = questions, settings
        self.config = config or tok.TokenConfig()  # the question's filter: NN, NNS, VBG

    def _work(self):
        from tagger.model import replay

        tokens = cache.tokens_many(self.questions.title.tolist(), self.config)
        if self._should_stop():
            raise TrainingStopped("stopped before the replay began")
        return replay.replay(tokens, [list(t) for t in self.questions.tags], self.settings,
                             progress=self._progress, should_stop=self._should_stop)


_slot_lock = threading.Lock()
_current: TrainingJob | None = None


def check_limits(rows: int, hp: HParams) -> list[str]:
    """Reasons a run would break the demo's limits; empty when it is within them."""
    out = []
    if rows > MAX_ROWS:
        out.append(f"{rows:,} questions is over the limit of {MAX_ROWS:,}.")
    if hp.epochs > MAX_EPOCHS:
        out.append(f"{hp.epochs} epochs is over the limit of {MAX_EPOCHS}.")
    return out


def busy_message(job: BackgroundJob) -> str:
    if job.kind == REPLAY:
        return ("The Story page's replay of the original network is running on this server; it takes under a "
                "minute. Wait for it to finish.")
    return "A training run is already in progress on this server; wait for it to finish."


def _claim(make) -> BackgroundJob:
    """Start the job `make()` builds in the server's one slot, unless a run holds it (JobBusy)."""
    global _current
    with _slot_lock:
        if _current is not None and _current.running:
            raise JobBusy(busy_message(_current))
        _current = make().start()
        return _current


def _check_owner(owner: str) -> None:
    if not owner:
        # An empty owner would be shared by every session without an id, so any of them could stop the run.
        raise ValueError("A run needs the session that starts it; reload the page and try again.")


def start(train: pd.DataFrame, test: pd.DataFrame, config: tok.TokenConfig, hp: HParams, *, owner: str,
          **kwargs) -> TrainingJob:
    """Start a run owned by the session `owner`, unless one is already going on this server (JobBusy) or it
    breaks a limit (ValueError)."""
    _check_owner(owner)
    problems = check_limits(len(train) + len(test), hp)
    if problems:
        raise ValueError(" ".join(problems))
    return _claim(lambda: TrainingJob(train, test, config, hp, owner=owner, **kwargs))


def start_replay(questions: pd.DataFrame, settings: ReplaySettings, *, owner: str, **kwargs) -> ReplayJob:
    """Replay the original network live, on the same terms as a training run: one run per server, limits,
    owned by the session that starts it."""
    _check_owner(owner)
    problems = check_limits(len(questions), HParams(epochs=settings.epochs))
    if problems:
        raise ValueError(" ".join(problems))
    return _claim(lambda: ReplayJob(questions, settings, owner=owner, **kwargs))


def current() -> BackgroundJob | None:
    """The server's latest run (running or finished), or None."""
    return _current


def running() -> BackgroundJob | None:
    job = _current
    return job if job is not None and job.running else None
