"""The Conv1D tagger network: tokens -> StringLookup -> Embedding -> Conv1D (several widths) ->
max-pool -> tag probabilities, in Keras's functional API, with a bag-of-words path beside the
convolutions (a wide-and-deep model): the mean of the title's token vectors, each weighted by a weight
the model learns per token (an IDF learned for the tags), adds its own tag scores.
The convolutions rank the first tag well; the bag of words is what a linear model like TF-IDF + LR
does well, and it lifts the second to fifth tags (R@5).

The output is multi-label: one sigmoid unit per tag with binary cross-entropy, which is the fix for
the original question's network that was stuck at 6 % with a softmax over tags. The softmax +
categorical cross-entropy head is kept as an option so the two can be compared side by side.

An ensemble is one graph: `members` Conv1D networks over the same token ids, each with its own
embedding, convolutions and output layer (their random starts differ), whose probabilities are
averaged. `members=1` is a single network. By default the ensemble trains on the loss of the averaged
probabilities (`ensemble_loss="average"`); `"each"` gives every member its own loss instead. On the
fixed split's validation rows the averaged loss ranked better (P@1 +0.01) at the same cost.

`build` returns one set of layers seen three ways (`Network`):
- `model`: string tokens [batch, max_len] -> probabilities. The vocabulary is its first layer, a
  `StringLookup`, so the saved file, the app and the SavedModel export all map a token to the same
  id: there is no second copy of the vocabulary to drift.
- `core`: token ids -> the (averaged) probabilities, the same layers without the lookup; what the
  validation rows are scored with.
- `trainer`: token ids -> what the loss sees: `core`'s output, or with `ensemble_loss="each"` every
  member's own probabilities; fitted on ids that `lookup` computed once per dataset.

Title + body (`body_len > 0`; title-only models are unchanged): a second input, the body's first
`body_len` tokens (filtered by the model's own `body_token_config`, saved beside the title's), looked up
by the same `StringLookup`. The body gets its own Conv1D (`body_filters` filters over the title's
embedding table) max-pooled beside the title's, and the bag of words averages the title's tokens
`bag_title_times` times with the body's (TF-IDF + LR ranks best with the title counted twice). The
vocabulary holds the title's tokens first, then the body's most frequent ones (`vocabulary_with_body`).
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
ENSEMBLE_LOSSES = ("average", "each")
OPTIMIZERS = ("lazy_adam", "adam")
MAX_MEMBERS = 8
LOOKUP_LAYER = "token_lookup"
CORE_MODEL = "conv1d_tagger"
SERVED_MODEL = "wide_and_conv1d_tagger"  # the Conv1D with its wide branch and rarity shift (`serving_network`)


@dataclass
class HParams:
    """Everything that shapes a model. Saved in its metadata."""

    # The defaults are the fast recipe measured on the fixed split's validation rows (`bench/recipes.py`
    # and the README's Results): titles have at most 17 tokens, so 16 positions; one width of 256
    # filters over 64-dim vectors; batches of 128.
    embedding_dim: int = 64
    filters: int = 256
    kernel_sizes: tuple[int, ...] = (1,)
    bag_dim: int = 128  # the bag-of-words path's vector size; 0 turns it off (convolutions only)
    dropout: float = 0.5
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 0.004
    optimizer: str = "lazy_adam"
    min_tag_count: int = 2
    max_vocab: int = 20000
    min_token_count: int = 1
    max_len: int = 16
    output: str = "sigmoid"
    members: int = 1
    ensemble_loss: str = "average"
    label_smoothing: float = 0.01
    validation_split: float = 0.1
    patience: int = 3
    monitor: str = "p_at_1+r_at_5"  # what early stopping watches on the validation rows: "p_at_1" or "p_at_1+r_at_5"
    seed: int = 42
    # Title + body (see the module's docstring); body_len 0 is a title-only model and ignores the others.
    body_len: int = 0  # body tokens read (the first ones the body filter keeps)
    body_filters: int = 128  # the body's Conv1D filters (0: the body is read by the bag of words only)
    bag_title_times: int = 2  # how often the title's tokens count in the bag beside the body's
    # A learned weight per token in the bag's mean (see `MaskedMean`): on validation rows cut from the
    # training rows, P@1 +0.008 to +0.009 on all words, NN,NNS,VBG and title + body alike (2 seeds each).
    bag_weights: bool = True
    # The wide branch (`tagger.model.wide`): TF-IDF + one-vs-rest logistic regression fitted on the same
    # training rows and tokens, whose probabilities make up this share of the output (0: none; the rest
    # is the Conv1D's). `wide_c` is its inverse regularisation strength, scikit-learn's C.
    wide: float = 0.0
    wide_c: float = 10.0
    # The neighbours branch (`tagger.model.neighbours`): the tags of the `knn_k` training questions nearest
    # by TF-IDF cosine, whose votes make up this share of the output (0: none; wide + knn must stay below 1).
    knn: float = 0.0
    knn_k: int = 100
    # The rarity shift (`serving_network`): how much of each tag's log base rate leaves its logit (0: none).
    rarity: float = 0.0
    # The tag-name boost (`tagger.model.mentions`): added to the logit of a tag whose words are all in the
    # title (`mention_title`) or anywhere in the question the model reads (`mention_body`, title + body
    # models only); a tag named in the title gets both. 0: none.
    mention_title: float = 0.0
    mention_body: float = 0.0

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
        if self.ensemble_loss not in ENSEMBLE_LOSSES:
            problems.append(f"ensemble_loss must be one of {ENSEMBLE_LOSSES}")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {OPTIMIZERS}")
        if not 0 <= int(self.body_len) <= 512:
            problems.append("body_len must be between 0 (title only) and 512")
        if int(self.body_len) and (int(self.body_filters) < 0 or not 1 <= int(self.bag_title_times) <= 4):
            problems.append("body_filters must be 0 or more and bag_title_times between 1 and 4")
        if int(self.body_len) and not int(self.body_filters) and not int(self.bag_dim):
            problems.append("a title + body model needs body_filters or bag_dim to read the body")
        if int(self.bag_dim) < 0:
            problems.append("bag_dim must be 0 (no bag-of-words path) or more")
        if not 0 <= self.label_smoothing < 0.5:
            problems.append("label_smoothing must be in [0, 0.5)")
        for name in ("embedding_dim", "filters", "epochs", "batch_size", "min_tag_count", "max_vocab", "max_len"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be at least 1")
        if not 0 <= self.dropout < 1:
            problems.append("dropout must be in [0, 1)")
        if not 0 <= self.wide < 1 or not self.wide_c > 0:
            problems.append("wide must be in [0, 1) and wide_c above 0")
        if not 0 <= self.knn < 1 or not 1 <= int(self.knn_k) <= 1000:
            problems.append("knn must be in [0, 1) and knn_k between 1 and 1000")
        if self.wide + self.knn >= 1:
            problems.append("wide + knn must stay below 1: the rest of the output is the Conv1D's")
        if self.fitted_beside and self.output != "sigmoid":
            problems.append("the wide and neighbours branches, the rarity shift and the tag-name boost are for "
                            "sigmoid outputs")
        if not 0 <= self.rarity <= 1:
            problems.append("rarity must be in [0, 1]")
        if not 0 <= self.mention_title <= 5 or not 0 <= self.mention_body <= 5:
            problems.append("mention_title and mention_body must be in [0, 5] (logits)")
        if self.mention_body and not int(self.body_len):
            problems.append("mention_body is for title + body models (body_len > 0); use mention_title")
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
        # Models saved before the bag-of-words path and the recipe change had none of these keys:
        # read them as what they were trained with, not as today's defaults.
        legacy = {"bag_dim": 0, "optimizer": "adam", "ensemble_loss": "each", "label_smoothing": 0.0,
                  "bag_weights": False}
        return cls(**{**{k: v for k, v in legacy.items() if k not in d}, **known})

    @property
    def fitted_beside(self) -> bool:
        """Whether the served model has parts added beside the Conv1D (`serving_network`): fitted in memory on
        the rows Keras trains on, or (the tag-name boost) built from its tags and vocabulary."""
        return bool(self.wide or self.knn or self.rarity or self.boosts_named_tags)

    @property
    def boosts_named_tags(self) -> bool:
        """Whether the served model has the tag-name boost (`tagger.model.mentions`)."""
        return bool(self.mention_title or self.mention_body)

    @property
    def loss_outputs(self) -> int:
        """How many outputs the trainer has: one per member, or the averaged one."""
        return self.members if self.ensemble_loss == "each" else 1


def build_vocabulary(token_lists: Iterable[Sequence[str]], max_vocab: int, min_count: int = 1) -> list[str]:
    """Most frequent tokens first; ties broken alphabetically so the vocabulary is reproducible."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    ranked = sorted((t for t, c in counts.items() if c >= min_count and t != PAD), key=lambda t: (-counts[t], t))
    return ranked[:max_vocab]


def vocabulary_with_body(title_lists: Iterable[Sequence[str]], body_lists: Iterable[Sequence[str]],
                         max_vocab: int, min_count: int = 1) -> list[str]:
    """A title + body model's vocabulary: the title tokens first (as a title-only model would rank them),
    then the body's most frequent other tokens, `max_vocab` in all. Titles are what every question has;
    bodies bring many more words than the model has room for, and the cap keeps the file small."""
    titles = build_vocabulary(title_lists, max_vocab, min_count)
    seen = set(titles)
    body = [t for t in build_vocabulary(body_lists, max_vocab + len(titles), min_count) if t not in seen]
    return (titles + body)[:max_vocab]


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


def _member(ids, vocabulary_size: int, n_tags: int, hp: HParams, bias, name: str, body_ids=None):
    """One network: ids -> Embedding -> Conv1D per width -> max-pool -> Dropout -> tag scores, plus the
    bag-of-words path's scores -> the output activation. With `body_ids`, the body's own Conv1D joins the
    pooled features and its tokens join the bag."""
    from keras import layers

    from tagger.model.layers import MaskedMean

    embedding = layers.Embedding(vocabulary_size, hp.embedding_dim, name=f"{name}embedding")
    x = embedding(ids)
    # Several widths see single words, pairs and triples ("cast iron", "baking soda").
    pooled = [
        layers.GlobalMaxPooling1D(name=f"{name}max_pool_{k}")(
            layers.Conv1D(hp.filters, k, padding="same", activation="relu", name=f"{name}conv_{k}")(x)
        )
        for k in hp.kernel_sizes
    ]
    if body_ids is not None and hp.body_filters:
        body = embedding(body_ids)
        pooled += [
            layers.GlobalMaxPooling1D(name=f"{name}body_max_pool_{k}")(
                layers.Conv1D(hp.body_filters, k, padding="same", activation="relu", name=f"{name}body_conv_{k}")(body)
            )
            for k in hp.kernel_sizes
        ]
    x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name=f"{name}concat")(pooled)
    x = layers.Dropout(hp.dropout, name=f"{name}dropout")(x)
    scores = layers.Dense(n_tags, bias_initializer=bias, name=f"{name}conv_scores")(x)
    if hp.bag_dim:
        # Its own embedding: sharing the convolutions' table trained faster but ranked worse.
        bag_ids = ids
        if body_ids is not None:
            bag_ids = layers.Concatenate(name=f"{name}bag_ids")([ids] * hp.bag_title_times + [body_ids])
        mean_of = [layers.Embedding(vocabulary_size, hp.bag_dim, name=f"{name}bag_embedding")(bag_ids), bag_ids]
        if hp.bag_weights:
            # Starts at weight 1 for every token (logit 0): the plain mean, from which the weights learn.
            mean_of.append(layers.Embedding(vocabulary_size, 1, embeddings_initializer="zeros",
                                            name=f"{name}bag_weight")(bag_ids))
        bag = MaskedMean(name=f"{name}bag_mean")(mean_of)
        bag = layers.Dense(n_tags, use_bias=False, name=f"{name}bag_scores")(bag)
        scores = layers.Add(name=f"{name}scores")([scores, bag])
    return layers.Activation(hp.output, name=f"{name}tags")(scores)


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
    body_ids = keras.Input(shape=(hp.body_len,), dtype="int64", name="body_ids") if hp.body_len else None
    inputs = ids if body_ids is None else [ids, body_ids]
    # +2: id 0 is padding and id 1 an unknown token (StringLookup's mask and OOV ids).
    size = len(vocabulary) + 2
    members = [_member(ids, size, n_tags, hp, bias, "" if hp.members == 1 else f"m{i}_", body_ids)
               for i in range(hp.members)]
    scores = members[0] if hp.members == 1 else layers.Average(name="ensemble")(members)
    core = keras.Model(inputs, scores, name=CORE_MODEL)
    # Its own Model even when it computes what `core` does: compiling `core` would save the optimizer
    # inside every model file.
    trainer = keras.Model(inputs, members if hp.loss_outputs > 1 else scores, name="conv1d_trainer")

    lookup = layers.StringLookup(vocabulary=list(vocabulary), mask_token=PAD, num_oov_indices=1,
                                 name=LOOKUP_LAYER)
    tokens = keras.Input(shape=(hp.max_len,), dtype="string", name="tokens")
    if body_ids is None:
        model = keras.Model(tokens, core(lookup(tokens)), name="cooking_tagger")
    else:  # the same StringLookup maps both inputs: one vocabulary, saved once
        body_tokens = keras.Input(shape=(hp.body_len,), dtype="string", name="body_tokens")
        model = keras.Model([tokens, body_tokens], core([lookup(tokens), lookup(body_tokens)]),
                            name="cooking_tagger_title_body")
    return Network(model, core, trainer, lookup)


def serving_network(net: Network, hp: HParams, wide_weights=None, tag_prior: np.ndarray | None = None,
                    neighbour_weights=None, mention_weights=None) -> Network:
    """The trained Conv1D with what is fitted beside it, as the served model. `core` becomes the new ids ->
    probabilities model; `trainer` stays the Conv1D's. With nothing beside it, `net` itself.

    - The wide branch (`hp.wide > 0`, `wide_weights`: `tagger.model.wide.WideWeights`) and the neighbours
      branch (`hp.knn > 0`, `neighbour_weights`: `tagger.model.neighbours.NeighbourWeights`): the
      probabilities are (1 - hp.wide - hp.knn) x the Conv1D's + hp.wide x the linear model's + hp.knn x the
      neighbours' votes. Both read the same token ids as the network (the title `bag_title_times` times in a
      title + body model, then the body), so the one StringLookup still maps every word.
    - The rarity shift (`hp.rarity > 0`, `tag_prior`: each tag's share of the training questions): every
      tag's logit gains -rarity x (log prior - the tags' mean log prior), so a rare tag rises and a common
      one falls in the ranking (logit adjustment, as in long-tail classification). Both models rank common
      tags too high: on validation rows cut from the training rows it lifted P@1 more than anything else.
    - The tag-name boost (`hp.mention_title` / `hp.mention_body` > 0, `mention_weights`:
      `tagger.model.mentions.MentionWeights`): added to the logit of each tag the title (the whole question)
      names, with the rarity shift.
    """
    wide_weights = wide_weights if hp.wide else None
    neighbour_weights = neighbour_weights if hp.knn else None
    tag_prior = tag_prior if hp.rarity else None
    mention_weights = mention_weights if hp.boosts_named_tags else None
    if wide_weights is None and neighbour_weights is None and tag_prior is None and mention_weights is None:
        return net
    import keras
    from keras import layers

    from tagger.model.layers import LogitShift, TagMentions, TfidfLinear, TfidfNeighbours

    ids = keras.Input(shape=(hp.max_len,), dtype="int64", name="token_ids")
    body_ids = keras.Input(shape=(hp.body_len,), dtype="int64", name="body_ids") if hp.body_len else None
    inputs = ids if body_ids is None else [ids, body_ids]
    scores = net.core(inputs)
    fixed = []  # (layer, weights) set once the layers are built
    shares = []
    reads_question = (wide_weights is not None or neighbour_weights is not None
                      or bool(mention_weights is not None and hp.mention_body))
    if reads_question and body_ids is not None:
        wide_ids = layers.Concatenate(name="wide_ids")([ids] * hp.bag_title_times + [body_ids])
    else:
        wide_ids = ids
    if wide_weights is not None:
        linear = TfidfLinear(len(wide_weights.idf), len(wide_weights.bias), name="wide_tfidf_lr")
        wide = layers.Activation("sigmoid", name="wide_tags")(linear(wide_ids))
        fixed.append((linear, [wide_weights.idf, wide_weights.kernel, wide_weights.bias]))
        shares.append(layers.Rescaling(hp.wide, name="wide_share")(wide))
    if neighbour_weights is not None:
        from tagger.model.neighbours import POWER

        n = neighbour_weights
        knn = TfidfNeighbours(len(n.idf), net.core.output_shape[-1], n.questions, n.entries, n.tag_entries,
                              hp.knn_k, POWER, name="neighbour_tags")
        fixed.append((knn, [n.idf, n.row_indices, n.row_values, n.tag_indices]))
        shares.append(layers.Rescaling(hp.knn, name="neighbours_share")(knn(wide_ids)))
    if shares:
        deep = 1.0 - (hp.wide if wide_weights is not None else 0.0) - (hp.knn if neighbour_weights is not None else 0.0)
        scores = layers.Add(name="wide_and_deep")([layers.Rescaling(deep, name="deep_share")(scores), *shares])
    boosts = []
    if mention_weights is not None:
        m = mention_weights
        # mention_body is refused without a body (HParams), so wide_ids is then the title with the body.
        for boost, seen, name in ((hp.mention_title, ids, "title_names_tag"),
                                  (hp.mention_body, wide_ids, "question_names_tag")):
            if boost:
                layer = TagMentions(len(m.word_of_id), m.words, len(m.needed), boost, name=name)
                boosts.append(layer(seen))
                fixed.append((layer, [m.word_of_id, m.tag_words, m.needed]))
    if tag_prior is not None or boosts:
        tags = net.core.output_shape[-1]
        shift = LogitShift(tags, name="rarity_shift")
        scores = shift([scores, *boosts] if boosts else scores)
        if tag_prior is not None:
            log_prior = np.log(np.clip(np.asarray(tag_prior, np.float64), 1e-6, 1.0))
            fixed.append((shift, [(-hp.rarity * (log_prior - log_prior.mean())).astype(np.float32)]))
        else:
            fixed.append((shift, [np.zeros(tags, np.float32)]))
    for layer, weights in fixed:
        layer.set_weights(weights)
    core = keras.Model(inputs, scores, name=SERVED_MODEL)
    tokens = keras.Input(shape=(hp.max_len,), dtype="string", name="tokens")
    if body_ids is None:
        model = keras.Model(tokens, core(net.lookup(tokens)), name="cooking_tagger_served")
    else:
        body_tokens = keras.Input(shape=(hp.body_len,), dtype="string", name="body_tokens")
        model = keras.Model([tokens, body_tokens], core([net.lookup(tokens), net.lookup(body_tokens)]),
                            name="cooking_tagger_title_body_served")
    return Network(model, core, net.trainer, net.lookup)


def lookup_of(model):
    """The StringLookup of a (loaded) tokens -> probabilities model."""
    return model.get_layer(LOOKUP_LAYER)


def core_of(model):
    """The token ids -> probabilities network inside a (loaded) tokens -> probabilities model without a wide
    branch (streamed and multi-worker training build none)."""
    return model.get_layer(CORE_MODEL)


def loss(hp: HParams):
    """What training minimises (and `val_loss` reports): per question, binary cross-entropy summed over
    the tags (Keras's mean over ~700 tags makes gradients so small that Adam's epsilon throttles the
    updates; summing trains the same network in fewer epochs), or the softmax's cross-entropy."""
    import keras

    if hp.output == "softmax":
        return keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing)
    bce = keras.losses.BinaryCrossentropy(label_smoothing=hp.label_smoothing)

    def summed_bce(y_true, y_pred):
        return bce(y_true, y_pred) * float(y_pred.shape[-1])

    return summed_bce


def optimizer(hp: HParams):
    if hp.optimizer == "adam":
        import keras

        return keras.optimizers.Adam(hp.learning_rate)
    return _lazy_adam_class()(hp.learning_rate)


def compile_trainer(trainer, hp: HParams) -> None:
    """The optimizer, and one loss per trainer output (a list, so Keras scores every output against the
    same targets)."""
    trainer.compile(optimizer=optimizer(hp), loss=[loss(hp)] * hp.loss_outputs)


def member_targets(hp: HParams):
    """For a tf.data map: the same targets for every trainer output."""
    n = hp.loss_outputs

    def repeat(ids, y):
        return ids, tuple([y] * n)

    return repeat


_LAZY_ADAM = None


def _lazy_adam_class():
    """Adam that updates only the embedding rows a batch used, like TF Addons' LazyAdam.

    Keras 3's Adam turns an embedding's sparse gradient dense: every step then rewrites the whole table
    and both of its moment tables, which was most of this small model's training time on a CPU. Rows a
    batch didn't touch keep their moments instead of decaying them, which is the documented LazyAdam
    trade-off; it ranked the same on the validation rows.
    """
    global _LAZY_ADAM
    if _LAZY_ADAM is not None:
        return _LAZY_ADAM
    import keras
    import tensorflow as tf
    from keras import ops

    class LazyAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            if not isinstance(gradient, tf.IndexedSlices):
                return super().update_step(gradient, variable, learning_rate)
            dtype = variable.dtype
            lr = ops.cast(learning_rate, dtype)
            step = ops.cast(self.iterations + 1, dtype)
            b1, b2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
            alpha = lr * ops.sqrt(1 - ops.power(b2, step)) / (1 - ops.power(b1, step))
            rows, where = tf.unique(gradient.indices)  # a token seen twice in a batch: one summed row
            g = tf.math.unsorted_segment_sum(tf.cast(gradient.values, dtype), where, tf.shape(rows)[0])
            m = self._momentums[self._get_variable_index(variable)]
            v = self._velocities[self._get_variable_index(variable)]
            m_rows = tf.gather(m.value, rows) * b1 + (1 - b1) * g
            v_rows = tf.gather(v.value, rows) * b2 + (1 - b2) * tf.square(g)
            self.assign(m, tf.IndexedSlices(m_rows, rows))
            self.assign(v, tf.IndexedSlices(v_rows, rows))
            self.assign_sub(variable, tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))

    _LAZY_ADAM = LazyAdam
    return LazyAdam
