"""Export a trained tagger as a TensorFlow SavedModel that TensorFlow Serving can load.

The SavedModel maps *tokens* to tag probabilities; turning a title into tokens stays in the client
(the app, or anything that imports `tagger.text.tokens`), because the part-of-speech filter is NLTK's
perceptron tagger, which cannot run inside a TensorFlow graph. Two signatures:

- `serving_default`: `tokens` — tf.string, shape [batch, n], the filtered tokens of each title,
  padded on the right with "" — returns `probabilities` (float32, [batch, n_tags]).
- `tokens_text`: `tokens_text` — tf.string, shape [batch], the same tokens joined by single spaces
  (handy for REST clients: `{"inputs": {"tokens_text": ["potato starch cheese sauce"]}}`).

The exported graph is the saved Keras model itself, whose first layer is the `StringLookup` that
training used, so the served ids can't differ from the app's. The signatures only cut rows to
`max_len`, pad them with "", and score a row with no known token as all zeros, as `Tagger.predict_proba`
does. Beside the SavedModel go `tags.txt` (one tag per output column), `token_config.json` (the
client's filter, threshold and max_len) and `vocabulary.txt` (for reading; the graph has its own).
"""

from __future__ import annotations

import json
from pathlib import Path

from tagger.core import atomic, paths
from tagger.model import network

paths.quiet_tensorflow()

SIGNATURE = "serving_default"
TEXT_SIGNATURE = "tokens_text"


def _serving_functions(tagger):
    """The two graph functions around the Keras model (tokens -> probabilities)."""
    import tensorflow as tf

    max_len, model = tagger.max_len, tagger.model
    lookup = network.lookup_of(model)

    def score(tokens):
        tokens = tokens[:, :max_len]
        pad = tf.maximum(max_len - tf.shape(tokens)[1], 0)
        tokens = tf.ensure_shape(tf.pad(tokens, [[0, 0], [0, pad]], constant_values=network.PAD), [None, max_len])
        probs = model(tokens, training=False)
        # As in Tagger.predict_proba: a row with no token the model knows (id 0 is padding, 1 unknown)
        # scores zeros rather than the tags' base rates.
        knows_one = tf.reduce_any(lookup(tokens) > 1, axis=1, keepdims=True)
        return {"probabilities": probs * tf.cast(knows_one, probs.dtype)}

    def serve_tokens(tokens):
        return score(tokens)

    def serve_text(tokens_text):
        # Split on runs of whitespace: an empty piece between two tokens would read as padding.
        parts = tf.strings.split(tf.strings.strip(tokens_text))
        return score(parts.to_tensor(default_value=network.PAD))

    return model, serve_tokens, serve_text


def export_savedmodel(tagger, out, overwrite: bool = False) -> Path:
    """Write `tagger` as a SavedModel directory at `out` (atomically); returns the path."""
    import keras
    import tensorflow as tf

    if getattr(tagger, "uses_body", False):
        from tagger.model.predictor import ModelError

        raise ModelError(f"{tagger.name} reads titles and bodies: the export's signatures take titles only, so "
                         "export a title-only model")

    model, serve_tokens, serve_text = _serving_functions(tagger)

    def fill(tmp: Path):
        archive = keras.export.ExportArchive()
        archive.track(model)
        # The first endpoint is also published as "serving_default"; name it so explicitly.
        archive.add_endpoint(SIGNATURE, serve_tokens,
                             input_signature=[tf.TensorSpec([None, None], tf.string, name="tokens")])
        archive.add_endpoint(TEXT_SIGNATURE, serve_text,
                             input_signature=[tf.TensorSpec([None], tf.string, name="tokens_text")])
        archive.write_out(str(tmp), verbose=False)
        (tmp / "tags.txt").write_text("\n".join(tagger.tags) + "\n", encoding="utf-8")
        (tmp / "vocabulary.txt").write_text("\n".join(tagger.vocabulary) + "\n", encoding="utf-8")
        client = {
            "token_config": tagger.config.to_dict(),
            "max_len": tagger.max_len,
            "threshold": tagger.threshold,
            "signature": SIGNATURE,
            "input": "tokens",
            "output": "probabilities",
            "model": tagger.name,
            "note": "title -> tokens runs in the client: tagger.text.tokens.tokens(title, TokenConfig.from_dict("
                    "token_config)); NLTK's POS tagger cannot run inside the TensorFlow graph",
        }
        (tmp / "token_config.json").write_text(json.dumps(client, indent=1), encoding="utf-8")

    return atomic.write_dir(Path(out), fill, overwrite=overwrite)


def pad_tokens(token_lists) -> list[list[str]]:
    """Token lists -> a rectangular list padded with "" (at least one column), for `serving_default`."""
    width = max([len(t) for t in token_lists] + [1])
    return [list(t) + [""] * (width - len(t)) for t in token_lists]


def rest_request(token_lists, signature: str = SIGNATURE) -> dict:
    """The JSON body of a TensorFlow Serving REST predict call for these token lists.

    `POST http://HOST:8501/v1/models/tagger:predict` with this body (the columnar "inputs" format)
    answers `{"outputs": [[p, ...], ...]}`: one row of probabilities per token list, its columns in
    `tags.txt` order. The tokens are what `tagger.text.tokens.tokens(title, config)` gives in the
    client, with the export's `token_config.json`.
    """
    return {"signature_name": signature, "inputs": {"tokens": pad_tokens(token_lists)}}


class ServedModel:
    """A loaded export, scored the way TensorFlow Serving would: through its signature."""

    def __init__(self, path):
        import tensorflow as tf

        self.path = Path(path)
        self.loaded = tf.saved_model.load(str(self.path))
        self.signature = self.loaded.signatures[SIGNATURE]
        self.tags = (self.path / "tags.txt").read_text(encoding="utf-8").split()
        self.client = json.loads((self.path / "token_config.json").read_text(encoding="utf-8"))

    def predict_proba(self, token_lists):
        import tensorflow as tf

        if not len(token_lists):
            import numpy as np

            return np.zeros((0, len(self.tags)), np.float32)
        x = tf.constant(pad_tokens(token_lists), dtype=tf.string)
        return self.signature(tokens=x)["probabilities"].numpy()
