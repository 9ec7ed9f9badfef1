"""The Conv1D tagger network: tokens -> StringLookup -> Embedding -> Conv1D (several widths) ->
max-pool -> tag probabilities, in Keras's functional API.

The output is multi-label: one sigmoid unit per tag with binary cross-entropy, which is the fix for
the original question's network that was stuck at 6 % with a softmax over tags. The softmax +
categorical cross-entropy head is kept as an option so the two can be compared side by side.

An ensemble is one graph: `members` Conv1D networks over the same token ids, each with its own
embedding, convolutions and output layer (their random starts differ), whose probabilities are
averaged. `members=1` is a single network.

`build` returns one set of layers seen three ways (`Network`):
- `model`: string tokens [batch, max_len] -> probabilities. The vocabulary is its first layer, a
  `StringLookup`, so the saved file, the app and the SavedModel export all map a token to the same
  id: there is no second copy of the vocabulary to drift.
- `core`: token ids -> the (averaged) probabilities, the same layers without the lookup; what the
  validation rows are scored with.
- `trainer`: token ids -> every member's own probabilities. Training fits it with one loss per
  member, so each member learns to tag on its own (training the average instead lets members lean
  on each other, and the ensemble gains less), on ids that `lookup` computed once per dataset.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from tagger.core import paths

paths.quiet_tensorflow()

PAD = ""  # the padding token: StringLookup's mask token, id 0; an unknown token gets id 1
OUTPUTS = ("sigmoid", "softmax")
MONITORS = ("p_at_1", "p_at_1+r_at_5")
MAX_MEMBERS = 8
LOOKUP_LAYER = "token_lookup"
CORE_MODEL = "conv1d_tagger"


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
    members: int = 1
    label_smoothing: float = 0.0
    validation_split: float = 0.1
    patience: int = 3
    monitor: str = "p_at_1"  # what early stopping watches on the validation rows: "p_at_1" or "p_at_1+r_at_5"
    seed: int = 42

    def __post_init__(self):
        self.kernel_sizes = tuple(int(k) for k in self.kernel_sizes)
        problems = []
        if self.output not in OUTPUTS:
            problems.append(f"output must be one of {OUTPUTS}")
        if not self.kernel_sizes or any(k < 1 or k > 10 for k in self.kernel_sizes):
            problems.append("kernel sizes must be between 1 and 10")
        if self.monitor not in MONITORS:
            problems.append(f"monitor must be one of {MONITORS}")
        if not 1 <= int(self.members) <= MAX_MEMBERS:
            problems.append(f"members must be between 1 and {MAX_MEMBERS}")
        if not 0 <= self.label_smoothing < 0.5:
            problems.append("label_smoothing must be in [0, 0.5)")
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


def build_vocabulary(token_lists: Iterable[Sequence[str]], max_vocab: int, min_count: int = 1) -> list[str]:
    """Most frequent tokens first; ties broken alphabetically so the vocabulary is reproducible."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    ranked = sorted((t for t, c in counts.items() if c >= min_count and t != PAD), key=lambda t: (-counts[t], t))
    return ranked[:max_vocab]


def pad(token_lists: Sequence[Sequence[str]], max_len: int) -> np.ndarray:
    """Token lists -> a [n, max_len] array of strings, cut at max_len and padded with PAD."""
    out = np.full((len(token_lists), max_len), PAD, dtype=object)
    for i, tokens in enumerate(token_lists):
        row = list(tokens[:max_len])
        out[i, : len(row)] = row
    return out


@dataclass
class Network:
    model: object  # keras.Model: string tokens -> probabilities (what is saved and served)
    core: object  # keras.Model: token ids -> (averaged) probabilities (what validation scores)
    trainer: object  # keras.Model: token ids -> each member's probabilities (what training fits)
    lookup: object  # keras.layers.StringLookup: tokens -> ids


def _member(ids, vocabulary_size: int, n_tags: int, hp: HParams, bias, name: str):
    """One Conv1D network: ids -> Embedding -> Conv1D per width -> max-pool -> Dropout -> Dense."""
    from keras import layers

    x = layers.Embedding(vocabulary_size, hp.embedding_dim, name=f"{name}embedding")(ids)
    # Several widths see single words, pairs and triples ("cast iron", "baking soda").
    pooled = [
        layers.GlobalMaxPooling1D(name=f"{name}max_pool_{k}")(
            layers.Conv1D(hp.filters, k, padding="same", activation="relu", name=f"{name}conv_{k}")(x)
        )
        for k in hp.kernel_sizes
    ]
    x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name=f"{name}concat")(pooled)
    x = layers.Dropout(hp.dropout, name=f"{name}dropout")(x)
    return layers.Dense(n_tags, activation=hp.output, bias_initializer=bias, name=f"{name}tags")(x)


def build(vocabulary: Sequence[str], n_tags: int, hp: HParams, tag_prior: np.ndarray | None = None) -> Network:
    """The Keras model for a vocabulary and a number of tags.

    `tag_prior` (each tag's share of training questions) sets the output biases, so training starts
    from "predict the base rates" instead of spending its first epochs learning that most tags are
    absent from most questions.
    """
    import keras
    from keras import layers

    bias = "zeros"
    if tag_prior is not None:
        p = np.clip(np.asarray(tag_prior, dtype=np.float64), 1e-6, 1 - 1e-6)
        bias = keras.initializers.Constant(np.log(p / (1 - p)) if hp.output == "sigmoid" else np.log(p))
    ids = keras.Input(shape=(hp.max_len,), dtype="int64", name="token_ids")
    # +2: id 0 is padding and id 1 an unknown token (StringLookup's mask and OOV ids).
    size = len(vocabulary) + 2
    members = [_member(ids, size, n_tags, hp, bias, "" if hp.members == 1 else f"m{i}_")
               for i in range(hp.members)]
    trainer = keras.Model(ids, members, name="conv1d_members")
    scores = members[0] if hp.members == 1 else layers.Average(name="ensemble")(members)
    core = keras.Model(ids, scores, name=CORE_MODEL)

    lookup = layers.StringLookup(vocabulary=list(vocabulary), mask_token=PAD, num_oov_indices=1,
                                 name=LOOKUP_LAYER)
    tokens = keras.Input(shape=(hp.max_len,), dtype="string", name="tokens")
    model = keras.Model(tokens, core(lookup(tokens)), name="cooking_tagger")
    return Network(model, core, trainer, lookup)


def lookup_of(model):
    """The StringLookup of a (loaded) tokens -> probabilities model."""
    return model.get_layer(LOOKUP_LAYER)


def core_of(model):
    """The token ids -> probabilities network inside a (loaded) tokens -> probabilities model."""
    return model.get_layer(CORE_MODEL)


def loss(hp: HParams):
    import keras

    if hp.output == "sigmoid":
        return keras.losses.BinaryCrossentropy(label_smoothing=hp.label_smoothing)
    return keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing)


def compile_trainer(trainer, hp: HParams) -> None:
    """Adam, and one loss per member (a list, so Keras scores every output against the same targets)."""
    import keras

    trainer.compile(optimizer=keras.optimizers.Adam(hp.learning_rate), loss=[loss(hp)] * hp.members)


def member_targets(hp: HParams):
    """For a tf.data map: the same targets for every member's output."""
    def repeat(ids, y):
        return ids, tuple([y] * hp.members)

    return repeat
