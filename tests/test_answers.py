"""The answers database: created on first use, WAL, versioned; damaged, locked and newer files refused in words;
two processes writing at once both land; a bounded number of answers per session per hour."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from tagger.store import answers
from tagger.store.answers import Answer, AnswerStore, RateLimited, StoreUnavailable


def answer(session="s1", question=1, mode="Tokens only", guess=("bread",), f1=1.0, model_f1=0.5) -> Answer:
    return Answer(question, mode, list(guess), f1, "nouns-gerunds", model_f1, session)


def test_an_empty_database_is_created_on_first_use(tmp_path):
    store = AnswerStore(tmp_path / "state" / "answers.sqlite3")
    assert not store.path.exists()
    empty = store.answers()
    assert empty.empty and list(empty.columns) == list(answers.COLUMNS)
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == answers.SCHEMA_VERSION


def test_an_answer_round_trips(tmp_path):
    store = AnswerStore(tmp_path / "answers.sqlite3")
    store.add(answer(guess=["eggs", "baking", "eggs"], f1=0.4, model_f1=0.8), now=1_700_000_000)
    row = store.answers().iloc[0]
    assert (row.question_id, row["mode"], row.guess, row.f1, row.model, row.model_f1, row.session) == (
        1, "Tokens only", ["baking", "eggs"], 0.4, "nouns-gerunds", 0.8, "s1")
    assert row.answered_at == "2023-11-14T22:13:20+00:00"


def test_the_default_file_lives_in_the_state_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TAGGER_STATE_DIR", str(tmp_path / "somewhere"))
    store = AnswerStore()
    store.add(answer())
    assert store.path == tmp_path / "somewhere" / answers.FILENAME and store.path.is_file()


def test_a_damaged_file_is_refused_in_words(tmp_path):
    path = tmp_path / "answers.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file" * 100)
    store = AnswerStore(path)
    for call in (lambda: store.add(answer()), store.answers):
        with pytest.raises(StoreUnavailable, match="is damaged; move the file aside"):
            call()
    assert path.read_bytes().startswith(b"this is not a database")  # left as it was, for a person to look at


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "answers.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {answers.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreUnavailable, match="newer version"):
        AnswerStore(path).add(answer())


def test_a_database_locked_for_longer_than_the_timeout_is_refused_in_words(tmp_path):
    store = AnswerStore(tmp_path / "answers.sqlite3", timeout=0.2)
    store.add(answer())
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # held for the whole call
    try:
        with pytest.raises(StoreUnavailable, match="is busy"):
            store.add(answer(question=2))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.answers().question_id.tolist() == [1]


def test_switching_an_existing_file_to_wal_retries_while_another_connection_reads(tmp_path, monkeypatch):
    path = tmp_path / "answers.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)  # an older file in rollback-journal mode, in use
    for statement in answers._SCHEMA:
        old.execute(statement)
    old.execute(f"PRAGMA user_version = {answers.SCHEMA_VERSION}")
    assert old.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    old.execute("BEGIN")
    old.execute("SELECT COUNT(*) FROM answers").fetchone()  # holds a read lock: the switch must wait
    waits = []

    def sleep(seconds):  # the store sleeps only after a failed try; let the reader finish then
        waits.append(seconds)
        if old.in_transaction:
            old.execute("COMMIT")

    monkeypatch.setattr(answers.time, "sleep", sleep)
    AnswerStore(path, timeout=30).add(answer())
    assert waits, "the switch to WAL never had to wait: the test did not hold the file"
    old.close()
    fresh = sqlite3.connect(path)
    assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 1


def _add_many(path: str, session: str, n: int, barrier) -> None:
    """In a child process: wait for the other one, then store n answers as fast as possible."""
    store = AnswerStore(path)
    barrier.wait(120)
    for i in range(n):
        store.add(answer(session=session, question=i))


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "existing rollback-journal file"])
def test_two_processes_writing_at_once_both_land(tmp_path, existing):
    path = tmp_path / "answers.sqlite3"
    if existing:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE unrelated (x)")  # a file that exists, not yet in WAL, without our table
        conn.commit()
        conn.close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    workers = [ctx.Process(target=_add_many, args=(str(path), f"p{i}", 25, barrier)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(180)
    assert [w.exitcode for w in workers] == [0, 0]
    stored = AnswerStore(path).answers()
    assert stored.groupby("session").size().to_dict() == {"p0": 25, "p1": 25}


def test_a_session_may_store_a_bounded_number_an_hour(tmp_path):
    store = AnswerStore(tmp_path / "answers.sqlite3", max_per_hour=3)
    start = 1_000_000.0
    for i in range(3):
        store.add(answer(question=i), now=start + i)
    with pytest.raises(RateLimited, match=r"stored 3 answers in the last hour.*about 60 minutes"):
        store.add(answer(question=9), now=start + 10)
    store.add(answer(session="someone else"), now=start + 10)  # the limit is per session
    store.add(answer(question=9), now=start + 3600.5)  # the first answer is over an hour old now
    stored = store.answers()
    assert stored.groupby("session").size().to_dict() == {"s1": 4, "someone else": 1}
