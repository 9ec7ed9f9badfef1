"""Shared pieces for the core tests: the real data and a small model trained on real rows."""

from __future__ import annotations

import json
import shutil
import site
from pathlib import Path

import pytest

from tagger.data import loaders


def real_questions():
    path = loaders.default_data_path()
    if path is None or not Path(path).exists():
        pytest.fail(f"the question data is missing ({path}): data/cooking.csv.gz ships with the repository")
    return loaders.load_questions(path)


def registry_of(root: Path, model: Path, names: list[str], shipped: list[str]):
    """A Registry in `root` holding copies of `model` under `names`; `shipped` lists the shipped ones (the
    first is the default)."""
    from tagger.store.registry import Registry

    root.mkdir()
    for name in names:
        shutil.copytree(model, root / name)
    (root / "shipped.json").write_text(json.dumps({"models": shipped, "default": shipped[0]}))
    return Registry(root)


def train_small(out: Path, rows: int = 800, epochs: int = 4, pos: str = "all", seed: int = 7):
    """A real Keras model trained on the first `rows` real questions, saved to `out`."""
    from tagger.model.network import HParams
    from tagger.model.training import train_tagger
    from tagger.text import cache, tokens as tok

    df = real_questions().head(rows)
    config = tok.TokenConfig.from_pos(pos)
    hp = HParams(epochs=epochs, embedding_dim=32, filters=64, kernel_sizes=(1, 2), seed=seed,
                 learning_rate=0.005, patience=epochs)
    tagger = train_tagger(cache.tokens_many(df.title.tolist(), config), df.tags.tolist(), config, hp,
                          data_info={"source": "cooking.csv", "rows_slice": f"first {rows}"})
    tagger.save(out)
    return tagger


def site_packages_without(shadow: Path, hidden: tuple[str, ...]) -> Path:
    """A folder of links to every installed package except those whose names start with `hidden`.

    Put it alone on PYTHONPATH of a `python -S` child (no site-packages of its own): the hidden
    packages are then not installed as far as that child can tell.
    """
    shadow.mkdir()
    for sp in site.getsitepackages():
        for entry in Path(sp).iterdir():
            if not entry.name.lower().startswith(hidden) and not (shadow / entry.name).exists():
                (shadow / entry.name).symlink_to(entry)
    return shadow
