"""The original question's network, replayed: word counts in, one Dense layer out (Keras functional API).

The question's pipeline, step by step: each title's NN/NNS/VBG tokens joined into one string and
counted by scikit-learn's `CountVectorizer(stop_words="english")`; each question's tag string
("baking-soda bread") counted by a second `CountVectorizer(stop_words="english")`, the targets;
`train_test_split(test_size=0.33, random_state=42)`; one `Dense(n_targets, activation="softmax")`
trained with categorical cross-entropy, batch size 32, and Keras's `accuracy`.

The question did not say which optimizer it used or for how many epochs it trained: `ReplaySettings`
records what we chose. The same `build` with a sigmoid output and binary cross-entropy, over proper
tag columns (`tagger.scoring.labels.TagColumns`), is the first step of the fix.

The count matrices stay sparse (12k titles x ~5k words would be ~250 MB dense): Keras takes SciPy
sparse matrices as they are, and the Dense layer multiplies them without ever making them dense.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import train_test_split

from tagger.core import paths
from tagger.model.training import Progress, TrainingStopped, reporter

paths.quiet_tensorflow()

LOSSES = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}


@dataclass(frozen=True)
class ReplaySettings:
    """The original's settings, and what we chose where the question is silent (optimizer, epochs)."""

    epochs: int = 10  # not in the question: the accuracy has levelled off by then
    batch_size: int = 32
    optimizer: str = "sgd"  # not in the question: Keras's plainest optimizer, at its default rate
    learning_rate: float = 0.01
    test_size: float = 0.33
    random_state: int = 42
    seed: int = 42  # Keras's weights and the batch order

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if not 0 < self.test_size < 1:
            raise ValueError("test_size must be between 0 and 1")

    def to_dict(self) -> dict:
        return asdict(self)


def counter() -> CountVectorizer:
    """The question's vectorizer, for titles and for tags alike."""
    return CountVectorizer(stop_words="english")


def joined(lists: Sequence[Sequence[str]]) -> list[str]:
    """Token or tag lists as the strings the question fed CountVectorizer."""
    return [" ".join(items) for items in lists]


def build(n_inputs: int, n_outputs: int, output: str, settings: ReplaySettings):
    """One Dense layer from word counts to `n_outputs` scores, compiled with Keras's `accuracy`."""
    import keras
    from keras import layers

    if output not in LOSSES:
        raise ValueError(f"output must be one of {tuple(LOSSES)}")
    counts = keras.Input(shape=(n_inputs,), sparse=True, name="word_counts")
    scores = layers.Dense(n_outputs, activation=output, name="targets")(counts)
    model = keras.Model(counts, scores, name=f"original_dense_{output}")
    optimizer = keras.optimizers.get({"class_name": settings.optimizer,
                                      "config": {"learning_rate": settings.learning_rate}})
    model.compile(optimizer=optimizer, loss=LOSSES[output], metrics=["accuracy"])
    return model


def _float(x):
    return sparse.csr_matrix(x, dtype=np.float32)


def _dense(y) -> np.ndarray:
    """Targets as a dense float32 array (the losses take no sparse targets; 8k x 741 is 24 MB)."""
    return np.asarray(y.toarray() if sparse.issparse(y) else y, dtype=np.float32)


def train(model, x_train, y_train, settings: ReplaySettings, validation: tuple | None = None,
          progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> list[dict]:
    """Fit for `settings.epochs` (no early stopping: the original had none); the per-epoch history.

    Each row: epoch, loss, accuracy (Keras's, on the training batches) and, with `validation`
    (x, y), val_loss and val_accuracy as Keras computes them on those rows.
    """
    import keras

    keras.utils.set_random_seed(settings.seed)
    history: list[dict] = []
    batches = -(-x_train.shape[0] // settings.batch_size)

    def epoch_row(model, epoch: int, logs: dict) -> dict:
        row = {"epoch": epoch + 1}
        row.update({k: float(logs[k]) for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in logs})
        return row

    report = reporter(settings.epochs, batches, history, epoch_row, progress, should_stop)
    val = None if validation is None else (_float(validation[0]), _dense(validation[1]))
    # Keras shuffles the rows every epoch (its default, as in the question's model.fit).
    model.fit(_float(x_train), _dense(y_train), batch_size=settings.batch_size, validation_data=val,
              epochs=settings.epochs, verbose=0, callbacks=[report])
    if report.stopped:
        raise TrainingStopped("the replay was stopped before it finished")
    return history


def scores(model, x, batch: int = 1024) -> np.ndarray:
    """The network's outputs for a sparse count matrix (one `predict` call: Keras batches it)."""
    x = _float(x)
    if not x.shape[0]:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    return np.asarray(model.predict(x, batch_size=batch, verbose=0), dtype=np.float32)


def categorical_accuracy(y_true, probabilities: np.ndarray) -> float:
    """What Keras's `accuracy` is for this network: the top output equals the target's largest column.

    On multi-hot targets that column is one of a question's targets (the first of the largest), so
    a top output that is another of its targets counts as wrong.
    """
    y = np.asarray(sparse.csr_matrix(y_true).todense())
    return float(np.mean(y.argmax(axis=1) == probabilities.argmax(axis=1))) if len(y) else 0.0


@dataclass
class Replay:
    """The replayed run: its per-epoch history, the fitted pieces and its held-out rows' outputs."""

    settings: ReplaySettings
    history: list[dict]
    input_words: list[str]  # the title vectorizer's columns
    target_words: list[str]  # the tag vectorizer's columns: what the network learned to output
    train_rows: np.ndarray
    test_rows: np.ndarray
    y_test: object  # sparse target counts of the held-out rows
    test_scores: np.ndarray  # the network's outputs on them

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def replay(token_lists: Sequence[Sequence[str]], tag_lists: Sequence[Sequence[str]],
           settings: ReplaySettings | None = None, progress: Callable[[Progress], None] | None = None,
           should_stop: Callable[[], bool] | None = None) -> Replay:
    """The original network on these questions, exactly as the question built it.

    As in the question, both vectorizers are fitted on every question before the split.
    """
    settings = settings or ReplaySettings()
    if len(token_lists) != len(tag_lists) or len(token_lists) < 10:
        raise ValueError(f"need at least 10 questions with their tags to replay, got {len(token_lists)}")
    inputs, targets = counter(), counter()
    try:
        x = inputs.fit_transform(joined(token_lists))
    except ValueError:
        raise ValueError("the titles kept no words the vectorizer counts: nothing to learn from") from None
    y = targets.fit_transform(joined(tag_lists))
    train_rows, test_rows = train_test_split(np.arange(len(token_lists)), test_size=settings.test_size,
                                             random_state=settings.random_state)
    model = build(x.shape[1], y.shape[1], "softmax", settings)
    history = train(model, x[train_rows], y[train_rows], settings, (x[test_rows], y[test_rows]),
                    progress, should_stop)
    return Replay(settings, history, list(inputs.get_feature_names_out()),
                  list(targets.get_feature_names_out()), train_rows, test_rows, y[test_rows],
                  scores(model, x[test_rows]))
