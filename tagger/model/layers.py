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
    to take part of each tag's log base rate out: logit adjustment). Called on [probabilities, *terms], the
    terms ([batch, tags] each, e.g. `TagMentions`' boosts) are added to the logits too."""

    def __init__(self, size: int, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def build(self, input_shape):
        self.shift = self.add_weight(shape=(self.size,), initializer="zeros", trainable=False, name="shift")

    def call(self, inputs):
        probabilities, *terms = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        p = ops.clip(probabilities, 1e-7, 1.0 - 1e-7)
        logits = ops.log(p) - ops.log1p(-p) + self.shift
        for term in terms:
            logits = logits + term
        return ops.sigmoid(logits)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


# What `TfidfNeighbours` picks its way to the similarities by, measured on the shipped title-body (2 cores):
# an entry read through the index costs ~50 ns; the sparse product ~4 ns a stored entry, plus ~0.6 ns a stored
# entry for each question in the batch. So one title (13,000 entries touched) takes the index, 1.4 ms against
# 2.7 ms for the whole layer; 16 questions with bodies (305,000) take the product, 6.7 ms against 15 ms.
INDEX_NS, PRODUCT_NS, PRODUCT_ROW_NS = 50.0, 4.0, 0.6


@keras.saving.register_keras_serializable(package="cooking_tagger")
class TfidfNeighbours(keras.layers.Layer):
    """Token ids [batch, len] -> each tag's share of the votes of the `k` training questions nearest this one
    by the cosine of their TF-IDF vectors ([batch, tags], in [0, 1]; all zeros for a question with no known
    token). A neighbour votes for its tags with its similarity to the power `power` (`tagger.model.neighbours`).

    The weights are fixed (`neighbours.NeighbourWeights`): the idf, and two sparse matrices kept as their
    coordinates and values, the training questions' TF-IDF rows ([questions, ids]) and their tags ([tags,
    questions]). Sparse because the dense rows would take 12,400 x 8,002 floats (~400 MB); as coordinates
    they take ~8 MB (the shipped title-body). A question is scored against all of them either through an
    inverted index built from them when the model loads (`postings`: few tokens, few entries read) or by one
    sparse product (a large batch), whichever the call's size makes cheaper.
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

    _postings = None  # (question, value, offsets) by token id: see `postings`

    def set_weights(self, weights):
        super().set_weights(weights)
        object.__setattr__(self, "_postings", None)  # new rows: the postings are built again

    def load_own_variables(self, store):
        super().load_own_variables(store)
        object.__setattr__(self, "_postings", None)

    def postings(self):
        """The stored rows turned around, an inverted index: for each token id, the questions that have it
        and its TF-IDF value in each (`question` and `value`, from `offsets[id]` to `offsets[id + 1]`).
        Built once from the weights, outside any graph, and kept beside them (not saved: the file keeps
        the row-major coordinates a `tf.sparse` product reads, as before)."""
        if self._postings is None:
            import numpy as np
            import tensorflow as tf

            with tf.init_scope():  # eager, even while a tf.function traces the call
                where, value = np.asarray(self.row_indices.numpy()), np.asarray(self.row_values.numpy())
                order = np.argsort(where[:, 1], kind="stable")
                offsets = np.searchsorted(where[order, 1], np.arange(self.vocabulary_size + 1))
                built = (tf.constant(where[order, 0].astype(np.int32)), tf.constant(value[order]),
                         tf.constant(offsets.astype(np.int32)))
            object.__setattr__(self, "_postings", built)
        return self._postings

    def call(self, ids):
        import tensorflow as tf

        ids = ops.cast(ids, "int32")
        weight = tfidf_shares(ids, self.idf, self.compute_dtype)
        batch, length = ops.shape(ids)[0], ops.shape(ids)[1]
        question, value, offsets = self.postings()
        flat = ops.reshape(ids, [-1])
        starts, ends = tf.gather(offsets, flat), tf.gather(offsets, flat + 1)

        def through_the_index():
            # Only the postings of the question's own tokens are read: a title's few words touch a few
            # thousand entries where the product below reads all ~360,000 (shipped title-body), which took
            # 1.5 ms of a title's suggest. Per entry it is slower, so a large batch takes the product.
            spans = tf.ragged.range(starts, ends)
            at, position = spans.flat_values, tf.cast(spans.value_rowids(), "int32")  # entry, and whose token
            share = tf.gather(value, at) * tf.gather(ops.reshape(weight, [-1]), position)
            slot = (position // length) * self.questions + tf.gather(question, at)
            return ops.reshape(tf.math.unsorted_segment_sum(share, slot, batch * self.questions),
                               [batch, self.questions])

        def through_the_product():
            # The questions' TF-IDF vectors as columns [ids, batch]: scatter_nd adds up a token's shares.
            where = ops.stack([flat, ops.repeat(ops.arange(batch), length)], axis=1)
            queries = tf.scatter_nd(where, ops.reshape(weight, [-1]), ops.stack([self.vocabulary_size, batch]))
            rows = tf.sparse.SparseTensor(ops.convert_to_tensor(self.row_indices),
                                          ops.convert_to_tensor(self.row_values),
                                          [self.questions, self.vocabulary_size])
            return ops.transpose(tf.sparse.sparse_dense_matmul(rows, queries))

        touched = tf.cast(tf.reduce_sum(ends - starts), "float32")
        cost_of_product = self.entries * (PRODUCT_NS + PRODUCT_ROW_NS * tf.cast(batch, "float32"))
        cheaper = touched * INDEX_NS < cost_of_product
        similarity = tf.cond(cheaper, through_the_index, through_the_product)  # [batch, questions]: cosines
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


@keras.saving.register_keras_serializable(package="cooking_tagger")
class TagMentions(keras.layers.Layer):
    """Token ids [batch, len] -> `boost` for each tag all of whose words are among them, else 0 ([batch,
    tags]; `tagger.model.mentions`). The weights are fixed (`mentions.MentionWeights`): each id's word among
    the tags' words, each tag's words as a 0/1 matrix, and how many it needs."""

    def __init__(self, vocabulary_size: int, words: int, tags: int, boost: float, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size, self.words, self.tags = int(vocabulary_size), int(words), int(tags)
        self.boost = float(boost)

    def build(self, input_shape):
        def fixed(name, shape, dtype="float32"):
            return self.add_weight(shape=shape, initializer="zeros", trainable=False, dtype=dtype, name=name)

        self.word_of_id = fixed("word_of_id", (self.vocabulary_size,), "int64")
        self.tag_words = fixed("tag_words", (self.words + 1, self.tags))
        self.needed = fixed("needed", (self.tags,))

    def call(self, ids):
        import tensorflow as tf

        word = ops.take(ops.convert_to_tensor(self.word_of_id), ops.cast(ids, "int32"))  # [batch, len]
        batch, length = ops.shape(ids)[0], ops.shape(ids)[1]
        # Which words each question has, 0/1 [batch, words + 1]: scatter_nd_max of ones, O(batch x len)
        # where a one-hot [batch, len, words] would take ~70 MB for a 256-row batch with a body.
        where = ops.stack([ops.repeat(ops.arange(batch), length), ops.cast(ops.reshape(word, [-1]), "int32")], axis=1)
        present = tf.tensor_scatter_nd_max(tf.zeros(ops.stack([batch, self.words + 1]), self.compute_dtype), where,
                                           tf.ones([batch * length], self.compute_dtype))
        hits = ops.matmul(present, ops.cast(self.tag_words, self.compute_dtype))  # [batch, tags]: words present
        return self.boost * ops.cast(hits >= ops.cast(self.needed, self.compute_dtype) - 0.5, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.tags)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "words": self.words,
                "tags": self.tags, "boost": self.boost}
