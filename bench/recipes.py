"""What the benchmark compares: the recipe of every shipped model, read from its metadata, and the
single-network version of the best ensemble (the Conv1D alone, beside the ensemble).

A model trained on every row records the recipe its split-trained twin was measured with
(`metadata["recipe"]["twin_hparams"]`); that is the recipe retrained here on the fixed split.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tagger.model.network import HParams
from tagger.store.registry import Registry
from tagger.text import tokens as tok


@dataclasses.dataclass
class Recipe:
    key: str  # e.g. the shipped model's name
    label: str  # for tables
    config: tok.TokenConfig
    hp: HParams
    source: str  # where the recipe came from
    body_config: tok.TokenConfig | None = None  # a title + body recipe's body filter

    def to_dict(self) -> dict:
        out = {"key": self.key, "label": self.label, "token_config": self.config.to_dict(),
               "hparams": self.hp.to_dict(), "source": self.source}
        if self.body_config is not None:
            out["body_token_config"] = self.body_config.to_dict()
        return out


def _label(hp: HParams, network: str = "Conv1D") -> str:
    members = f"{hp.members} members" if hp.members > 1 else "single network"
    extras = ([f"TF-IDF + LR branch {hp.wide:g}"] if hp.wide else []) + (
        [f"{hp.knn_k} nearest questions {hp.knn:g}"] if hp.knn else []) + (
        [f"rarity shift {hp.rarity:g}"] if hp.rarity else []) + (
        [f"tag-name boost {hp.mention_title:g} / {hp.mention_body:g}"] if hp.boosts_named_tags else [])
    return ", ".join([f"{network}, {members}, {hp.output}"] + extras)


def _shipped(models_root: Path | None):
    """(name, metadata, the recipe's hparams) of every shipped model, in shipped.json order. A model trained
    on every row records the recipe its split-trained twin was measured with; that is the one returned."""
    reg = Registry(models_root)
    entries = {e.name: e for e in reg.entries() if e.metadata is not None}
    for name in reg.shipped_names():
        if name in entries:
            meta = entries[name].metadata
            yield name, meta, HParams.from_dict((meta.get("recipe") or {}).get("twin_hparams") or meta["hparams"])


def shipped_recipes(models_root: Path | None = None) -> list[Recipe]:
    """One recipe per shipped model (in shipped.json order), plus the best ensemble as one network.

    With no shipped model (a fresh registry), the library's default recipe on both token filters.
    """
    out = []
    for name, meta, hp in _shipped(models_root):
        if hp.body_len:
            continue  # a title + body recipe needs bodies: `body_recipes`, the bench's body section
        config = tok.TokenConfig.from_dict(meta["token_config"])
        out.append(Recipe(name, _label(hp), config, hp, f"models/{name}/metadata.json"))
    if not out:
        hp = HParams()
        filters = (("all-words", tok.TokenConfig(pos_tags=None)), ("nouns-gerunds", tok.TokenConfig()))
        out = [Recipe(f"default-{label}", _label(hp), config, hp, "tagger.model.network.HParams defaults")
               for label, config in filters]
    ensembles = [r for r in out if r.hp.members > 1 and r.hp.output == "sigmoid"]
    for r in ensembles:
        single = dataclasses.replace(r.hp, members=1)
        out.append(Recipe(f"{r.key} (1 member)", _label(single), r.config, single, f"{r.source}, with members=1"))
    return out


def body_recipes(models_root: Path | None = None) -> list[Recipe]:
    """The shipped title + body recipes (their twins' hparams and both filters); with none shipped, the
    default recipe reading the first 64 body tokens, all words in title and body."""
    out = [Recipe(name, _label(hp, "Conv1D title + body"), tok.TokenConfig.from_dict(meta["token_config"]), hp,
                  f"models/{name}/metadata.json", tok.TokenConfig.from_dict(meta["body_token_config"]))
           for name, meta, hp in _shipped(models_root) if hp.body_len and "body_token_config" in meta]
    if not out:
        every_word = tok.TokenConfig(pos_tags=None)
        hp = HParams(body_len=64)
        out.append(Recipe("default-title-body", _label(hp, "Conv1D title + body"), every_word, hp,
                          "tagger.model.network.HParams defaults, body_len=64", every_word))
    return out
