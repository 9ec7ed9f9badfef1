"""The model registry: a folder of model directories, one of them active.

`models/shipped.json` names the models that ship with the app (they can't be deleted) and the
default active one; `models/active.json` (not tracked) records a later choice. Both pointers are
written atomically, and anything in the folder that is not a complete model is reported, not loaded.

What the registry refuses is the server's rule, whoever calls it: with an admin password set
(`admin`), choosing the active model, deleting a model and overwriting one need an admin grant;
visitors' saves (`save_visitor`) are held to the quotas (`quotas`).
"""

from __future__ import annotations

import json
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tagger.core import atomic, paths
from tagger.model.predictor import ModelError, read_metadata
from tagger.store import admin, quotas

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RegistryError(ValueError):
    """A registry request that can't be done; the message says why."""


class AdminRequired(RegistryError):
    """The change needs an admin grant and the caller has none."""


class QuotaExceeded(RegistryError):
    """A visitor's save would break a quota; the message says which and what still works."""


@contextmanager
def _settings():
    # A broken admin or quota setting is the server's problem, reported like any refused request.
    try:
        yield
    except (admin.AdminError, quotas.LimitsError) as e:
        raise RegistryError(str(e)) from None


def require_admin(grant: admin.Grant | None, action: str) -> None:
    with _settings():
        allowed = admin.is_admin(grant)
    if not allowed:
        raise AdminRequired(f"only an admin can {action}: enter the admin password in the sidebar first")


def validate_name(name: str) -> str:
    """Model names are plain folder names: letters, digits, '.', '_', '-', at most 64 characters."""
    name = (name or "").strip()
    if not NAME_RE.match(name) or ".." in name:
        raise RegistryError(
            f"invalid model name {name[:80]!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass
class ModelEntry:
    name: str
    path: Path
    metadata: dict | None  # None when the directory is not a usable model
    problem: str | None
    shipped: bool


@dataclass
class Saved:
    path: Path
    pruned: list[str] = field(default_factory=list)  # older visitor models removed to stay within the quota


class Registry:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else paths.models_dir()

    # --- pointers ---------------------------------------------------------------------------
    def _shipped(self) -> dict:
        try:
            data = json.loads((self.root / "shipped.json").read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def shipped_names(self) -> list[str]:
        return [n for n in self._shipped().get("models", []) if isinstance(n, str)]

    def path(self, name: str) -> Path:
        path = (self.root / validate_name(name)).resolve()
        if path.parent != self.root.resolve():
            raise RegistryError(f"invalid model name {name!r}")
        return path

    # --- listing ----------------------------------------------------------------------------
    def entries(self) -> list[ModelEntry]:
        """Every non-hidden directory, valid or not, with the reason when it can't be used."""
        shipped = set(self.shipped_names())
        out = []
        if not self.root.is_dir():
            return out
        for d in sorted(self.root.iterdir()):
            if not d.is_dir() or d.name.startswith((".", "_")):
                continue  # dot-dirs are unfinished or retired atomic writes
            try:
                meta, problem = read_metadata(d), None
            except ModelError as e:
                meta, problem = None, str(e)
            out.append(ModelEntry(d.name, d, meta, problem, d.name in shipped))
        return out

    def names(self) -> list[str]:
        return [e.name for e in self.entries() if e.metadata is not None]

    def active_name(self) -> str | None:
        """The chosen model if it is still valid, else the shipped default, else any valid model."""
        valid = self.names()
        try:
            chosen = json.loads((self.root / "active.json").read_text(encoding="utf-8")).get("name")
        except (OSError, ValueError, AttributeError):
            chosen = None
        for name in (chosen, self._shipped().get("default")):
            if name in valid:
                return name
        return valid[0] if valid else None

    def visitor_models(self) -> list[quotas.VisitorModel]:
        shipped = set(self.shipped_names())
        found = (quotas.visitor_model(e.name, e.metadata) for e in self.entries() if e.name not in shipped)
        return [v for v in found if v is not None]

    # --- changes ----------------------------------------------------------------------------
    def _lock(self):
        return atomic.locked(self.root / ".lock")  # a dot-file: listings skip it

    def activate(self, name: str, grant: admin.Grant | None = None) -> None:
        """Make `name` the server's default model (for every new visitor). Admin only."""
        require_admin(grant, "choose the server's default model")
        if name not in self.names():
            raise RegistryError(f"no usable model named {name!r}")
        atomic.write_json(self.root / "active.json", {"name": name})

    def save(self, tagger, name: str, overwrite: bool = False, grant: admin.Grant | None = None) -> Path:
        """Save under `name`. Shipped models are never overwritten; replacing any other model is admin only."""
        path = self.path(name)
        if name in self.shipped_names():
            raise RegistryError(f"{name!r} is a shipped model; choose another name")
        if path.exists() and not overwrite:
            raise RegistryError(f"a model named {name!r} already exists")
        if path.exists():
            require_admin(grant, f"overwrite the model {name!r}")
        tagger.metadata["name"] = name
        return tagger.save(path, overwrite=overwrite)

    def save_limits(self) -> str:
        """The visitor quotas in words (for the page that saves); RegistryError for a broken setting."""
        with _settings():
            return quotas.Limits.from_env().describe()

    def save_visitor(self, tagger, name: str, session_id: str, grant: admin.Grant | None = None) -> Saved:
        """Save a model a visitor retrained, within the quotas: refused once the session has saved its share
        (admins excepted); beyond the total, the oldest visitor models are removed, never a shipped or the
        active one. Never overwrites."""
        if not session_id:
            raise RegistryError("a visitor's model needs the session that saves it")
        name = validate_name(name)
        with _settings():
            limits = quotas.Limits.from_env()
            unlimited = admin.is_admin(grant)
        with self._lock():
            visitors = self.visitor_models()
            mine = sum(v.session == quotas.session_key(session_id) for v in visitors)
            if not unlimited and mine >= limits.per_session:
                raise QuotaExceeded(
                    f"not saved: this session has already saved {mine} models, the most a visitor may keep on "
                    f"this server ({limits.per_session}). You can still train and compare models; an admin can "
                    "delete old ones.")
            quotas.mark(tagger.metadata, session_id)
            new = quotas.visitor_model(name, tagger.metadata)
            # Decided before saving, so a refused save writes nothing; removed after, so a failed save
            # removes nothing.
            prune = quotas.to_prune([*visitors, new], {self.active_name(), name}, limits.total)
            if prune is None:
                raise QuotaExceeded(f"not saved: the server keeps at most {limits.total} visitor models and none "
                                    "of them can be removed to make room (the active model is kept)")
            path = self.save(tagger, name)
            for old in prune:
                self._remove(old)
        return Saved(path, prune)

    def delete(self, name: str, grant: admin.Grant | None = None) -> None:
        """Remove a model for everyone. Admin only; shipped models can't be deleted."""
        path = self.path(name)
        require_admin(grant, "delete a model")
        if name in self.shipped_names():
            raise RegistryError(f"{name!r} ships with the app and can't be deleted")
        if not path.is_dir():
            raise RegistryError(f"no model named {name!r}")
        self._remove(name)

    def _remove(self, name: str) -> None:
        path = self.path(name)
        was_active = self.active_name() == name
        # Rename first so a crash mid-delete leaves a hidden directory, not a broken model.
        trash = path.parent / f".{name}.deleted"
        shutil.rmtree(trash, ignore_errors=True)
        path.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
        if was_active:
            (self.root / "active.json").unlink(missing_ok=True)

    def load(self, name: str):
        from tagger.model.predictor import Tagger

        return Tagger.load(self.path(name))
