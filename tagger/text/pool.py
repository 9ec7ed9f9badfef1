"""POS tagging on every core: many titles tagged by worker processes, exactly as one process would.

Tagging (`tokens.tag_title`: BeautifulSoup, `word_tokenize`, NLTK's perceptron) is pure Python, so
threads don't help; `tag_stream` spreads it over a pool of processes and returns every title's tagged
words **in input order**, equal to `[tokens.tag_title(t) for t in titles]`:

- **Start method: forkserver.** A caller may hold TensorFlow (gRPC and Eigen threads) or run inside
  Streamlit (many threads); `fork()` would copy such a process with whatever locks its other threads
  hold. The forkserver is a fresh interpreter that imports only `PRELOAD` (this package's token
  pipeline) and forks the workers from itself, so they never inherit the caller's threads.
- **One perceptron per worker.** `nltk.pos_tag` keeps its loaded tagger per process; the pool's
  initializer tags one title so every later chunk reuses it.
- **Chunks, bounded.** Titles travel in chunks of `CHUNK` (~0.3-0.5 s of work each: far more than the
  ~1 ms of pickling, small enough to share the cores out); at most 2 x processes chunks are in flight,
  so a stream of millions of titles (a Posts.xml) is never held in the queue.
- **Small inputs stay in-process.** Below `MIN_PARALLEL` titles the pool's start-up (1.5-6 s measured
  on a busy 2-core machine) costs more than it saves, so the titles are tagged here.
- **A worker that dies fails the call.** `concurrent.futures.ProcessPoolExecutor` (not
  `multiprocessing.Pool`, which waits forever for a killed worker's results) raises
  `BrokenProcessPool`, reported as `PoolError` with one line that says what happened.

Functions that run in the workers live here, in an importable module: a worker re-imports them by
name, which a Streamlit page script could not offer. The on-disk cache stays in the caller
(`cache.tag_titles`): workers only tag, so only one process ever writes a cache entry.

`TAGGER_PROCESSES` caps the processes (1 turns the pool off), e.g. on a server shared with others.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice

from tagger.text import tokens

CHUNK = 1000  # titles per task
MIN_PARALLEL = 10_000  # fewer titles than this are tagged in the calling process
PRELOAD = ["tagger.text.tokens"]  # what the forkserver imports once, so forked workers start warm
ENV_PROCESSES = "TAGGER_PROCESSES"

Tagged = list[tuple[str, str]]


class PoolError(RuntimeError):
    """A tagging worker process died (killed, out of memory); the message says so in one line."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and `taskset` narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def default_processes() -> int:
    """Processes to tag with: $TAGGER_PROCESSES when set, else every available core."""
    value = os.environ.get(ENV_PROCESSES, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"{ENV_PROCESSES} must be a whole number of processes, not {value!r}") from None
        if n < 1:
            raise ValueError(f"{ENV_PROCESSES} must be at least 1, not {n}")
        return n
    return available_cores()


# --- in the workers -------------------------------------------------------------------------------
def _init_worker() -> None:
    try:
        tokens.tag_title("Warm up the tagger")  # loads NLTK's perceptron once per worker
    except Exception:
        # A failing initializer would break the whole pool with an anonymous error; let the first
        # real chunk raise the real one (e.g. TokenizerError: NLTK's data missing, with its fix).
        pass


def _tag_chunk(chunk: list[str]) -> list[Tagged]:
    return [tokens.tag_title(t) for t in chunk]


# --- in the caller --------------------------------------------------------------------------------
def workers_can_start() -> bool:
    """Whether worker processes can prepare themselves from this program's main module.

    Each worker re-imports the caller's `__main__` (by module name under `python -m`, by path for a
    script, so a script must guard its work with `if __name__ == "__main__":`, as multiprocessing
    requires for every start method but fork). A main program with a path that is no file
    (`python - < script`, an embedded interpreter) would break every worker as it starts, so such
    callers tag in-process instead.
    """
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None):
        return True
    path = getattr(main, "__file__", None)
    return path is None or os.path.isfile(path)


def make_executor(processes: int) -> ProcessPoolExecutor:
    """A pool of `processes` tagging workers started by the forkserver (reuse it across calls)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)  # takes effect when this process first starts its forkserver
    return ProcessPoolExecutor(int(processes), mp_context=ctx, initializer=_init_worker)


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _in_order(executor: ProcessPoolExecutor, chunks: Iterable[list[str]], window: int) -> Iterator[list[Tagged]]:
    """Each chunk's result in input order, with at most `window` chunks submitted and unfinished."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append(executor.submit(_tag_chunk, chunk))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def tag_stream(titles: Iterable[str], processes: int | None = None, chunk_size: int = CHUNK,
               min_parallel: int | None = None, executor: ProcessPoolExecutor | None = None,
               progress: Callable[[int], None] | None = None) -> Iterator[Tagged]:
    """Every title's POS-tagged words, in input order, tagged by `processes` worker processes.

    Works on any iterable, a stream of millions of titles included: at most
    2 x processes x chunk_size titles are read ahead.

    Args:
        titles: the titles (raw: HTML and all, as `tokens.tag_title` takes them).
        processes: worker processes; None: `default_processes()`. 1: no pool at all.
        chunk_size: titles per task sent to a worker.
        min_parallel: when the input has fewer titles than this (default `MIN_PARALLEL`), they are
            tagged in this process (the first `min_parallel` titles are read ahead to find out).
        executor: a pool from `make_executor` to reuse (its start-up paid once); it is left running.
        progress: called with the number of titles tagged so far, after every chunk.

    Returns:
        An iterator of `[(word, POS tag), ...]` lists, one per title.

    Raises:
        PoolError: a worker process died before its chunk was done.
    """
    procs = default_processes() if processes is None else max(1, int(processes))
    min_parallel = MIN_PARALLEL if min_parallel is None else min_parallel
    if not workers_can_start():
        procs = 1
    it: Iterator[str] = iter(titles)
    if executor is None and procs > 1 and min_parallel > 0:
        head = list(islice(it, min_parallel))
        if len(head) < min_parallel:
            procs = 1  # the whole input is small: a pool would only add its start-up
        it = chain(head, it)
    done = 0
    if executor is None and procs == 1:
        for title in it:
            yield tokens.tag_title(title)
            done += 1
            if progress is not None and done % chunk_size == 0:
                progress(done)
        if progress is not None and done % chunk_size:
            progress(done)
        return
    own = executor is None
    ex = executor or make_executor(procs)
    window = 2 * getattr(ex, "_max_workers", procs)
    try:
        for rows in _in_order(ex, _chunks(it, chunk_size), window):
            yield from rows
            done += len(rows)
            if progress is not None:
                progress(done)
    except BrokenProcessPool:
        raise PoolError(f"a POS-tagging worker process died after {done:,} titles (killed, out of memory, or it "
                        "could not start: a script that tags 10,000+ titles needs `if __name__ == '__main__':`); "
                        "nothing was cached: run again, or set TAGGER_PROCESSES=1 to tag in one process") from None
    finally:
        if own:
            # cancel_futures: a caller that stops reading early (or an error) doesn't wait for
            # chunks nobody will read.
            ex.shutdown(wait=True, cancel_futures=True)


def tag_many(titles: Iterable[str], processes: int | None = None, **kwargs) -> list[Tagged]:
    """`tag_stream` as a list."""
    return list(tag_stream(titles, processes, **kwargs))
