"""Quality on the fixed split: every recipe and every peer trained on the same rows and tokens, over
several seeds, scored on the same held-out questions.

For each seed the Conv1D recipes are retrained (the seed sets Keras' initial weights, dropout and
the order of batches), TF-IDF + logistic regression is refitted (the seed picks the rows its
threshold is tuned on) and fastText is retrained (its seed). Every row of the result is the mean and
the standard deviation over the seeds, with the individual runs kept in the JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from bench.peers import FASTTEXT_LABEL, FastTextScorer
from bench.recipes import Recipe
from tagger.scoring import baselines
from tagger.text import cache, tokens as tok

MEASURES = ("p_at_1", "p_at_5", "r_at_5", "micro_f1")


def summarize(runs: Sequence[dict]) -> dict:
    """Mean and (population) standard deviation of every measure, and the mean training time."""
    out = {"seeds": [r["seed"] for r in runs], "runs": list(runs), "n": runs[0]["n"] if runs else 0}
    for m in (*MEASURES, "train_seconds"):
        values = np.array([r[m] for r in runs], dtype=float)
        out[m], out[f"{m}_std"] = float(values.mean()), float(values.std())
    return out


def run(train: pd.DataFrame, test: pd.DataFrame, recipes: Sequence[Recipe], seeds: Sequence[int],
        log: Callable[[str], None] = lambda msg: None, with_fasttext: bool = True) -> list[dict]:
    """One summarized row per recipe and per peer on each recipe's tokens."""
    import dataclasses

    from tagger.model.training import train_tagger

    train_tags, test_tags = train.tags.tolist(), test.tags.tolist()
    token_sets: dict[tok.TokenConfig, tuple[list, list]] = {}

    def tokens(config):
        if config not in token_sets:
            token_sets[config] = (cache.tokens_many(train.title.tolist(), config),
                                  cache.tokens_many(test.title.tolist(), config))
        return token_sets[config]

    def scored_on(config):  # a fitted model's numbers on the held-out rows' tokens under `config`
        def score(scorer, seed, seconds, **extra):
            return {"seed": seed, **baselines.evaluate_scorer(scorer, tokens(config)[1], test_tags),
                    "train_seconds": seconds, **extra}

        return score

    rows = []
    for recipe in recipes:
        runs = []
        for seed in seeds:
            log(f"[bench]   {recipe.key}, seed {seed}")
            hp = dataclasses.replace(recipe.hp, seed=seed)
            t0 = time.perf_counter()
            tagger = train_tagger(tokens(recipe.config)[0], train_tags, recipe.config, hp)
            runs.append(scored_on(recipe.config)(tagger, seed, time.perf_counter() - t0,
                                                 epochs_run=len(tagger.metadata["history"])))
        rows.append({"key": recipe.key, "model": recipe.label, "kind": "conv1d", "tokens": recipe.config.label,
                     "members": recipe.hp.members, "output": recipe.hp.output, **summarize(runs)})

    for config in dict.fromkeys(r.config for r in recipes):
        min_tag_count = next(r.hp.min_tag_count for r in recipes if r.config == config)
        rows += peer_rows(tokens(config)[0], train_tags, scored_on(config), seeds, config.label, min_tag_count,
                          with_fasttext)
    return rows


def peer_rows(train_tokens, train_tags, score: Callable[..., dict], seeds: Sequence[int], tokens_label: str,
              min_tag_count: int, with_fasttext: bool = True, text: str = "",
              log: Callable[[str], None] = lambda msg: None) -> list[dict]:
    """TF-IDF + LR and fastText's tutorial settings fitted on the same training tokens, once per seed (the
    seed picks TF-IDF's threshold rows and seeds fastText), one summarized row each. `score(scorer, seed,
    seconds, **extra)` scores a fitted peer on the matching held-out tokens; `text` names what the tokens
    are made of, when it is more than one field (e.g. "title x2 + body")."""
    rows, runs = [], []
    for seed in seeds:
        log(f"[bench]   TF-IDF + LR{' on ' + text if text else ''}, seed {seed}")
        t0 = time.perf_counter()
        tfidf = baselines.TfidfBaseline(min_tag_count=min_tag_count, seed=seed).fit(train_tokens, train_tags)
        runs.append(score(tfidf, seed, time.perf_counter() - t0))
    rows.append({"key": f"tfidf ({tokens_label})", "kind": "peer", "tokens": tokens_label,
                 "model": "TF-IDF + logistic regression" + (f" ({text})" if text else ""), **summarize(runs)})
    if not with_fasttext:
        return rows
    runs = []
    for seed in seeds:
        log(f"[bench]   fastText{' on ' + text if text else ''}, seed {seed}")
        t0 = time.perf_counter()
        ft = FastTextScorer(seed=seed).fit(train_tokens, train_tags)
        runs.append(score(ft, seed, time.perf_counter() - t0, seed_used=ft.seed_used))
    rows.append({"key": f"fasttext ({tokens_label})", "kind": "peer", "tokens": tokens_label,
                 "model": FASTTEXT_LABEL + (f", {text}" if text else ""), **summarize(runs)})
    return rows


def versus_best_peer(rows: Sequence[dict]) -> list[dict]:
    """For every Conv1D row: its P@1 and R@5 minus the best peer's on the same tokens (positive: ahead)."""
    out = []
    for r in rows:
        if r["kind"] != "conv1d":
            continue
        peers = [p for p in rows if p["kind"] == "peer" and p["tokens"] == r["tokens"]]
        if not peers:
            continue
        best = {m: max(peers, key=lambda p, m=m: p[m]) for m in ("p_at_1", "r_at_5")}
        out.append({"key": r["key"], "tokens": r["tokens"],
                    **{f"{m}_vs_best_peer": r[m] - best[m][m] for m in best},
                    **{f"best_peer_{m}": best[m]["key"] for m in best}})
    return out
