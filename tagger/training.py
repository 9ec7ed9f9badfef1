"""From questions to a trained, evaluated `Tagger`: tokens, vocabulary, Keras training, threshold,
baseline comparison and metadata, in one place that the CLI, the app and the benchmark share."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tagger import baseline, metrics, paths, tokens as tok
from tagger.model import HParams, Progress, build_model, build_vocabulary, compile_model, encode, fit, targets
from tagger.predictor import FORMAT, Tagger

paths.quiet_tensorflow()


def library_versions() -> dict:
    import keras
    import nltk
    import sklearn
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "nltk": nltk.__version__, "scikit-learn": sklearn.__version__}


def train_tagger(token_lists: Sequence[Sequence[str]], tag_lists: Sequence[Sequence[str]],
                 config: tok.TokenConfig, hp: HParams, *, data_info: dict | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Tagger:
    """Train a Conv1D tagger on already-filtered tokens; returns it unsaved, with its history."""
    import keras

    keras.utils.set_random_seed(hp.seed)
    tags = baseline.frequent_tags(tag_lists, hp.min_tag_count)
    known = set(tags)
    # Rows with no learnable tag teach nothing (and break the softmax targets).
    rows = [i for i, t in enumerate(tag_lists) if known.intersection(t)]
    if len(tags) < 2 or len(rows) < 20:
        raise ValueError(f"too little to learn from: {len(rows)} usable questions and {len(tags)} tags "
                         f"with at least {hp.min_tag_count} questions each (need 20 and 2)")
    order = np.random.default_rng(hp.seed).permutation(rows)
    n_val = int(round(len(order) * hp.validation_split))
    val_idx, train_idx = order[:n_val], order[n_val:]
    train_tokens = [token_lists[i] for i in train_idx]
    vocabulary = build_vocabulary(train_tokens, hp.max_vocab, hp.min_token_count)
    if not vocabulary:
        raise ValueError("the filter kept no tokens in the training questions: nothing to learn from")
    index = {t: i + 2 for i, t in enumerate(vocabulary)}

    def xy(idx):
        return (encode([token_lists[i] for i in idx], index, hp.max_len),
                targets([tag_lists[i] for i in idx], tags, hp.output))

    (x_tr, y_tr), (x_val, y_val) = xy(train_idx), xy(val_idx)
    val_tags = [list(tag_lists[i]) for i in val_idx]
    model = build_model(len(vocabulary) + 2, len(tags), hp, tag_prior=y_tr.astype(bool).mean(axis=0))
    compile_model(model, hp)
    history = fit(x_tr, y_tr, x_val, y_val, val_tags, tags, model, hp, progress, should_stop)

    threshold = 0.5
    if len(val_idx):
        probs = model(x_val, training=False).numpy()
        threshold = metrics.best_threshold(val_tags, tags, probs)
    metadata = model_metadata(config, vocabulary, tags, threshold, hp, history,
                              {**(data_info or {}), "rows": len(token_lists), "rows_used": len(rows)})
    return Tagger(model, metadata)


def model_metadata(config: tok.TokenConfig, vocabulary: list[str], tags: list[str], threshold: float,
                   hp: HParams, history: list[dict], training_data: dict) -> dict:
    """Everything saved beside a model's weights, so inference repeats its training exactly."""
    return {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "token_config": config.to_dict(),
        "vocabulary": vocabulary,
        "tags": tags,
        "threshold": threshold,
        "hparams": hp.to_dict(),
        "training_data": training_data,
        "history": history,
        "metrics": {},
        "versions": library_versions(),
    }


@dataclass
class Experiment:
    """A trained tagger and its numbers next to the baseline's, on the same held-out rows."""

    tagger: Tagger
    results: pd.DataFrame  # one row per model: p_at_1, p_at_5, r_at_5, micro_f1, macro_f1, n


def run_experiment(train: pd.DataFrame, test: pd.DataFrame, config: tok.TokenConfig, hp: HParams, *,
                   data_info: dict | None = None, compare_with: dict[str, Tagger] | None = None,
                   progress=None, should_stop=None) -> Experiment:
    """Train on `train`, evaluate on `test` beside the TF-IDF baseline (same tokens) and any other
    taggers (each on its own tokens), and record the numbers in the new model's metadata."""
    train_tokens = tok.tokens_many(train.title.tolist(), config)
    tagger = train_tagger(train_tokens, train.tags.tolist(), config, hp, data_info=data_info,
                          progress=progress, should_stop=should_stop)
    test_tags = test.tags.tolist()
    test_tokens = tok.tokens_many(test.title.tolist(), config)
    scored = {f"Conv1D ({config.label}, {hp.output})": baseline.evaluate_scorer(tagger, test_tokens, test_tags)}
    tfidf = baseline.TfidfBaseline(min_tag_count=hp.min_tag_count).fit(train_tokens, train.tags.tolist())
    scored["TF-IDF + logistic regression (same tokens)"] = baseline.evaluate_scorer(tfidf, test_tokens, test_tags)
    for name, other in (compare_with or {}).items():
        scored[name] = baseline.evaluate_scorer(other, other.tokens_many(test.title.tolist()), test_tags)
    results = pd.DataFrame.from_dict(scored, orient="index")
    results.index.name = "model"
    names = list(scored)
    tagger.metadata["metrics"] = {"heldout": scored[names[0]], "baseline": scored[names[1]],
                                  "heldout_rows": len(test)}
    return Experiment(tagger, results)
