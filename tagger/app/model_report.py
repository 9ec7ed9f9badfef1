"""What the Models page says about models: the registry as a table, and one model's per-tag quality.

Per-tag numbers are computed on the rows the model did not train on: the held-out part of the slice
it was trained on (recorded in its metadata by the Retrain page), or the project's fixed held-out
questions for models trained on the whole data. No Streamlit here.
"""

from __future__ import annotations

import pandas as pd

from tagger.app import slices
from tagger.data.split import holdout_split
from tagger.model.network import HParams
from tagger.scoring import metrics
from tagger.store.registry import ModelEntry
from tagger.text.tokens import TokenConfig


def _hparams_label(hp: dict) -> str:
    try:
        h = HParams.from_dict(hp)
    except (TypeError, ValueError):
        return "unreadable"
    kernels = ",".join(str(k) for k in h.kernel_sizes)
    label = (f"{h.output}, {h.epochs} epochs, emb {h.embedding_dim}, {h.filters} filters × [{kernels}], "
             f"dropout {h.dropout:g}, batch {h.batch_size}")
    # What the served probabilities are made of beyond one Conv1D: a visitor comparing models should see it.
    extras = [f"{h.members} members"] if h.members > 1 else []
    if h.wide:
        extras.append(f"TF-IDF + LR branch {h.wide:g} of the output")
    if h.knn:
        extras.append(f"{h.knn_k} nearest questions {h.knn:g} of the output")
    if h.rarity:
        extras.append(f"rarity shift {h.rarity:g}")
    if h.boosts_named_tags:
        extras.append(f"tag-name boost {h.mention_title:g} title / {h.mention_body:g} body")
    return ", ".join([label] + extras)


def slice_label(meta: dict) -> str:
    info = meta.get("training_data") or {}
    if "slice" in info:
        label = slices.SliceSpec.from_dict(info["slice"]).describe()
    else:
        label = f"whole file {info.get('source', '?')}"
    rows = info.get("rows")
    return f"{label} ({rows:,} questions)" if isinstance(rows, int) else label


def models_table(entries: list[ModelEntry], active: str | None) -> pd.DataFrame:
    """One row per model directory; unusable ones say why instead of their numbers."""
    rows = []
    for e in entries:
        row = {"name": e.name, "status": ", ".join(
            s for s, on in (("active", e.name == active), ("shipped", e.shipped)) if on) or "saved"}
        if e.metadata is None:
            row.update({"data slice": "", "tokens": "", "hyperparameters": f"unusable: {e.problem}"})
            rows.append(row)
            continue
        meta = e.metadata
        held = (meta.get("metrics") or {}).get("heldout") or {}
        row.update({
            "P@1": held.get("p_at_1"), "P@5": held.get("p_at_5"), "R@5": held.get("r_at_5"),
            "micro-F1": held.get("micro_f1"),
            "tokens": TokenConfig.from_dict(meta.get("token_config") or {}).label,
            "data slice": slice_label(meta),
            "hyperparameters": _hparams_label(meta.get("hparams") or {}),
            "tags": len(meta.get("tags") or []),
            "threshold": meta.get("threshold"),
            "created": (meta.get("created_at") or "")[:16].replace("T", " "),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def evaluation_rows(meta: dict, questions: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The questions to score a model on, and a sentence saying which they are."""
    rows, description = _evaluation_rows(meta, questions)
    if (meta.get("hparams") or {}).get("body_len"):
        description += ("; scored on their titles alone, though this model also reads bodies (its metadata's "
                        "numbers were measured with them)")
    return rows, description


def _evaluation_rows(meta: dict, questions: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    info = meta.get("training_data") or {}
    if "slice" in info:
        spec = slices.SliceSpec.from_dict(info["slice"])
        _, test = slices.split(slices.apply(questions, spec))
        return test, f"the held-out part of its training slice ({spec.describe()}): {len(test):,} questions"
    _, test = holdout_split(questions)
    if info.get("part") == "all rows":
        # Only a model without its twin lands here: it trained on these questions too.
        return test, (f"the project's held-out questions (the last {len(test):,} of the data file), which this "
                      "model also trained on: its scores here are optimistic")
    return test, f"the project's held-out questions (the last {len(test):,} of the data file)"


def per_tag(tagger, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(precision/recall/F1/support per tag at the model's threshold, micro-F1 against the threshold)."""
    token_lists = tagger.tokens_many(rows.title.tolist())
    probs = tagger.predict_proba(token_lists)
    predicted = metrics.tags_above(tagger.tags, probs, tagger.threshold)
    report = metrics.per_tag_report(rows.tags.tolist(), predicted)
    curve = metrics.threshold_curve(rows.tags.tolist(), tagger.tags, probs)
    return report, curve
