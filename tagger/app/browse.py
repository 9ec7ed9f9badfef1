"""The question browser's table: each real question beside the tokens a model sees and its verdict.

Built once per (data, model) from a probability matrix, then searched, filtered and paged cheaply.
No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

HIT, MISS, SILENT, NO_TOKENS = "hit", "miss", "nothing above threshold", "no tokens"
RESULTS = (HIT, MISS, SILENT, NO_TOKENS)


def question_table(questions: pd.DataFrame, token_lists: Sequence[Sequence[str]], tag_names: Sequence[str],
                   probabilities: np.ndarray, threshold: float) -> pd.DataFrame:
    """id, title, tokens, true tags, model tags (those above the threshold, best first) and result.

    result: hit (at least one of the model's tags is a true tag), miss, nothing above threshold,
    or no tokens (the filter left the model nothing to read).
    """
    names = np.asarray(tag_names, dtype=object)
    model_tags, results = [], []
    for tokens, truth, row in zip(token_lists, questions.tags, probabilities, strict=True):
        order = np.argsort(-row, kind="stable")
        chosen = [names[i] for i in order if row[i] >= threshold] if len(tokens) else []
        model_tags.append(chosen)
        if not tokens:
            results.append(NO_TOKENS)
        elif not chosen:
            results.append(SILENT)
        else:
            results.append(HIT if set(chosen) & set(truth) else MISS)
    return pd.DataFrame({
        "id": questions.id.to_numpy(),
        "title": questions.title.to_numpy(),
        "tokens": [list(t) for t in token_lists],
        "true tags": [list(t) for t in questions.tags],
        "model tags": model_tags,
        "result": results,
    })


def search(table: pd.DataFrame, text: str = "", tag: str | None = None, result: str | None = None) -> pd.DataFrame:
    """Rows whose title contains `text` (any case), that carry true tag `tag`, with verdict `result`."""
    keep = pd.Series(True, index=table.index)
    text = (text or "").strip()
    if text:
        keep &= table.title.str.contains(text, case=False, regex=False)
    if tag:
        keep &= table["true tags"].map(lambda ts: tag in ts)
    if result:
        keep &= table.result == result
    return table[keep]


def page(table: pd.DataFrame, number: int, size: int) -> tuple[pd.DataFrame, int]:
    """Rows of 1-based page `number` (clamped to the pages there are) and the page count."""
    pages = max(1, -(-len(table) // size))
    number = min(max(1, int(number)), pages)
    return table.iloc[(number - 1) * size: number * size], pages


@dataclass
class HitRates:
    held_out: float | None  # share of hits among the questions the model never trained on
    held_out_rows: int
    trained: float | None  # ... and among those it trained on (optimistic)
    trained_rows: int


def hit_rates(table: pd.DataFrame, held_out_ids) -> HitRates:
    """Hits among the rows the scoring model never saw, apart from those it trained on."""
    held = table.id.isin(set(held_out_ids))

    def rate(mask) -> float | None:
        return float((table.result[mask] == HIT).mean()) if mask.any() else None

    return HitRates(rate(held), int(held.sum()), rate(~held), int((~held).sum()))


def tag_counts(questions: pd.DataFrame) -> pd.Series:
    """How many questions carry each tag, most frequent first."""
    return questions.tags.explode().value_counts()
