"""Crash-safe writes: a reader sees the old file or directory or the new one, never half of one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file(path: Path, write: Callable[[Path], None]) -> None:
    """Write a file with `write(tmp)` into a temporary file beside `path`, then rename it into place. The
    temporary name keeps `path`'s suffix, so writers that go by it (Keras' `.keras`, gzip's `.gz`) work."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        write(Path(tmp))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    """Write JSON via a temporary file in the same directory and an atomic rename."""
    write_file(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=1, ensure_ascii=False), encoding="utf-8"))


def write_dir(target: Path, fill: Callable[[Path], None], overwrite: bool = False) -> Path:
    """Build a directory with `fill(tmp_dir)` beside `target`, then rename it into place.

    The temporary and retired directories start with a dot, so listings skip them; a crash leaves
    at most such a dot-directory behind, never a half-written `target`.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists")
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        fill(tmp)
        for f in tmp.iterdir():
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        _fsync_dir(tmp)
        retired = None
        if target.exists():
            # Directories can't be swapped in one rename; retire the old one first. The short
            # window in between leaves the old model under a dot-name, still recoverable.
            retired = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(target, retired)
        os.rename(tmp, target)
        _fsync_dir(target.parent)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


@contextmanager
def locked(path: Path):
    """Hold an exclusive lock on `path` (created if missing) for the `with` block. It serialises
    read-then-write changes (count, save, prune) between threads and processes on one machine: flock
    conflicts across open files even inside one process, and the lock ends with the process if it dies."""
    import fcntl  # POSIX only, like the servers this runs on

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
