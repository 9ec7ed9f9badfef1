"""Visitor quotas: how many retrained models the app's visitors may keep on the server's disk.

A model saved from the app is a *visitor model*: its metadata records which session saved it (a digest of
the session id, not the id) and when. Models made any other way (shipped, the command line) are not, and
quotas never count or remove them. Two limits, both settings with defaults:

- `TAGGER_MAX_MODELS_PER_SESSION` (default 3): saves one browser session may make; the next is refused.
  Admins (the session holds an admin grant, or the app is in local mode) are not limited.
- `TAGGER_MAX_VISITOR_MODELS` (default 20): visitor models on disk in all. A save beyond it removes the
  oldest visitor models first, never a shipped one or the active one.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass

PER_SESSION_ENV = "TAGGER_MAX_MODELS_PER_SESSION"
TOTAL_ENV = "TAGGER_MAX_VISITOR_MODELS"
DEFAULT_PER_SESSION = 3
DEFAULT_TOTAL = 20
KEY = "visitor"  # the metadata field that marks a visitor model


class LimitsError(ValueError):
    """A quota setting that is not a whole number of at least 1; the message names it."""


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise LimitsError(f"{name} must be a whole number of at least 1 (it is {raw[:20]!r}); fix it and restart")
    return value


@dataclass(frozen=True)
class Limits:
    per_session: int = DEFAULT_PER_SESSION
    total: int = DEFAULT_TOTAL

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(_setting(PER_SESSION_ENV, DEFAULT_PER_SESSION), _setting(TOTAL_ENV, DEFAULT_TOTAL))

    def describe(self) -> str:
        return (f"at most {self.per_session} saved models per visitor session and {self.total} visitor models "
                "on the server (the oldest are removed first)")


def session_key(session_id: str) -> str:
    """What a visitor model records of the session that saved it: enough to count its saves, no more."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:16]


def mark(metadata: dict, session_id: str) -> None:
    metadata[KEY] = {"session": session_key(session_id), "saved_at": time.time()}


@dataclass(frozen=True)
class VisitorModel:
    name: str
    session: str
    saved_at: float


def visitor_model(name: str, metadata: dict | None) -> VisitorModel | None:
    """The visitor record of a model's metadata, or None for models that are not visitor models."""
    info = (metadata or {}).get(KEY)
    if not isinstance(info, dict) or not isinstance(info.get("session"), str):
        return None
    saved_at = info.get("saved_at")
    return VisitorModel(name, info["session"], float(saved_at) if isinstance(saved_at, (int, float)) else 0.0)


def to_prune(visitors: list[VisitorModel], keep: set[str], total: int) -> list[str] | None:
    """Which visitor models to remove so that at most `total` remain: the oldest first, never one in `keep`
    (the active model, the one just saved). None when not enough of them may be removed."""
    excess = len(visitors) - total
    if excess <= 0:
        return []
    candidates = sorted((v for v in visitors if v.name not in keep), key=lambda v: (v.saved_at, v.name))
    if len(candidates) < excess:
        return None
    return [v.name for v in candidates[:excess]]
