"""The admin gate: who may change what every visitor sees (the server's default model, deleting models,
overwriting a shipped one).

The server has an admin password when `TAGGER_ADMIN_PASSWORD` is set in its environment, or
`admin_password` in a `.streamlit/secrets.toml` Streamlit reads (see `paths.secrets_files`). Then a
`Grant` comes only from `unlock(password)`, checked with `hmac.compare_digest`, and the registry refuses
those changes without one. Without a password the app is in single-user local mode: every caller may make
them, as before the gate existed.

The password is never logged, never part of a message and never stored: a grant keeps only a keyed
digest of it, so changing the password on the server ends every grant made with the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib

from tagger.core import paths

ENV = "TAGGER_ADMIN_PASSWORD"
SECRET = "admin_password"

# A per-process key for the digests grants keep: a grant proves its holder typed the password this server
# process has now, and is worth nothing outside it.
_KEY = secrets.token_bytes(32)
_OPERATOR = object()


class AdminError(ValueError):
    """The admin settings can't be read; the message says which file and what to fix."""


class Grant:
    """Proof that this session entered the admin password. Made by `unlock` (or `operator_grant`)."""

    __slots__ = ("_digest",)

    def __init__(self, digest: bytes | object):
        self._digest = digest

    def __repr__(self) -> str:  # never shows the digest
        return "Grant()"


def _digest(password: str) -> bytes:
    return hmac.new(_KEY, password.encode("utf-8"), hashlib.sha256).digest()


def _from_secrets() -> str | None:
    found = None
    for path in paths.secrets_files():
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            # Failing closed: a broken secrets file must not silently open the gate.
            raise AdminError(f"{path} can't be read as TOML ({e.__class__.__name__}); fix or remove it") from None
        value = data.get(SECRET)
        if value is not None and not isinstance(value, str):
            raise AdminError(f"{SECRET} in {path} must be a string in quotes")
        if value is not None:
            found = value  # later files win, as in Streamlit
    return found


def _password() -> str | None:
    """The configured password, or None in local mode. An empty value counts as not set."""
    value = os.environ.get(ENV)
    if not value:
        value = _from_secrets()
    return value or None


def gate_enabled() -> bool:
    """True when the server has an admin password (public mode); False in single-user local mode."""
    return _password() is not None


def unlock(password: str) -> Grant | None:
    """A grant if `password` is the admin password, else None. In local mode every password unlocks."""
    configured = _password()
    if configured is None:
        return Grant(_digest(""))
    typed = _digest(password or "")
    return Grant(typed) if hmac.compare_digest(typed, _digest(configured)) else None


def operator_grant() -> Grant:
    """The command line's grant. Whoever runs it on the server can already edit models/ on disk, so asking
    them for the password would protect nothing; the pages never call this (a test checks)."""
    return Grant(_OPERATOR)


def is_admin(grant: Grant | None) -> bool:
    """May the holder of `grant` make admin changes now? Always in local mode; with a password, only with
    a grant made from that same password."""
    configured = _password()
    if configured is None:
        return True
    if not isinstance(grant, Grant):
        return False
    if grant._digest is _OPERATOR:
        return True
    return isinstance(grant._digest, bytes) and hmac.compare_digest(grant._digest, _digest(configured))

