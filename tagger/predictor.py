"""`Tagger`: a trained model plus everything needed to use it exactly as it was trained.

A model directory holds `model.keras` (weights and architecture, no optimizer state) and
`metadata.json` (token config, vocabulary, tags, threshold, hyperparameters, data, metrics,
versions). Loading uses `safe_mode=True` and `compile=False`; inference goes through one
`tf.function` with a fixed input signature, because `model.predict` costs ~100 ms per call.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tagger import atomic, paths, tokens as tok
from tagger.model import HParams, encode

paths.quiet_tensorflow()

FORMAT = "cooking-tagger/1"
REQUIRED_KEYS = ("format", "token_config", "vocabulary", "tags", "threshold", "hparams")


class ModelError(RuntimeError):
    """A model directory that can't be used; the message says which and why."""


def read_metadata(path: Path) -> dict:
    """The metadata of a model directory, checked for the keys a Tagger needs."""
    path = Path(path)
    meta_path = path / "metadata.json"
    if not path.is_dir():
        raise ModelError(f"{path}: not a model directory")
    if not (path / "model.keras").is_file():
        raise ModelError(f"{path}: model.keras is missing")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: metadata.json is missing") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: metadata.json is unreadable ({e.__class__.__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path}: not a Cooking Tagger model (format is not {FORMAT})")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ModelError(f"{path}: metadata.json lacks {', '.join(missing)}")
    return meta


class Tagger:
    """Suggests tags for question titles with one trained model."""

    def __init__(self, model, metadata: dict, path: Path | None = None):
        import tensorflow as tf

        self.model, self.metadata, self.path = model, metadata, path
        self.config = tok.TokenConfig.from_dict(metadata["token_config"])
        self.hparams = HParams.from_dict(metadata["hparams"])
        self.tags: list[str] = list(metadata["tags"])
        self.vocabulary: list[str] = list(metadata["vocabulary"])
        self.threshold = float(metadata["threshold"])
        self.max_len = self.hparams.max_len
        self.index = {t: i + 2 for i, t in enumerate(self.vocabulary)}
        if int(model.output_shape[-1]) != len(self.tags) or int(model.input_shape[-1]) != self.max_len:
            raise ModelError(f"{path}: model shape does not match its metadata")
        self._score = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, self.max_len], tf.int32)],
            reduce_retracing=True,
        )
        self._lock = threading.Lock()
        self._score(np.zeros((1, self.max_len), np.int32))  # trace once now, not on the first request

    @property
    def name(self) -> str:
        return self.path.name if self.path else self.metadata.get("name", "unsaved")

    # --- loading and saving -------------------------------------------------------------------
    @classmethod
    def load(cls, path) -> "Tagger":
        import keras

        path = Path(path)
        meta = read_metadata(path)
        try:
            model = keras.models.load_model(path / "model.keras", compile=False, safe_mode=True)
        except Exception as e:  # Keras raises many types for a damaged archive
            raise ModelError(f"{path}: model.keras could not be loaded ({e.__class__.__name__})") from None
        return cls(model, meta, path)

    def save(self, path, overwrite: bool = False) -> Path:
        """Write the model directory atomically; the optimizer state is left out."""
        import keras

        def fill(tmp: Path):
            # A model rebuilt from its config is uncompiled, so the file carries the weights without
            # the optimizer's slots (clone_model keeps them, and they triple the size).
            clone = keras.Model.from_config(self.model.get_config())
            clone.set_weights(self.model.get_weights())
            clone.save(tmp / "model.keras")
            (tmp / "metadata.json").write_text(json.dumps(self.metadata, indent=1), encoding="utf-8")

        target = atomic.write_dir(Path(path), fill, overwrite=overwrite)
        self.path = target
        return target

    # --- tokens ------------------------------------------------------------------------------
    def tokens(self, title: str) -> list[str]:
        """The tokens this model sees for a title."""
        return tok.tokens(title, self.config)

    def analyze(self, title: str) -> list[tok.TokenView]:
        return tok.analyze(title, self.config)

    def tokens_many(self, titles: Sequence[str]) -> list[list[str]]:
        return tok.tokens_many(titles, self.config)

    # --- scoring -----------------------------------------------------------------------------
    def predict_proba(self, token_lists: Sequence[Sequence[str]], batch_size: int = 4096) -> np.ndarray:
        """Tag probabilities, one row per token list; a list with no tokens scores all zeros."""
        out = np.zeros((len(token_lists), len(self.tags)), dtype=np.float32)
        for start in range(0, len(token_lists), batch_size):
            chunk = token_lists[start:start + batch_size]
            x = encode(chunk, self.index, self.max_len)
            with self._lock:
                out[start:start + len(chunk)] = self._score(x).numpy()
        out[[not t for t in token_lists]] = 0.0
        return out

    def ranked(self, probabilities: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not probabilities.any():
            return []
        k = max(1, min(int(k), len(self.tags)))
        top = np.argsort(-probabilities, kind="stable")[:k]
        return [(self.tags[i], float(probabilities[i])) for i in top]

    def suggest(self, title: str, k: int = 5) -> list[tuple[str, float]]:
        """Top-k (tag, probability), best first; empty when the filter leaves no tokens."""
        return self.ranked(self.predict_proba([self.tokens(title)])[0], k)

    def suggest_many(self, titles: Sequence[str], k: int = 5) -> list[list[tuple[str, float]]]:
        probs = self.predict_proba(self.tokens_many(titles))
        return [self.ranked(row, k) for row in probs]

    def contributions(self, token_list: Sequence[str], tags: Sequence[str]) -> list[dict]:
        """How much each kept token adds to each tag: drop the token and re-score (one batch)."""
        token_list = list(token_list)
        if not token_list or not tags:
            return []
        variants = [token_list] + [token_list[:i] + token_list[i + 1:] for i in range(len(token_list))]
        probs = self.predict_proba(variants)
        cols = [self.tags.index(t) for t in tags]
        return [
            {"token": token_list[i], "position": i, "tag": self.tags[c],
             "contribution": float(probs[0, c] - probs[i + 1, c])}
            for c in cols for i in range(len(token_list))
        ]
