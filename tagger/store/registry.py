"""The model registry: a folder of model directories, one of them active.

`models/shipped.json` names the models that ship with the app (they can't be deleted) and the
default active one; `models/active.json` (not tracked) records a later choice. Both pointers are
written atomically, and anything in the folder that is not a complete model is reported, not loaded.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from tagger.core import atomic, paths
from tagger.model.predictor import ModelError, read_metadata

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RegistryError(ValueError):
    """A registry request that can't be done; the message says why."""


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

    # --- changes ----------------------------------------------------------------------------
    def activate(self, name: str) -> None:
        if name not in self.names():
            raise RegistryError(f"no usable model named {name!r}")
        atomic.write_json(self.root / "active.json", {"name": name})

    def save(self, tagger, name: str, overwrite: bool = False) -> Path:
        path = self.path(name)
        if name in self.shipped_names():
            raise RegistryError(f"{name!r} is a shipped model; choose another name")
        if path.exists() and not overwrite:
            raise RegistryError(f"a model named {name!r} already exists")
        tagger.metadata["name"] = name
        return tagger.save(path, overwrite=overwrite)

    def delete(self, name: str) -> None:
        path = self.path(name)
        if name in self.shipped_names():
            raise RegistryError(f"{name!r} ships with the app and can't be deleted")
        if not path.is_dir():
            raise RegistryError(f"no model named {name!r}")
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
