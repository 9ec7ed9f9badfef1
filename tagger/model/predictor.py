"""`Tagger`: a trained model plus everything needed to use it exactly as it was trained.

A model directory holds `model.keras` (architecture and weights, the vocabulary inside its
`StringLookup` layer, no optimizer state) and `metadata.json` (token config, tags, threshold,
hyperparameters, data, metrics, versions). Loading uses `safe_mode=True` and `compile=False`;
inference goes through one `tf.function` with a fixed input signature, because `model.predict`
costs ~30-100 ms per call.

A model trained on every row can carry its *twin* in `split/`: the same recipe trained on the fixed
split's training rows only, which is what measured the model's numbers. Anything that scores a model
against true tags of the project's questions uses the twin (`Tagger.load(path, twin=True)`), since the
model itself has seen every one of them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tagger.core import atomic, paths
from tagger.model import network
from tagger.model.network import HParams
from tagger.text import cache, tokens as tok

paths.quiet_tensorflow()

# Format 2: the vocabulary lives in the model's StringLookup layer, not in metadata.json.
FORMAT = "cooking-tagger/2"
TWIN = "split"  # the sub-directory of a model trained on all rows that holds its split-trained twin
# Rows scored at once by a model with a neighbours branch: its layer holds a [training questions, rows] matrix
# of similarities (and one of votes) while it runs. For a 2,000-row batch CSV on `title-body`, 4,096 rows a
# batch raised the process's peak memory by 230 MB and 256 by 28 MB, and 256 was a little faster (2.1 s
# against 2.5 s): a visitor's upload must not cost the server a quarter of a GB.
NEIGHBOURS_BATCH = 256
REQUIRED_KEYS = ("format", "token_config", "tags", "threshold", "hparams")


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
        found = meta.get("format") if isinstance(meta, dict) else None
        hint = " (an older Cooking Tagger model: retrain it with this version)" if str(found).startswith(
            "cooking-tagger/") else ""
        raise ModelError(f"{path}: not a Cooking Tagger model of format {FORMAT}{hint}")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ModelError(f"{path}: metadata.json lacks {', '.join(missing)}")
    return meta


class Tagger:
    """Suggests tags for question titles with one trained model."""

    def __init__(self, model, metadata: dict, path: Path | None = None, twin: "Tagger | None" = None):
        import tensorflow as tf

        self.model, self.metadata, self.path = model, metadata, path
        self.twin = twin  # saved with the model, in TWIN/, when set
        self.config = tok.TokenConfig.from_dict(metadata["token_config"])
        self.hparams = HParams.from_dict(metadata["hparams"])
        self.tags: list[str] = list(metadata["tags"])
        self.threshold = float(metadata["threshold"])
        self.max_len = self.hparams.max_len
        # A body-aware model (hparams.body_len > 0) takes a second input, the body's first body_len tokens,
        # filtered by its own body_token_config; a title-only model has neither and ignores bodies.
        self.body_len = int(getattr(self.hparams, "body_len", 0) or 0)
        self.body_config = (tok.TokenConfig.from_dict(metadata.get("body_token_config") or {"pos_tags": None})
                            if self.body_len else None)
        lengths = [self.max_len] + ([self.body_len] if self.body_len else [])
        shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
        if int(model.output_shape[-1]) != len(self.tags) or [int(s[-1]) for s in shapes] != lengths:
            raise ModelError(f"{path}: model shape does not match its metadata")
        signature = [tf.TensorSpec([None, n], tf.string) for n in lengths]
        # Traced now, not on a request; the concrete function is called directly, which skips the
        # polymorphic function's argument binding and cache lookup on each call (~0.1 ms of ~1 ms).
        self._score = tf.function(
            (lambda x: model(x, training=False)) if not self.body_len else
            (lambda x, b: model([x, b], training=False)),
            input_signature=signature,
        ).get_concrete_function()
        self._lock = threading.Lock()
        self._known: frozenset[str] | None = None

    @property
    def name(self) -> str:
        return self.path.name if self.path else self.metadata.get("name", "unsaved")

    @property
    def vocabulary(self) -> list[str]:
        """The tokens the model knows, most frequent first (read from its StringLookup)."""
        lookup = network.lookup_of(self.model)
        # get_vocabulary() starts with the mask ("") and the OOV token ("[UNK]").
        return [str(t) for t in lookup.get_vocabulary()[lookup.num_oov_indices + 1:]]

    def known(self, token_list: Sequence[str]) -> list[str]:
        """The tokens of a list that the model learned; the others all read as one unknown token."""
        if self._known is None:
            self._known = frozenset(self.vocabulary)
        return [t for t in token_list if t in self._known]

    @property
    def is_twin(self) -> bool:
        return self.path is not None and self.path.name == TWIN

    # --- loading and saving -------------------------------------------------------------------
    @classmethod
    def load(cls, path, twin: bool = False) -> "Tagger":
        """The model in `path`; with `twin`, its split-trained twin when it has one (else itself)."""
        import keras

        import tagger.model.layers  # noqa: F401  (registers the network's custom layer for safe_mode)

        path = Path(path)
        if twin and (path / TWIN / "metadata.json").is_file():
            path = path / TWIN
        meta = read_metadata(path)
        try:
            model = keras.models.load_model(path / "model.keras", compile=False, safe_mode=True)
        except Exception as e:  # Keras raises many types for a damaged archive
            raise ModelError(f"{path}: model.keras could not be loaded ({e.__class__.__name__})") from None
        return cls(model, meta, path)

    def save(self, path, overwrite: bool = False) -> Path:
        """Write the model directory atomically. The saved model is the uncompiled tokens -> tags view,
        so the file carries no optimizer state (training compiles only the inner network)."""

        def write(tagger: "Tagger", folder: Path):
            folder.mkdir(exist_ok=True)
            tagger.model.save(folder / "model.keras")
            (folder / "metadata.json").write_text(json.dumps(tagger.metadata, indent=1), encoding="utf-8")

        def fill(tmp: Path):
            write(self, tmp)
            if self.twin is not None:
                write(self.twin, tmp / TWIN)

        target = atomic.write_dir(Path(path), fill, overwrite=overwrite)
        self.path = target
        if self.twin is not None:
            self.twin.path = target / TWIN
        return target

    # --- tokens ------------------------------------------------------------------------------
    @property
    def uses_body(self) -> bool:
        """Whether this model reads a question's body beside its title."""
        return self.body_len > 0

    def tokens(self, title: str) -> list[str]:
        """The tokens this model sees for a title."""
        return tok.tokens(title, self.config)

    def analyze(self, title: str) -> list[tok.TokenView]:
        return tok.analyze(title, self.config)

    def tokens_many(self, titles: Sequence[str]) -> list[list[str]]:
        return cache.tokens_many(titles, self.config)

    def body_tokens(self, body: str | None) -> list[str]:
        """The body tokens this model sees (its first `body_len` kept ones); [] for a title-only model."""
        if not self.uses_body or not body:
            return []
        return tok.body_tokens(body, self.body_config, self.body_len)

    def analyze_body(self, body: str | None) -> list[tok.TokenView]:
        """Every word of the body with why this model reads it or not; [] for a title-only model."""
        if not self.uses_body or not body:
            return []
        return tok.analyze_body(body, self.body_config, self.body_len)

    def body_tokens_many(self, bodies: Sequence[str] | None, use_cache: bool = True) -> list[list[str]] | None:
        """Many bodies' tokens (cached tagging); None for a title-only model or no bodies."""
        if not self.uses_body or bodies is None:
            return None
        return cache.body_tokens_many(bodies, self.body_config, self.body_len, use_cache=use_cache)

    def body_note(self, body: str | None) -> str | None:
        """What happens to a body given to this model, in words; None without a body."""
        if not body or not str(body).strip():
            return None
        if not self.uses_body:
            return f"{self.name} reads titles only: the body was ignored"
        return None

    # --- scoring -----------------------------------------------------------------------------
    def predict_proba(self, token_lists: Sequence[Sequence[str]], body_lists: Sequence[Sequence[str]] | None = None,
                      batch_size: int = 4096) -> np.ndarray:
        """Tag probabilities, one row per token list (and, for a body-aware model, its body's tokens; no
        bodies reads as empty ones; a title-only model ignores them). A row with no token the model knows
        scores all zeros: it would only repeat the tags' base rates, which is not a suggestion."""
        import tensorflow as tf

        if self.uses_body:
            body_lists = [[] for _ in token_lists] if body_lists is None else body_lists
            if len(body_lists) != len(token_lists):
                raise ValueError(f"{len(token_lists)} titles but {len(body_lists)} bodies")
        out = np.zeros((len(token_lists), len(self.tags)), dtype=np.float32)
        if self.hparams.knn:
            batch_size = min(batch_size, NEIGHBOURS_BATCH)
        for start in range(0, len(token_lists), batch_size):
            chunk = token_lists[start:start + batch_size]
            args = [tf.constant(network.pad(chunk, self.max_len), tf.string)]
            if self.uses_body:
                args.append(tf.constant(network.pad(body_lists[start:start + batch_size], self.body_len), tf.string))
            with self._lock:
                out[start:start + len(chunk)] = self._score(*args).numpy()
        if self.uses_body:
            silent = [not self.known(list(t) + list(b)) for t, b in zip(token_lists, body_lists, strict=True)]
        else:
            silent = [not self.known(t) for t in token_lists]
        out[silent] = 0.0
        return out

    def ranked(self, probabilities: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not probabilities.any():
            return []
        k = max(1, min(int(k), len(self.tags)))
        top = np.argsort(-probabilities, kind="stable")[:k]
        return [(self.tags[i], float(probabilities[i])) for i in top]

    def suggest(self, title: str, k: int = 5, body: str | None = None) -> list[tuple[str, float]]:
        """Top-k (tag, probability), best first. A body-aware model also reads `body` (HTML, Markdown or
        plain text); a title-only model ignores it (`body_note` says so). Empty when the filter leaves no
        tokens or the model knows none of them (it would only repeat the tags' base rates); `silence`
        says which."""
        return self.suggest_tokens(self.tokens(title), k, self.body_tokens(body))

    def suggest_tokens(self, token_list: Sequence[str], k: int = 5,
                       body_tokens: Sequence[str] | None = None) -> list[tuple[str, float]]:
        bodies = None if body_tokens is None else [body_tokens]
        return self.ranked(self.predict_proba([token_list], bodies)[0], k)

    def suggest_many(self, titles: Sequence[str], k: int = 5,
                     bodies: Sequence[str] | None = None) -> list[list[tuple[str, float]]]:
        probs = self.predict_proba(self.tokens_many(titles), self.body_tokens_many(bodies))
        return [self.ranked(row, k) for row in probs]

    def named_tags(self, token_list: Sequence[str],
                   body_tokens: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """The tags the question names and what the tag-name boost adds to each one's logit (`mentions`), as
        the model sees them: the words it knows, cut where its inputs are. [] for a model without the boost."""
        from tagger.model import mentions

        hp = self.hparams
        if not hp.boosts_named_tags:
            return []
        title = self.known(token_list[:hp.max_len])
        body = self.known(list(body_tokens or [])[:hp.body_len]) if self.uses_body else []
        boosts = dict.fromkeys(self.tags, 0.0)
        # mention_body is refused for a title-only model (HParams), whose body stays [].
        for boost, words in ((hp.mention_title, title), (hp.mention_body, title + body)):
            if boost:
                for tag in mentions.mentioned(words, self.tags):
                    boosts[tag] += boost
        return [(tag, boost) for tag, boost in boosts.items() if boost]

    def silence(self, token_list: Sequence[str], body_tokens: Sequence[str] | None = None) -> str | None:
        """Why the model has nothing to suggest for these tokens, in words; None when it has."""
        every = list(token_list) + (list(body_tokens or []) if self.uses_body else [])
        if not every:
            return "the filter kept no words, so the model has nothing to read"
        if not self.known(every):
            return (f"the model knows none of these words ({', '.join(every[:8])}): it never saw them in "
                    "training, so it would only repeat how common each tag is")
        return None

    def contributions(self, token_list: Sequence[str], tags: Sequence[str],
                      body_tokens: Sequence[str] | None = None) -> list[dict]:
        """How much each kept token adds to each tag: drop the token and re-score (one batch). With a
        body-aware model, body tokens are dropped one by one too (`part` says "title" or "body")."""
        token_list = list(token_list)
        body = list(body_tokens or []) if self.uses_body else []
        if not (token_list or body) or not tags:
            return []
        titles = [token_list] + [token_list[:i] + token_list[i + 1:] for i in range(len(token_list))]
        titles += [token_list] * len(body)
        bodies = [body] * (len(token_list) + 1) + [body[:i] + body[i + 1:] for i in range(len(body))]
        probs = self.predict_proba(titles, bodies if self.uses_body else None)
        cols = [self.tags.index(t) for t in tags]
        words = [("title", i, t) for i, t in enumerate(token_list)] + [("body", i, t) for i, t in enumerate(body)]
        return [
            {"token": t, "position": i, "part": part, "tag": self.tags[c],
             "contribution": float(probs[0, c] - probs[j + 1, c])}
            for c in cols for j, (part, i, t) in enumerate(words)
        ]
