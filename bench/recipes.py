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


def _label(config: tok.TokenConfig, hp: HParams) -> str:
    members = f"{hp.members} members" if hp.members > 1 else "single network"
    return f"Conv1D, {members}, {hp.output}"


def shipped_recipes(models_root: Path | None = None) -> list[Recipe]:
    """One recipe per shipped model (in shipped.json order), plus the best ensemble as one network.

    With no shipped model (a fresh registry), the library's default recipe on both token filters.
    """
    reg = Registry(models_root)
    entries = {e.name: e for e in reg.entries() if e.metadata is not None}
    out = []
    for name in reg.shipped_names():
        e = entries.get(name)
        if e is None:
            continue
        meta = e.metadata
        hp = HParams.from_dict((meta.get("recipe") or {}).get("twin_hparams") or meta["hparams"])
        if hp.body_len:
            continue  # a title + body recipe needs bodies: the quality rows here are on titles (README: Title and body)
        config = tok.TokenConfig.from_dict(meta["token_config"])
        out.append(Recipe(name, _label(config, hp), config, hp, f"models/{name}/metadata.json"))
    if not out:
        hp = HParams()
        filters = (("all-words", tok.TokenConfig(pos_tags=None)), ("nouns-gerunds", tok.TokenConfig()))
        out = [Recipe(f"default-{label}", _label(config, hp), config, hp, "tagger.model.network.HParams defaults")
               for label, config in filters]
    ensembles = [r for r in out if r.hp.members > 1 and r.hp.output == "sigmoid"]
    for r in ensembles:
        single = dataclasses.replace(r.hp, members=1)
        out.append(Recipe(f"{r.key} (1 member)", _label(r.config, single), r.config, single,
                          f"{r.source}, with members=1"))
    return out


def body_recipes(models_root: Path | None = None) -> list[Recipe]:
    """The shipped title + body recipes (their twins' hparams and both filters); with none shipped, the
    default recipe reading the first 64 body tokens, all words in title and body."""
    reg = Registry(models_root)
    entries = {e.name: e for e in reg.entries() if e.metadata is not None}
    out = []
    for name in reg.shipped_names():
        meta = entries[name].metadata if name in entries else None
        if meta is None:
            continue
        hp = HParams.from_dict((meta.get("recipe") or {}).get("twin_hparams") or meta["hparams"])
        if not hp.body_len or "body_token_config" not in meta:
            continue
        out.append(Recipe(name, _label(None, hp).replace("Conv1D", "Conv1D title + body"),
                          tok.TokenConfig.from_dict(meta["token_config"]), hp, f"models/{name}/metadata.json",
                          tok.TokenConfig.from_dict(meta["body_token_config"])))
    if not out:
        every_word = tok.TokenConfig(pos_tags=None)
        hp = HParams(body_len=64)
        out.append(Recipe("default-title-body", _label(None, hp).replace("Conv1D", "Conv1D title + body"),
                          every_word, hp, "tagger.model.network.HParams defaults, body_len=64", every_word))
    return out
