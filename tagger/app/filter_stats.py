"""What a token filter costs: vocabulary, titles left with nothing, and tag words thrown away.

All numbers come from already POS-tagged titles (`tagger.text.cache.tag_titles`, cached on disk), so comparing
filters only re-runs the cheap keep/drop step. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from tagger.text import tokens as tok


def tag_words(tag: str) -> list[str]:
    """Stack Exchange tags join words with '-': 'baking-soda' -> ['baking', 'soda']."""
    return [w for w in tag.lower().split("-") if w]


@dataclass
class FilterStats:
    filter: str
    vocabulary: int  # distinct tokens kept across all titles
    empty_share: float  # share of titles with no token left
    tag_word_share: float  # share of true tags whose words all appear among the title's kept tokens
    mean_tokens: float  # kept tokens per title


def stats(tagged: Sequence[Sequence[tuple[str, str]]], true_tags: Sequence[Sequence[str]],
          config: tok.TokenConfig, name: str | None = None) -> FilterStats:
    vocabulary: set[str] = set()
    empty = found = total = n_tokens = 0
    for words, tags in zip(tagged, true_tags, strict=True):
        kept = tok.filter_tagged(words, config)
        n_tokens += len(kept)
        empty += not kept
        vocabulary.update(kept)
        # Compare lowercased, whatever the config does with case: the question is whether the word survived.
        kept_lower = {t.lower() for t in kept}
        for tag in tags:
            total += 1
            found += all(w in kept_lower for w in tag_words(tag))
    n = max(len(tagged), 1)
    return FilterStats(name or config.label, len(vocabulary), empty / n, found / max(total, 1), n_tokens / n)


def compare(tagged, true_tags, filters: dict[str, tuple[str, ...] | None] | None = None) -> pd.DataFrame:
    """One row per named filter (default: `tokens.FILTERS`), in the given order."""
    filters = tok.FILTERS if filters is None else filters
    rows = [asdict(stats(tagged, true_tags, tok.TokenConfig(pos_tags=pos), name)) for name, pos in filters.items()]
    return pd.DataFrame(rows)
