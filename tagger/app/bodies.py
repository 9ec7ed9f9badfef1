"""Which model reads a question, and what it read: the Suggest page's title + body logic, without Streamlit.

A visitor picks a model in the sidebar; most models read titles only. When a body is given, a model that
reads titles and bodies (`Tagger.uses_body`) is used instead: the session's own model if it reads bodies,
else the registry's title + body model (a shipped one first). `choose` says which and why, in words the
page shows. Without a body, the session's model is used, whatever it reads (a title alone works with
every model).
"""

from __future__ import annotations

from dataclasses import dataclass

from tagger.model.network import HParams
from tagger.store.registry import Registry
from tagger.text.clean import MAX_BODY_CHARS

__all__ = ["MAX_BODY_CHARS", "Choice", "reads_body", "body_models", "choose", "word_rows", "chart_caption"]


@dataclass(frozen=True)
class Choice:
    name: str  # the model that reads this question
    reason: str  # why, in a sentence ("" when it is simply the session's model)
    switched: bool = False  # True when it is not the session's model
    body_ignored: bool = False  # a body was given and this model will not read it


def reads_body(metadata: dict | None) -> bool:
    """Whether a saved model reads bodies (hparams.body_len > 0)."""
    try:
        return HParams.from_dict((metadata or {}).get("hparams") or {}).body_len > 0
    except (TypeError, ValueError):
        return False


def body_models(registry: Registry) -> list[str]:
    """The usable models that read titles and bodies, shipped ones first, then by name."""
    shipped = set(registry.shipped_names())
    found = [e.name for e in registry.entries() if e.metadata is not None and reads_body(e.metadata)]
    return sorted(found, key=lambda n: (n not in shipped, n))


def choose(registry: Registry, session_model: str, has_body: bool) -> Choice:
    """The model for a question: with a body, one that reads it; without, the session's model."""
    entries = {e.name: e for e in registry.entries() if e.metadata is not None}
    own = entries.get(session_model)
    if not has_body:
        if own is not None and reads_body(own.metadata):
            return Choice(session_model, f"{session_model} reads titles and bodies: given a title alone it still "
                                         "ranks tags, but its probabilities run high. Paste the body below for its "
                                         "best answer, or pick a title-only model in the sidebar.")
        return Choice(session_model, "")
    if own is not None and reads_body(own.metadata):
        return Choice(session_model, f"{session_model} reads the title and the body.")
    candidates = body_models(registry)
    if candidates:
        name = candidates[0]
        return Choice(name, f"A body was given and {session_model} reads titles only, so {name}, a model that "
                            "reads the title and the body, tags this question. Clear the body to use "
                            f"{session_model}.", switched=True)
    return Choice(session_model, f"{session_model} reads titles only and no model here reads bodies: the body is "
                                 "ignored.", body_ignored=True)


def chart_caption(hp: HParams) -> str:
    """What the Suggest page's bars show for a model: its probabilities, and what they are made of when more
    than one Conv1D speaks (a visitor comparing two models' numbers should know)."""
    parts = []
    if hp.wide or hp.knn:
        mix = [f"{1 - hp.wide - hp.knn:.0%} the Conv1D's"]
        if hp.wide:
            mix.append(f"{hp.wide:.0%} a TF-IDF + logistic regression's")
        if hp.knn:
            mix.append(f"{hp.knn:.0%} the votes of the {hp.knn_k} training questions with the most similar words")
        parts.append(", ".join(mix[:-1]) + " and " + mix[-1])
    if hp.rarity:
        parts.append(f"shifted by tag rarity ({hp.rarity:g} of each tag's log base rate taken out of its logit, so "
                     "rarer tags score higher and common ones lower)")
    if hp.boosts_named_tags:
        named = [f"+{hp.mention_title:g} on the logit of a tag the title names"] if hp.mention_title else []
        named += [f"+{hp.mention_body:g} for one the question names anywhere"] if hp.mention_body else []
        parts.append(" and ".join(named) + " (the tag-name boost: every word of the tag, singular or plural: "
                     "cast-iron needs \"cast\" and \"iron\")")
    made_of = f" Its probabilities are {', then '.join(parts)}." if parts else ""
    return f"Bars: the model's probability for each of the top tags. Red line: the decision threshold.{made_of}"


def named_caption(named: list[tuple[str, float]]) -> str:
    """The Suggest page's line under the bars naming the tags the question names (`Tagger.named_tags`)."""
    listed = ", ".join(f"{tag} (+{boost:g})" for tag, boost in named)
    return f"Tags your question names, each lifted on its logit by the tag-name boost: {listed}."


def word_rows(views, part: str) -> list[dict]:
    """Rows of the tokens table for one part of the question ("title" or "body")."""
    return [{"part": part, "word": v.word, "POS": v.pos, "model sees": v.token if v.kept else "", "kept": v.kept,
             "why": v.reason} for v in views]


def explained(contributions: list[dict], tag: str, top_body: int = 8):
    """One tag's contribution rows for the chart: every title word in order, then the `top_body` body words
    that move the tag most (either way), labelled so a word seen twice or in both parts stays apart."""
    import pandas as pd

    rows = pd.DataFrame([c for c in contributions if c["tag"] == tag])
    if rows.empty:
        return rows
    if "part" not in rows:
        rows["part"] = "title"
    title = rows[rows.part == "title"].sort_values("position")
    body = rows[rows.part == "body"]
    body = body.reindex(body.contribution.abs().sort_values(ascending=False).index).head(top_body)
    body = body.sort_values("position")
    out = pd.concat([title, body], ignore_index=True)
    out["word"] = [f"{p + 1}. {t}" if part == "title" else f"body {p + 1}. {t}"
                   for part, p, t in zip(out.part, out.position, out.token, strict=True)]
    out["order"] = range(len(out))
    return out
