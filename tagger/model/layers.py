"""The one custom Keras layer the tagger network needs, registered so a saved model loads with
`safe_mode=True`. Importing this module imports Keras: `network.build` and `Tagger.load` import it
when they need it, so the rest of `tagger` stays cheap to import."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cooking_tagger")
class MaskedMean(keras.layers.Layer):
    """The mean of a title's token vectors over its real tokens (ids > 0), zeros for a title with none.

    Keras's GlobalAveragePooling1D with an Embedding mask would divide by zero on such a title (the POS
    filter leaves some titles empty), and without the mask it averages in the padding.
    """

    def call(self, inputs):
        vectors, ids = inputs
        real = ops.cast(ops.greater(ids, 0), vectors.dtype)[:, :, None]
        return ops.sum(vectors * real, axis=1) / ops.maximum(ops.sum(real, axis=1), 1.0)

    def compute_output_shape(self, input_shape):
        vectors, _ = input_shape
        return (vectors[0], vectors[2])
