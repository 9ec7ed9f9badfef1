"""The custom Keras layers the tagger network needs, registered so a saved model loads with
`safe_mode=True`. Importing this module imports Keras: `network.build` and `Tagger.load` import it
when they need it, so the rest of `tagger` stays cheap to import."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cooking_tagger")
class MaskedMean(keras.layers.Layer):
    """The mean of a title's token vectors over its real tokens (ids > 0), zeros for a title with none.
    Called with a third input, each token's weight as a logit ([batch, len, 1]), it is the weighted mean
    with weights exp(logit): a word the model learned says little about tags counts less, like TF-IDF's
    IDF but learned for the tags.

    Keras's GlobalAveragePooling1D with an Embedding mask would divide by zero on such a title (the POS
    filter leaves some titles empty), and without the mask it averages in the padding.
    """

    def call(self, inputs):
        vectors, ids = inputs[0], inputs[1]
        weights = ops.cast(ops.greater(ids, 0), vectors.dtype)[:, :, None]
        floor = 1.0  # a count: at least one real token, or the numerator is zero anyway
        if len(inputs) > 2:
            # Clipped: exp overflows float32 past 88, and one such word would turn the mean into NaN. The
            # shipped models' logits lie within ±2.2, so the clip never binds for them.
            weights, floor = weights * ops.exp(ops.clip(inputs[2], -30.0, 30.0)), 1e-6
        return ops.sum(vectors * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), floor)

    def compute_output_shape(self, input_shape):
        vectors = input_shape[0]
        return (vectors[0], vectors[2])


def tfidf_shares(ids, idf, dtype):
    """Token ids [batch, len] -> each position's share of the L2-normalised TF-IDF vector that scikit-learn's
    `TfidfVectorizer(sublinear_tf=True)` computes for the question: (1 + log count) x idf over its distinct
    tokens, a token seen n times split into n equal shares, so summing a question's shares by token id gives
    the vector."""
    # How often each position's token occurs in its question (padding too: its idf is 0 anyway).
    count = ops.sum(ops.cast(ops.equal(ids[:, :, None], ids[:, None, :]), dtype), axis=-1)
    value = (1.0 + ops.log(count)) * ops.take(idf, ids)  # the token's TF-IDF value, at each of its positions
    norm = ops.sqrt(ops.sum(value * value / count, axis=-1, keepdims=True))  # over distinct tokens
    return value / count / ops.maximum(norm, 1e-12)


@keras.saving.register_keras_serializable(package="cooking_tagger")
class TfidfLinear(keras.layers.Layer):
    """Token ids [batch, len] -> a linear model's tag logits [batch, tags] over the TF-IDF vector that
    scikit-learn's `TfidfVectorizer(sublinear_tf=True)` computes for the same tokens: (1 + log count) x idf,
    L2-normalised, then x kernel + bias.

    The weights are fixed, copied from the vectorizer and the logistic regressions fitted on the training rows
    (`tagger.model.wide`); ids 0 and 1 (padding and unknown tokens) have idf 0, so they count for nothing, as
    the vectorizer ignores words outside its vocabulary.

    Why not a TF-IDF vector and a Dense layer: the vector has a column per vocabulary token (8,002), and
    multiplying it by the kernel took ~5 ms a question on this project's CPU. A question has at most
    `len` tokens, so each position's share of its token's TF-IDF value weights that token's kernel row,
    gathered as a sparse product: the same sum, over ~100 rows instead of 8,002.
    """

    def __init__(self, vocabulary_size: int, tags: int, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size, self.tags = int(vocabulary_size), int(tags)

    def build(self, input_shape):
        self.idf = self.add_weight(shape=(self.vocabulary_size,), initializer="zeros", trainable=False, name="idf")
        self.kernel = self.add_weight(shape=(self.vocabulary_size, self.tags), initializer="zeros", trainable=False,
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.tags,), initializer="zeros", trainable=False, name="bias")

    def call(self, ids):
        import tensorflow as tf

        ids = ops.cast(ids, "int32")
        weight = tfidf_shares(ids, self.idf, self.compute_dtype)
        batch, length = ops.shape(ids)[0], ops.shape(ids)[1]
        rows = ops.repeat(ops.arange(batch), length)
        terms = tf.sparse.SparseTensor(ops.cast(ops.stack([rows, ops.reshape(ids, [-1])], axis=1), "int64"),
                                       ops.reshape(weight, [-1]),
                                       ops.cast(ops.stack([batch, self.vocabulary_size]), "int64"))
        return tf.sparse.sparse_dense_matmul(terms, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.tags)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "tags": self.tags}


@keras.saving.register_keras_serializable(package="cooking_tagger")
class LogitShift(keras.layers.Layer):
    """Probabilities -> sigmoid(logit(p) + shift), one fixed shift per tag (`network.serving_network` sets it
    to take part of each tag's log base rate out: logit adjustment)."""

    def __init__(self, size: int, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def build(self, input_shape):
        self.shift = self.add_weight(shape=(self.size,), initializer="zeros", trainable=False, name="shift")

    def call(self, probabilities):
        p = ops.clip(probabilities, 1e-7, 1.0 - 1e-7)
        return ops.sigmoid(ops.log(p) - ops.log1p(-p) + self.shift)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@keras.saving.register_keras_serializable(package="cooking_tagger")
class TfidfNeighbours(keras.layers.Layer):
    """Token ids [batch, len] -> each tag's share of the votes of the `k` training questions nearest this one
    by the cosine of their TF-IDF vectors ([batch, tags], in [0, 1]; all zeros for a question with no known
    token). A neighbour votes for its tags with its similarity to the power `power` (`tagger.model.neighbours`).

    The weights are fixed (`neighbours.NeighbourWeights`): the idf, and two sparse matrices kept as their
    coordinates and values, the training questions' TF-IDF rows ([questions, ids]) and their tags ([tags,
    questions]). Sparse because the dense rows would take 12,400 x 8,002 floats (~400 MB); as coordinates
    they take ~8 MB (the shipped title-body), and one sparse product scores a question against all of them.
    """

    def __init__(self, vocabulary_size: int, tags: int, questions: int, entries: int, tag_entries: int,
                 k: int, power: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size, self.tags, self.questions = int(vocabulary_size), int(tags), int(questions)
        self.entries, self.tag_entries, self.k, self.power = int(entries), int(tag_entries), int(k), float(power)

    def build(self, input_shape):
        def fixed(name, shape, dtype="float32"):
            return self.add_weight(shape=shape, initializer="zeros", trainable=False, dtype=dtype, name=name)

        self.idf = fixed("idf", (self.vocabulary_size,))
        self.row_indices = fixed("row_indices", (self.entries, 2), "int64")
        self.row_values = fixed("row_values", (self.entries,))
        self.tag_indices = fixed("tag_indices", (self.tag_entries, 2), "int64")

    def call(self, ids):
        import tensorflow as tf

        ids = ops.cast(ids, "int32")
        weight = tfidf_shares(ids, self.idf, self.compute_dtype)
        batch, length = ops.shape(ids)[0], ops.shape(ids)[1]
        # The questions' TF-IDF vectors as columns [ids, batch]: scatter_nd adds up a token's shares.
        where = ops.stack([ops.reshape(ids, [-1]), ops.repeat(ops.arange(batch), length)], axis=1)
        queries = tf.scatter_nd(where, ops.reshape(weight, [-1]), ops.stack([self.vocabulary_size, batch]))
        rows = tf.sparse.SparseTensor(ops.convert_to_tensor(self.row_indices), ops.convert_to_tensor(self.row_values),
                                      [self.questions, self.vocabulary_size])
        similarity = ops.transpose(tf.sparse.sparse_dense_matmul(rows, queries))  # [batch, questions]: cosines
        nearest, which = tf.math.top_k(similarity, k=min(self.k, self.questions))
        votes = ops.power(ops.maximum(nearest, 0.0), self.power)
        k = ops.shape(which)[1]
        # Each neighbour's vote in a [questions, batch] matrix, then summed per tag by the tags matrix.
        where = ops.stack([ops.reshape(which, [-1]), ops.repeat(ops.arange(batch), k)], axis=1)
        ballot = tf.scatter_nd(where, ops.reshape(votes, [-1]), ops.stack([self.questions, batch]))
        tags = tf.sparse.SparseTensor(ops.convert_to_tensor(self.tag_indices), tf.ones([self.tag_entries]),
                                      [self.tags, self.questions])
        per_tag = ops.transpose(tf.sparse.sparse_dense_matmul(tags, ballot))  # [batch, tags]
        return per_tag / ops.maximum(ops.sum(votes, axis=1, keepdims=True), 1e-12)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.tags)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "tags": self.tags,
                "questions": self.questions, "entries": self.entries, "tag_entries": self.tag_entries,
                "k": self.k, "power": self.power}
