"""The Conv1D tagger: token ids -> Embedding -> Conv1D (several widths) -> max-pool -> tag scores.

The output is multi-label: one sigmoid unit per tag with binary cross-entropy, which is the fix for
the original question's network that was stuck at 6 % with a softmax over tags. The softmax +
categorical cross-entropy head is kept as an option so the two can be compared side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from tagger import paths

paths.quiet_tensorflow()

PAD, OOV = 0, 1
OUTPUTS = ("sigmoid", "softmax")


@dataclass
class HParams:
    """Everything that shapes a model. Saved in its metadata."""

    embedding_dim: int = 128
    filters: int = 256
    kernel_sizes: tuple[int, ...] = (1, 2, 3)
    dropout: float = 0.5
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 0.002
    min_tag_count: int = 2
    max_vocab: int = 20000
    min_token_count: int = 1
    max_len: int = 24
    output: str = "sigmoid"
    validation_split: float = 0.1
    patience: int = 3
    seed: int = 42

    def __post_init__(self):
        self.kernel_sizes = tuple(int(k) for k in self.kernel_sizes)
        problems = []
        if self.output not in OUTPUTS:
            problems.append(f"output must be one of {OUTPUTS}")
        if not self.kernel_sizes or any(k < 1 or k > 10 for k in self.kernel_sizes):
            problems.append("kernel sizes must be between 1 and 10")
        for name in ("embedding_dim", "filters", "epochs", "batch_size", "min_tag_count", "max_vocab", "max_len"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be at least 1")
        if not 0 <= self.dropout < 1:
            problems.append("dropout must be in [0, 1)")
        if not 0 <= self.validation_split < 0.5:
            problems.append("validation_split must be in [0, 0.5)")
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kernel_sizes"] = list(self.kernel_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "HParams":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def build_vocabulary(token_lists: Sequence[Sequence[str]], max_vocab: int, min_count: int = 1) -> list[str]:
    """Most frequent tokens first; ties broken alphabetically so the vocabulary is reproducible."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    return ranked[:max_vocab]


def encode(token_lists: Sequence[Sequence[str]], index: dict[str, int], max_len: int) -> np.ndarray:
    """Token lists -> padded int32 id matrix (0 = padding, 1 = unknown token)."""
    x = np.zeros((len(token_lists), max_len), dtype=np.int32)
    for i, tokens in enumerate(token_lists):
        ids = [index.get(t, OOV) for t in tokens[:max_len]]
        x[i, : len(ids)] = ids
    return x


def build_model(vocab_size: int, n_tags: int, hp: HParams, tag_prior: np.ndarray | None = None):
    """The Keras functional model. vocab_size counts the padding and unknown ids.

    `tag_prior` (each tag's share of training questions) sets the output biases, so training starts
    from "predict the base rates" instead of spending its first epochs learning that most tags are
    absent from most questions.
    """
    import keras
    from keras import layers

    ids = keras.Input(shape=(hp.max_len,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, hp.embedding_dim, name="embedding")(ids)
    # Several widths see single words, pairs and triples ("cast iron", "baking soda").
    pooled = [
        layers.GlobalMaxPooling1D(name=f"max_pool_{k}")(
            layers.Conv1D(hp.filters, k, padding="same", activation="relu", name=f"conv_{k}")(x)
        )
        for k in hp.kernel_sizes
    ]
    x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name="concat")(pooled)
    x = layers.Dropout(hp.dropout, name="dropout")(x)
    bias = "zeros"
    if tag_prior is not None:
        p = np.clip(np.asarray(tag_prior, dtype=np.float64), 1e-6, 1 - 1e-6)
        bias = keras.initializers.Constant(np.log(p / (1 - p)) if hp.output == "sigmoid" else np.log(p))
    scores = layers.Dense(n_tags, activation=hp.output, bias_initializer=bias, name="tags")(x)
    return keras.Model(ids, scores, name="conv1d_tagger")


def compile_model(model, hp: HParams) -> None:
    import keras

    loss = "binary_crossentropy" if hp.output == "sigmoid" else "categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(hp.learning_rate), loss=loss)


def targets(tag_lists: Sequence[Sequence[str]], tags: Sequence[str], output: str) -> np.ndarray:
    """Multi-hot targets; for softmax each row is spread evenly over its tags so it sums to 1."""
    index = {t: i for i, t in enumerate(tags)}
    y = np.zeros((len(tag_lists), len(tags)), dtype=np.float32)
    for i, row in enumerate(tag_lists):
        for t in row:
            if t in index:
                y[i, index[t]] = 1.0
    if output == "softmax":
        y /= np.maximum(y.sum(axis=1, keepdims=True), 1.0)
    return y


@dataclass
class Progress:
    """What a training run reports to its caller after every batch and epoch."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    history: list[dict] = field(default_factory=list)


class TrainingStopped(Exception):
    """The caller asked the run to stop; nothing was saved."""


def fit(x_train, y_train, x_val, y_val, val_tags, tags, model, hp: HParams,
        progress: Callable[[Progress], None] | None = None, should_stop: Callable[[], bool] | None = None):
    """Train with early stopping on validation loss; returns the per-epoch history.

    `progress` gets a `Progress` after each batch and epoch; `should_stop` is polled after each
    batch, and a True ends the run with `TrainingStopped`.
    """
    import keras

    from tagger import metrics

    batches = int(np.ceil(len(x_train) / hp.batch_size))
    history: list[dict] = []
    state = {"epoch": 0, "stopped": False}

    class Reporter(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            state["epoch"] = epoch

        def on_train_batch_end(self, batch, logs=None):
            if should_stop is not None and should_stop():
                state["stopped"] = True
                self.model.stop_training = True
            if progress is not None:
                progress(Progress(state["epoch"], hp.epochs, batch + 1, batches, history))

        def on_epoch_end(self, epoch, logs=None):
            logs = {} if logs is None else logs
            row = {"epoch": epoch + 1, "loss": float(logs.get("loss", np.nan))}
            if len(x_val):
                probs = self.model(x_val, training=False).numpy()
                ranked = metrics.rank_tags(tags, probs, 1)
                row["val_loss"] = float(logs.get("val_loss", np.nan))
                row["val_p_at_1"] = metrics.precision_at_k(val_tags, ranked, 1)
                logs["val_p_at_1"] = row["val_p_at_1"]  # EarlyStopping, next in line, reads it
            history.append(row)
            if progress is not None:
                progress(Progress(epoch + 1, hp.epochs, batches, batches, history))

    callbacks = [Reporter()]
    if len(x_val):
        # Stop on the ranking we report, not on the loss: with hundreds of sigmoid outputs the
        # validation loss turns up epochs before P@1 stops improving.
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_p_at_1", mode="max", patience=hp.patience,
                                                       restore_best_weights=True))
    model.fit(
        x_train, y_train,
        validation_data=(x_val, y_val) if len(x_val) else None,
        epochs=hp.epochs, batch_size=hp.batch_size, shuffle=True, verbose=0, callbacks=callbacks,
    )
    if state["stopped"]:
        raise TrainingStopped("training was stopped before it finished; nothing was saved")
    return history
