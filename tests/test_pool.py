"""POS tagging on every core: the pool's output is the single-process output, the cache is shared
safely, and a worker killed mid-run fails the call with one clear line instead of hanging."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from tagger.text import cache, pool, tokens as tok
from tests.core_fixtures import real_questions

# Generous: a pool starts in 1.5-6 s on a busy 2-core machine; a hang would never end.
BOUND_S = 300

EDGE_TITLES = ["", "   ", "<b>Bold</b> &amp; <i>entities</i> in a <script>x()</script> title?", "x" * 2000,
               "Crème brûlée without a torch?", "How do I 🍞 bake?", "\u202eright-to-left\u202c text", "1234 5678"]


@pytest.fixture(scope="module")
def titles():
    real = real_questions().title.tolist()[:900]
    # Edge cases spread through the input, so they land in different chunks and workers.
    out = list(real)
    for i, t in enumerate(EDGE_TITLES):
        out.insert(i * 97, t)
    return out


@pytest.fixture(scope="module")
def serial(titles):
    return [tok.tag_title(t) for t in titles]


def _in_bounded_time(fn):
    """fn() in a thread, failing the test instead of hanging when it never returns."""
    with ThreadPoolExecutor(1) as ex:
        return ex.submit(fn).result(timeout=BOUND_S)


def test_pool_output_is_the_serial_output_in_order(titles, serial):
    got = _in_bounded_time(lambda: pool.tag_many(titles, processes=2, chunk_size=50, min_parallel=0))
    assert got == serial  # same words, same tags, same order; empty titles stay empty lists
    assert got[0] == [] and got[97] == []


def test_a_stream_of_titles_is_tagged_lazily_and_in_order(titles, serial):
    read = []

    def stream():
        for t in titles:
            read.append(t)
            yield t

    ex = pool.make_executor(2)
    try:
        it = pool.tag_stream(stream(), chunk_size=40, executor=ex)
        first = next(it)
        # Only a bounded window was read ahead (2 x processes chunks), not the whole stream.
        assert first == serial[0] and len(read) <= 4 * 40 + 40
        rest = _in_bounded_time(lambda: list(it))
    finally:
        ex.shutdown()
    assert [first] + rest == serial


def test_small_inputs_never_start_a_pool(monkeypatch, titles, serial):
    def no_pool(_processes):
        raise AssertionError("a pool was started for a small input")

    monkeypatch.setattr(pool, "make_executor", no_pool)
    assert pool.tag_many(titles[:120], processes=4) == serial[:120]  # < MIN_PARALLEL titles
    monkeypatch.setenv(pool.ENV_PROCESSES, "1")
    assert pool.tag_many(titles[:60], min_parallel=0) == serial[:60]  # TAGGER_PROCESSES=1: no pool at all


def test_processes_setting_is_checked(monkeypatch):
    monkeypatch.setenv(pool.ENV_PROCESSES, "many")
    with pytest.raises(ValueError, match="TAGGER_PROCESSES must be a whole number"):
        pool.default_processes()
    monkeypatch.setenv(pool.ENV_PROCESSES, "0")
    with pytest.raises(ValueError, match="at least 1"):
        pool.default_processes()
    monkeypatch.setenv(pool.ENV_PROCESSES, "3")
    assert pool.default_processes() == 3


def test_the_cache_is_shared_by_both_paths_and_by_concurrent_writers(tmp_path, monkeypatch, titles, serial):
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path))
    monkeypatch.setattr(pool, "MIN_PARALLEL", 0)  # these few hundred titles take the pool's path
    some = titles[:400]

    # Two callers miss the same entry at once, each tagging with its own pool and writing it.
    with ThreadPoolExecutor(2) as ex:
        results = [f.result(timeout=BOUND_S) for f in [ex.submit(cache.tag_titles, some, processes=2)
                                                       for _ in range(2)]]
    assert results[0] == results[1] == serial[:400]
    entries = list((tmp_path / "tagged").iterdir())
    assert [p.name for p in entries] == [f"{cache.titles_hash(some)}.json.gz"]  # one whole entry, no temp files

    # The single-process path reads what the pool wrote: nothing is tagged again.
    def no_tagging(_title):
        raise AssertionError("tagged again instead of reading the cache")

    monkeypatch.setattr(tok, "tag_title", no_tagging)
    assert cache.tag_titles(some, processes=1) == serial[:400]
    assert cache.tokens_many(some, tok.TokenConfig()) == [tok.filter_tagged(t, tok.TokenConfig())
                                                          for t in serial[:400]]


def test_a_killed_worker_fails_the_call_with_a_clear_error(titles):
    ex = pool.make_executor(2)
    killed = []

    def kill_one_worker(done):
        if not killed:  # after the first chunk: the rest of the input is still to be tagged
            pid = next(iter(ex._processes))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    many = titles * 8  # ~7,000 titles, seconds of work left when the worker dies
    try:
        with pytest.raises(pool.PoolError) as err:
            _in_bounded_time(lambda: pool.tag_many(many, chunk_size=100, executor=ex, progress=kill_one_worker))
    finally:
        ex.shutdown()
    assert killed
    message = str(err.value)
    assert "worker process died after" in message and "\n" not in message
    assert "TAGGER_PROCESSES=1" in message
