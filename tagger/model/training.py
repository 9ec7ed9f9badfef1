"""From questions to a trained, evaluated `Tagger`: the one training loop and what surrounds it.

`fit` is the only place a network is trained: it takes a `tf.data` dataset of (token ids, targets)
batches, so in-memory training (`train_tagger`) and streaming training (`streaming.train_stream`)
share it, with one epoch-end callback that scores the validation rows and feeds early stopping.
`train_tagger` builds the tag columns, the vocabulary and the network for already-filtered tokens;
`run_experiment` adds the held-out comparison with the TF-IDF baseline that the CLI, the app and the
benchmark report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import platform
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tagger.core import paths
from tagger.data.split import holdout_split
from tagger.model import mentions, network
from tagger.model.network import HParams
from tagger.model.predictor import FORMAT, Tagger
from tagger.scoring import baselines, metrics
from tagger.scoring.labels import TagColumns
from tagger.text import cache
from tagger.text.tokens import TokenConfig

paths.quiet_tensorflow()


@dataclass
class Progress:
    """What a training run reports to its caller after every batch and epoch."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    history: list[dict] = field(default_factory=list)
    epoch_done: bool = False  # False: reported after a batch; True: after an epoch (its row is in history)


class TrainingStopped(Exception):
    """The caller asked the run to stop; nothing was saved."""


@dataclass
class Validation:
    """The rows each epoch is scored on: token ids, their targets and their true tags."""

    ids: object  # int ids [n, max_len] (a tensor or array)
    targets: np.ndarray
    true_tags: list[list[str]]

    def __len__(self) -> int:
        return len(self.true_tags)


def predict(core, ids, batch: int = 2048) -> np.ndarray:
    """Scores in fixed-size chunks, without `model.predict`'s per-call overhead. `ids`: one array, or a
    (title ids, body ids) pair for a title + body network."""
    pair = isinstance(ids, (tuple, list))
    n = int((ids[0] if pair else ids).shape[0])
    if not n:
        return np.zeros((0, core.output_shape[-1]), np.float32)

    def rows(i):
        return [part[i:i + batch] for part in ids] if pair else ids[i:i + batch]

    return np.concatenate([np.asarray(core(rows(i), training=False)) for i in range(0, n, batch)])


def reporter(epochs: int, batches: int, history: list[dict], epoch_row: Callable[[object, int, dict], dict],
             progress: Callable[[Progress], None] | None = None, should_stop: Callable[[], bool] | None = None):
    """The Keras callback every training loop here shares (`fit`, and the replayed original network).

    It polls `should_stop` after each batch (True ends the run after that batch; its `stopped` is then
    True), reports a `Progress` after each batch and epoch, and appends `epoch_row(model, epoch, logs)`
    to `history` at each epoch's end, before the epoch's `Progress`.
    """
    import keras

    class Reporter(keras.callbacks.Callback):
        stopped = False
        epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if should_stop is not None and should_stop():
                self.stopped = True
                self.model.stop_training = True
            if progress is not None:
                progress(Progress(self.epoch, epochs, batch + 1, batches, history))

        def on_epoch_end(self, epoch, logs=None):
            history.append(epoch_row(self.model, epoch, {} if logs is None else logs))
            if progress is not None:
                progress(Progress(epoch + 1, epochs, batches, batches, history, epoch_done=True))

    return Reporter()


def monitored(row: dict, monitor: str) -> float:
    """The number early stopping watches, from one epoch's validation row."""
    if monitor == "p_at_1+r_at_5":
        return row["val_p_at_1"] + row["val_r_at_5"]
    return row["val_p_at_1"]


def validation_scores(validation: Validation, probs: np.ndarray, tags: Sequence[str], hp: HParams) -> dict:
    """The validation numbers of one epoch's row: the loss training minimises, P@1 and R@5."""
    ranked = metrics.rank_tags(tags, probs, 5)
    return {"val_loss": float(network.loss(hp)(validation.targets, probs)),
            "val_p_at_1": metrics.precision_at_k(validation.true_tags, ranked, 1),
            "val_r_at_5": metrics.recall_at_k(validation.true_tags, ranked, 5)}


def fit(net: network.Network, train_ds, batches: int, validation: Validation | None, tags: Sequence[str],
        hp: HParams, progress: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] | None = None, steps_per_epoch: int | None = None) -> list[dict]:
    """Train the network on `train_ds` ((ids, targets) batches) with early stopping on the validation
    rows; returns the per-epoch history.

    The trainer is fitted (`net.trainer`: the averaged ensemble, or every member with its own loss);
    the validation rows are scored by the averaged ensemble (`net.core`), which is what gets saved.
    `progress` gets a `Progress` after each batch and epoch; `should_stop` is polled after each batch,
    and a True ends the run with `TrainingStopped`. `steps_per_epoch` cuts an endless dataset into
    epochs (the multi-worker run).
    """
    import keras

    history: list[dict] = []
    has_val = validation is not None and len(validation) > 0

    def epoch_row(model, epoch: int, logs: dict) -> dict:
        row = {"epoch": epoch + 1, "loss": float(logs.get("loss", np.nan)) / hp.loss_outputs}
        if has_val:
            row.update(validation_scores(validation, predict(net.core, validation.ids), tags, hp))
            logs["val_monitor"] = monitored(row, hp.monitor)  # EarlyStopping, next in line, reads it
        return row

    report = reporter(hp.epochs, batches, history, epoch_row, progress, should_stop)
    callbacks = [report]
    if has_val:
        # Stop on the ranking we report, not on the loss: with hundreds of sigmoid outputs the
        # validation loss turns up epochs before P@1 stops improving.
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_monitor", mode="max", patience=hp.patience,
                                                       restore_best_weights=True))
    train_ds = train_ds.map(network.member_targets(hp))
    net.trainer.fit(train_ds, epochs=hp.epochs, steps_per_epoch=steps_per_epoch, shuffle=False, verbose=0,
                    callbacks=callbacks)  # the data shuffles itself
    if report.stopped:
        raise TrainingStopped("training was stopped before it finished; nothing was saved")
    return history


def best_epoch(history: Sequence[dict], monitor: str) -> int:
    """The epoch early stopping kept (1-based): the best validation score, the first on a tie."""
    scored = [r for r in history if "val_p_at_1" in r]
    if not scored:
        return len(history)
    return max(scored, key=lambda r: (monitored(r, monitor), -r["epoch"]))["epoch"]


def library_versions() -> dict:
    import keras
    import nltk
    import sklearn
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "nltk": nltk.__version__, "scikit-learn": sklearn.__version__}


def train_tagger(token_lists: Sequence[Sequence[str]], tag_lists: Sequence[Sequence[str]],
                 config: TokenConfig, hp: HParams, *, data_info: dict | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 body_lists: Sequence[Sequence[str]] | None = None,
                 body_config: TokenConfig | None = None) -> Tagger:
    """Train a Conv1D tagger on already-filtered tokens; returns it unsaved, with its history.

    A title + body model (`hp.body_len > 0`) also needs `body_lists`, each question's body tokens under
    `body_config` (saved in the metadata as `body_token_config`)."""
    if hp.body_len and (body_lists is None or body_config is None):
        raise ValueError("a title + body model (body_len > 0) needs the bodies' tokens and their filter")
    if hp.body_len and len(body_lists) != len(token_lists):
        raise ValueError(f"{len(token_lists)} titles but {len(body_lists)} bodies")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(hp.seed)
    columns = TagColumns.learn(tag_lists, hp.min_tag_count)
    # Rows with no learnable tag teach nothing (and break the softmax targets).
    rows = [i for i, t in enumerate(tag_lists) if columns.learnable(t)]
    if len(columns) < 2 or len(rows) < 20:
        raise ValueError(f"too little to learn from: {len(rows)} usable questions and {len(columns)} tags "
                         f"with at least {hp.min_tag_count} questions each (need 20 and 2)")
    order = np.random.default_rng(hp.seed).permutation(rows)
    n_val = int(round(len(order) * hp.validation_split))
    val_idx, train_idx = order[:n_val], order[n_val:]
    if hp.body_len:
        vocabulary = network.vocabulary_with_body((token_lists[i] for i in train_idx),
                                                  (body_lists[i][:hp.body_len] for i in train_idx),
                                                  hp.max_vocab, hp.min_token_count)
    else:
        vocabulary = network.build_vocabulary((token_lists[i] for i in train_idx), hp.max_vocab, hp.min_token_count)
    if not vocabulary:
        raise ValueError("the filter kept no tokens in the training questions: nothing to learn from")
    softmax = hp.output == "softmax"
    y_train = columns.multi_hot((tag_lists[i] for i in train_idx), softmax)
    net = network.build(vocabulary, len(columns), hp, tag_prior=(y_train > 0).mean(axis=0))
    network.compile_trainer(net.trainer, hp)

    def ids(idx):  # each row's tokens looked up once, by the model's own StringLookup
        title = net.lookup(tf.constant(network.pad([token_lists[i] for i in idx], hp.max_len), tf.string))
        if not hp.body_len:
            return title
        return title, net.lookup(tf.constant(network.pad([body_lists[i] for i in idx], hp.body_len), tf.string))

    train_ds = (tf.data.Dataset.from_tensor_slices((ids(train_idx), y_train))
                .shuffle(len(train_idx), seed=hp.seed, reshuffle_each_iteration=True)
                .batch(hp.batch_size))
    validation = Validation(ids(val_idx), columns.multi_hot((tag_lists[i] for i in val_idx), softmax),
                            [list(tag_lists[i]) for i in val_idx])
    pool = wide_fit = neighbours_fit = None
    if hp.wide or hp.knn:
        # The linear model and the neighbours' rows are fitted in a thread while Keras trains (liblinear and
        # TensorFlow's kernels both run outside the GIL), on the same training rows, so the validation rows
        # stay unseen by all three.
        from tagger.model import neighbours, wide
        from tagger.text import tfidf

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagger-wide")
        wide_rows = wide.wide_tokens([token_lists[i] for i in train_idx],
                                     [body_lists[i] for i in train_idx] if hp.body_len else None, hp)
        rows_fit = pool.submit(tfidf.rows, wide_rows, vocabulary)  # one TF-IDF for both branches
        if hp.wide:
            wide_fit = pool.submit(lambda: wide.fit(rows_fit.result(), y_train, hp.wide_c))
        if hp.knn:
            neighbours_fit = pool.submit(lambda: neighbours.fit(rows_fit.result(), y_train))
    try:
        history = fit(net, train_ds, -(-len(train_idx) // hp.batch_size), validation, columns.tags, hp,
                      progress, should_stop)
        net = network.serving_network(net, hp, wide_fit.result() if wide_fit is not None else None,
                                      tag_prior=(y_train > 0).mean(axis=0),
                                      neighbour_weights=neighbours_fit.result() if neighbours_fit is not None else None,
                                      mention_weights=(mentions.fit(vocabulary, columns.tags)
                                                       if hp.boosts_named_tags else None))
    finally:
        if pool is not None:
            pool.shutdown(wait=False)  # a stopped run doesn't wait for the models it no longer needs

    threshold = 0.5
    if len(validation):
        threshold = metrics.best_threshold(validation.true_tags, columns.tags, predict(net.core, validation.ids))
    metadata = model_metadata(config, len(vocabulary), columns.tags, threshold, hp, history,
                              {**(data_info or {}), "rows": len(token_lists), "rows_used": len(rows)})
    if hp.body_len:
        metadata["body_token_config"] = body_config.to_dict()
    return Tagger(net.model, metadata)


def model_metadata(config: TokenConfig, vocabulary_size: int, tags: list[str], threshold: float,
                   hp: HParams, history: list[dict], training_data: dict) -> dict:
    """Everything saved beside a model's weights, so inference repeats its training exactly."""
    return {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "token_config": config.to_dict(),
        "vocabulary_size": vocabulary_size,
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


def body_token_lists(df: pd.DataFrame, hp: HParams, body_config: TokenConfig | None):
    """The body tokens a title + body model reads for every row (None for a title-only recipe)."""
    if not hp.body_len:
        return None
    if body_config is None:
        raise ValueError("a title + body model (body_len > 0) needs a body filter")
    if "body" not in df or not (df.body.str.len() > 0).any():
        raise ValueError("a title + body model needs questions with bodies (e.g. data/cooking-posts.csv.gz)")
    return cache.body_tokens_many(df.body.tolist(), body_config, hp.body_len)


def run_experiment(train: pd.DataFrame, test: pd.DataFrame, config: TokenConfig, hp: HParams, *,
                   data_info: dict | None = None, compare_with: dict[str, Tagger] | None = None,
                   progress=None, should_stop=None, body_config: TokenConfig | None = None) -> Experiment:
    """Train on `train`, evaluate on `test` beside the TF-IDF baseline (same tokens) and any other
    taggers (each on its own tokens), and record the numbers in the new model's metadata.

    A title + body recipe (`hp.body_len > 0`, with `body_config`) reads the frames' `body` column; its
    baseline is TF-IDF + LR on the same tokens, the title's counted twice before the body's."""
    train_tokens = cache.tokens_many(train.title.tolist(), config)
    test_tokens = cache.tokens_many(test.title.tolist(), config)
    train_bodies, test_bodies = body_token_lists(train, hp, body_config), body_token_lists(test, hp, body_config)
    train_tags, test_tags = train.tags.tolist(), test.tags.tolist()
    if hp.body_len:
        base_train = baselines.title_body_tokens(train_tokens, train_bodies)
        base_test = baselines.title_body_tokens(test_tokens, test_bodies)
        base_name, conv_name = "TF-IDF + logistic regression (same tokens, title x2 + body)", \
            f"Conv1D title + body ({config.label} / body {body_config.label}, {hp.output})"
    else:
        base_train, base_test = train_tokens, test_tokens
        base_name, conv_name = "TF-IDF + logistic regression (same tokens)", f"Conv1D ({config.label}, {hp.output})"
    # The baseline fits in a thread while Keras trains: scikit-learn's solver and TensorFlow's kernels
    # both run outside the GIL, and a small Conv1D leaves room on the cores (`make bench` measures it).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagger-baseline")
    baseline = pool.submit(baselines.tfidf_scores, base_train, train_tags, base_test, test_tags, hp.min_tag_count)
    try:
        tagger = train_tagger(train_tokens, train_tags, config, hp, data_info=data_info,
                              progress=progress, should_stop=should_stop, body_lists=train_bodies,
                              body_config=body_config)
        scored = {conv_name: baselines.evaluate_scorer(tagger, test_tokens, test_tags, test_bodies),
                  base_name: baseline.result()}
    finally:
        pool.shutdown(wait=False)  # a stopped run doesn't wait for the baseline it no longer needs
    for name, other in (compare_with or {}).items():
        scored[name] = baselines.evaluate_scorer(other, other.tokens_many(test.title.tolist()), test_tags)
    results = pd.DataFrame.from_dict(scored, orient="index")
    results.index.name = "model"
    names = list(scored)
    tagger.metadata["metrics"] = {"heldout": scored[names[0]], "baseline": scored[names[1]],
                                  "heldout_rows": len(test)}
    return Experiment(tagger, results)


def train_on_all_rows(df: pd.DataFrame, config: TokenConfig, hp: HParams, *, data_info: dict | None = None,
                      progress=None, body_config: TokenConfig | None = None) -> Experiment:
    """Measure a recipe on the fixed split, then train it on every row with what the split chose.

    The *twin* trains on the split's training rows (early stopping and the threshold are picked on
    its own validation rows) and is scored on the held-out rows beside the baseline. The final model
    then trains on all rows for the twin's best number of epochs and keeps the twin's threshold, so
    nothing about it is tuned on the rows its numbers come from. The numbers in the final model's
    metadata are the twin's, and say so; the twin is saved with it (`Tagger.twin`).
    """
    train, test = holdout_split(df)
    exp = run_experiment(train, test, config, hp, data_info={**(data_info or {}), "part": "split training rows"},
                         progress=progress, body_config=body_config)
    twin = exp.tagger
    epochs = best_epoch(twin.metadata["history"], hp.monitor)
    final_hp = dataclasses.replace(hp, epochs=epochs, validation_split=0.0)
    tokens = cache.tokens_many(df.title.tolist(), config)
    final = train_tagger(tokens, df.tags.tolist(), config, final_hp,
                         data_info={**(data_info or {}), "part": "all rows"}, progress=progress,
                         body_lists=body_token_lists(df, hp, body_config), body_config=body_config)
    final.threshold = final.metadata["threshold"] = twin.threshold
    final.metadata["metrics"] = {
        **twin.metadata["metrics"],
        "measured_by": "the split-trained twin (saved in split/): trained on the first "
                       f"{len(train):,} rows, scored on the last {len(test):,}",
    }
    final.metadata["recipe"] = {"epochs_from_twin": epochs, "threshold_from_twin": twin.threshold,
                                "twin_hparams": hp.to_dict()}
    final.twin = twin
    return Experiment(final, exp.results)
