"""The crowd's answers to the sense-check quiz, in an embedded SQLite database (standard library `sqlite3`).

One file, `answers.sqlite3`, under the state folder (`TAGGER_STATE_DIR`, default `.state/`), created on
first use. Each row is one answer: the question's id, how it was shown (tokens only or the whole
title), the tags guessed, the guess's F1, the comparison model and its F1 on the same question, an
anonymous random session key and the time. Nothing that identifies a person is stored.

Every call opens its own connection (Streamlit serves each session from its own thread, and several
server processes may share the file), in WAL mode so readers never block the writer. A session may
store at most `MAX_PER_HOUR` answers an hour; the count and the insert are one transaction, so two
tabs of a session can't both slip past the limit. The schema's version is SQLite's `user_version`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tagger.core import paths

FILENAME = "answers.sqlite3"
SCHEMA_VERSION = 1
MAX_PER_HOUR = 60  # a person answers one question in ~10 s at the fastest; more an hour is a script
TIMEOUT = 10.0  # seconds to wait for another writer before giving up
SWITCH_WAIT_MS = 100  # one try at switching to WAL waits this long for other connections
COLUMNS = ("answered_at", "question_id", "mode", "guess", "f1", "model", "model_f1", "session")

_SCHEMA = ("""
CREATE TABLE IF NOT EXISTS answers (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL,
    mode        TEXT    NOT NULL,
    guess       TEXT    NOT NULL,   -- JSON list of tags
    f1          REAL    NOT NULL,
    model       TEXT    NOT NULL,
    model_f1    REAL    NOT NULL,
    session     TEXT    NOT NULL,   -- a random key per browser session, nothing more
    answered_at REAL    NOT NULL    -- Unix time, seconds
)""", "CREATE INDEX IF NOT EXISTS answers_by_session ON answers (session, answered_at)")


class StoreUnavailable(RuntimeError):
    """The database can't be used right now; the message says why and what to do. The quiz goes on."""


class RateLimited(ValueError):
    """This session has stored as many answers as it may this hour."""


@dataclass(frozen=True)
class Answer:
    question_id: int
    mode: str
    guess: Sequence[str]
    f1: float
    model: str
    model_f1: float
    session: str


class AnswerStore:
    def __init__(self, path: Path | None = None, max_per_hour: int = MAX_PER_HOUR, timeout: float = TIMEOUT):
        self.path = Path(path) if path else paths.state_dir() / FILENAME
        self.max_per_hour, self.timeout = max_per_hour, timeout

    # --- connections -------------------------------------------------------------------------
    def _problem(self, e: Exception) -> StoreUnavailable:
        text = str(e).lower()
        if "locked" in text or "busy" in text:
            why = f"is busy (another process held it for over {self.timeout:.0f} s); try again in a moment"
        elif "not a database" in text or "malformed" in text or "disk image" in text:
            why = "is damaged; move the file aside and a new one is started on the next answer"
        elif "unable to open" in text or "readonly" in text or "read-only" in text or isinstance(e, OSError):
            why = "can't be written; set TAGGER_STATE_DIR to a writable folder"
        else:
            why = f"can't be used ({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else 'no details'})"
        return StoreUnavailable(f"The answers database {self.path} {why}.")

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL, once per file. The switch needs the file to itself: another connection's read
        makes it wait, and two connections switching at once make one fail at once ("database is locked")
        whatever the busy timeout. So try in short waits, again and again, until our own timeout."""
        deadline = time.monotonic() + self.timeout
        if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        conn.execute(f"PRAGMA busy_timeout = {SWITCH_WAIT_MS}")
        try:
            while True:
                try:
                    if str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower() == "wal":
                        return
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e).lower() and "busy" not in str(e).lower():
                        raise
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked")
                time.sleep(0.02)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    def _schema(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StoreUnavailable(f"The answers database {self.path} was written by a newer version of Cooking "
                                   f"Tagger (schema {version}, this one knows {SCHEMA_VERSION}); upgrade the app.")
        conn.execute("BEGIN IMMEDIATE")  # one process creates the table; the others wait, then see it
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                for statement in _SCHEMA:  # one by one: executescript would commit the transaction first
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise self._problem(e) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._wal(conn)
            self._schema(conn)
            return conn
        except StoreUnavailable:
            conn.close()
            raise
        except (OSError, sqlite3.Error) as e:
            conn.close()
            raise self._problem(e) from None

    # --- answers -----------------------------------------------------------------------------
    def add(self, answer: Answer, now: float | None = None) -> int:
        """Store one answer; RateLimited when its session has stored `max_per_hour` in the last hour."""
        now = time.time() if now is None else float(now)
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # the count and the insert see no other writer in between
            recent = conn.execute("SELECT COUNT(*), MIN(answered_at) FROM answers WHERE session = ? "
                                  "AND answered_at > ?", (answer.session, now - 3600)).fetchone()
            if recent[0] >= self.max_per_hour:
                wait = max(1, math.ceil((recent[1] + 3600 - now) / 60))
                raise RateLimited(f"This session has stored {self.max_per_hour} answers in the last hour, the "
                                  f"most one session may; this one was scored but not stored. Storing opens "
                                  f"again in about {wait} minute{'s' if wait != 1 else ''}.")
            cur = conn.execute(
                "INSERT INTO answers (question_id, mode, guess, f1, model, model_f1, session, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (int(answer.question_id), str(answer.mode), json.dumps(sorted(set(answer.guess))),
                 float(answer.f1), str(answer.model), float(answer.model_f1), str(answer.session), now))
            conn.execute("COMMIT")
            return int(cur.lastrowid)
        except sqlite3.Error as e:
            raise self._problem(e) from None
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def answers(self) -> pd.DataFrame:
        """Every stored answer, oldest first, with the time as ISO 8601 UTC and the guess as a tag list."""
        conn = self._connect()
        try:
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM answers ORDER BY id").fetchall()
        except sqlite3.Error as e:
            raise self._problem(e) from None
        finally:
            conn.close()
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        frame["answered_at"] = [dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="seconds")
                                for t in frame.answered_at]
        frame["guess"] = [json.loads(g) for g in frame.guess]
        return frame
