"""Title and body on the fixed split: the shipped title + body recipe, TF-IDF + LR and fastText, all on
the same questions with their bodies and the same tokens, over several seeds.

The Conv1D reads the title's tokens and the first `body_len` body tokens its body filter keeps. The peers
get one text per question from the same tokens, the title counted twice and then the body
(`baselines.title_body_tokens`: TF-IDF + LR's best title + body text, and fastText's tutorial settings
do better with the title repeated too). Rows come out in `bench.quality`'s format, with training time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import pandas as pd

from bench.quality import peer_rows, summarize
from bench.recipes import Recipe
from tagger.scoring import baselines
from tagger.text import cache


def tokens_label(recipe: Recipe) -> str:
    return f"title + body ({recipe.config.label} / body {recipe.body_config.label}, first {recipe.hp.body_len})"


def run(train: pd.DataFrame, test: pd.DataFrame, recipe: Recipe, seeds: Sequence[int],
        log: Callable[[str], None] = lambda msg: None, with_fasttext: bool = True) -> list[dict]:
    """One summarized row for the recipe and one per peer, on the same title + body tokens."""
    from tagger.model.training import train_tagger

    hp, label = recipe.hp, tokens_label(recipe)
    titles = [cache.tokens_many(part.title.tolist(), recipe.config) for part in (train, test)]
    bodies = [cache.body_tokens_many(part.body.tolist(), recipe.body_config, hp.body_len) for part in (train, test)]
    joined = [baselines.title_body_tokens(t, b) for t, b in zip(titles, bodies, strict=True)]
    train_tags, test_tags = train.tags.tolist(), test.tags.tolist()

    def scored(scorer, seed, seconds, body_aware=False, **extra):
        numbers = (baselines.evaluate_scorer(scorer, titles[1], test_tags, bodies[1]) if body_aware
                   else baselines.evaluate_scorer(scorer, joined[1], test_tags))
        return {"seed": seed, **numbers, "train_seconds": seconds, **extra}

    runs = []
    for seed in seeds:
        log(f"[bench]   {recipe.key}, seed {seed}")
        t0 = time.perf_counter()
        tagger = train_tagger(titles[0], train_tags, recipe.config, dataclasses.replace(hp, seed=seed),
                              body_lists=bodies[0], body_config=recipe.body_config)
        runs.append(scored(tagger, seed, time.perf_counter() - t0, True, epochs_run=len(tagger.metadata["history"])))
    conv1d = {"key": recipe.key, "model": recipe.label, "kind": "conv1d", "tokens": label,
              "members": hp.members, "output": hp.output, **summarize(runs)}
    return [conv1d] + peer_rows(joined[0], train_tags, scored, seeds, label, hp.min_tag_count, with_fasttext,
                                text="title x2 + body", log=log)
