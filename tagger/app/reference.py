"""Which saved model stands for a shipped model when it is scored against true tags on held-out rows.

A model scored on questions it learned from looks better than it is. A shipped model trained on the
fixed split's first questions only (`tagger.data.split.holdout_split`) stands for itself; one trained
on every question carries its split-trained twin (`tagger.model.predictor.TWIN`), which stands in
for it. Every comparison with true tags that names a shipped model (the quiz's comparison model, the
Story page's best shipped model) goes through `scored_model` and loads with `load`, the one place
that decides. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tagger.model.network import HParams
from tagger.store.registry import Registry
from tagger.text import tokens as tok


@dataclass(frozen=True)
class ModelRef:
    """A model to load: the name people see, its directory, and whether its split-trained twin (when it
    has one) is what gets loaded."""

    name: str
    path: Path
    twin: bool = True


def scored_model(registry: Registry, name: str) -> ModelRef:
    """The model to score against true tags on held-out rows in the name of shipped model `name`: its
    split-trained twin when it carries one, else itself."""
    return ModelRef(name, registry.path(name), twin=True)


def load(ref: ModelRef):
    """The Tagger a reference stands for (Streamlit pages load it through `tagger.ui.cached.load_model`)."""
    from tagger.model.predictor import Tagger

    return Tagger.load(ref.path, twin=ref.twin)


def _metadata(registry: Registry) -> dict[str, dict]:
    shipped = set(registry.shipped_names())
    return {e.name: e.metadata for e in registry.entries() if e.name in shipped and e.metadata is not None}


def question_filter_model(registry: Registry) -> ModelRef | None:
    """The shipped sigmoid model that sees exactly the question's tokens (NN, NNS, VBG), or None."""
    for name, meta in _metadata(registry).items():
        try:
            config = tok.TokenConfig.from_dict(meta.get("token_config") or {})
            output = HParams.from_dict(meta.get("hparams") or {}).output
        except (TypeError, ValueError):
            continue  # unreadable settings: not a model to compare people with
        if config == tok.TokenConfig() and output == "sigmoid":
            return scored_model(registry, name)
    return None


def best_shipped(registry: Registry) -> ModelRef | None:
    """The shipped title-only model with the best held-out P@1 its metadata records, or None."""
    def p_at_1(meta: dict) -> float:
        value = ((meta.get("metrics") or {}).get("heldout") or {}).get("p_at_1")
        return float(value) if isinstance(value, (int, float)) else -1.0

    def reads_titles_only(meta: dict) -> bool:
        try:
            return not HParams.from_dict(meta.get("hparams") or {}).body_len
        except (TypeError, ValueError):
            return False

    # The story scores titles: a title + body model's P@1 was measured with bodies, so it is not a peer here.
    candidates = {name: meta for name, meta in _metadata(registry).items() if reads_titles_only(meta)}
    ranked = sorted(candidates.items(), key=lambda item: (-p_at_1(item[1]), item[0]))
    return scored_model(registry, ranked[0][0]) if ranked else None
