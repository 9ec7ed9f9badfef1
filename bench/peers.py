"""The benchmark's peers and the configurations it compares: fastText as in its tutorial, and the
Conv1D settings read from the shipped models' metadata."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np

from tagger.model.network import HParams
from tagger.scoring import metrics
from tagger.text import tokens as tok

QUESTION_POS = tok.DEFAULT_POS
# Used only when models/ has no shipped model to read a configuration from.
FALLBACK_QUESTION = (tok.TokenConfig(pos_tags=QUESTION_POS), HParams())
FALLBACK_BEST = (tok.TokenConfig(pos_tags=QUESTION_POS), HParams(kernel_sizes=(1, 2, 3), filters=256))
FASTTEXT = {"lr": 1.0, "epoch": 25, "wordNgrams": 2, "thread": 1}


# --- configurations ------------------------------------------------------------------------------
@dataclasses.dataclass
class Config:
    name: str
    config: tok.TokenConfig
    hp: HParams
    source: str  # where the hyperparameters came from


def shipped_configs(models_root: Path | None = None) -> dict[str, Config]:
    """The question's configuration and the best one, read from the shipped models' metadata.

    question: a shipped sigmoid model with the question's filter (the default one if it qualifies);
    best: the shipped model with the highest held-out P@1 in its metadata (else the default).
    """
    from tagger.store.registry import Registry

    reg = Registry(models_root)
    shipped = set(reg.shipped_names())
    entries = [e for e in reg.entries() if e.metadata is not None and e.name in shipped]
    default = reg._shipped().get("default")
    out: dict[str, Config] = {}

    def config_of(e, name):
        meta = e.metadata
        return Config(name, tok.TokenConfig.from_dict(meta["token_config"]), HParams.from_dict(meta["hparams"]),
                      f"models/{e.name}/metadata.json")

    question = [e for e in entries if tuple(e.metadata["token_config"].get("pos_tags") or ()) == QUESTION_POS
                and e.metadata["hparams"].get("output", "sigmoid") == "sigmoid"]
    question.sort(key=lambda e: e.name != default)
    if question:
        out["question"] = config_of(question[0], "question")
    else:
        out["question"] = Config("question", *FALLBACK_QUESTION, "bench fallback (no shipped model with NN,NNS,VBG)")

    def p1(e):
        return (e.metadata.get("metrics") or {}).get("heldout", {}).get("p_at_1", -1)

    sigmoid = [e for e in entries if e.metadata["hparams"].get("output", "sigmoid") == "sigmoid"]
    scored = [e for e in sigmoid if p1(e) >= 0]
    if scored:
        out["best"] = config_of(max(scored, key=p1), "best")
    elif default and any(e.name == default for e in sigmoid):
        out["best"] = config_of(next(e for e in sigmoid if e.name == default), "best")
    else:
        out["best"] = Config("best", *FALLBACK_BEST, "bench fallback (no shipped model with held-out metrics)")
    q = out["question"]
    out["softmax"] = Config("softmax", q.config, dataclasses.replace(q.hp, output="softmax"),
                            f"{q.source}, with output=softmax")
    return out


# --- fastText ------------------------------------------------------------------------------------
class FastTextScorer:
    """fastText supervised, trained as in its tutorial, scored like every other peer.

    Like `TfidfBaseline`, 10 % of the training rows pick the micro-F1 threshold (fastText itself
    has no notion of one); `validation=0` trains on everything.
    """

    def __init__(self, seed: int = 0, tries: int = 5, validation: float = 0.1, **params):
        self.seed, self.tries, self.validation = seed, tries, validation
        self.params = {**FASTTEXT, **params}
        self.seed_used: int | None = None
        self.nan_retries = 0

    def fit(self, token_lists, tag_lists) -> "FastTextScorer":
        import fasttext

        token_lists, tag_lists = list(token_lists), list(tag_lists)
        rng = np.random.default_rng(42)
        val = rng.random(len(token_lists)) < self.validation
        if not val.any() or val.all():
            val = np.zeros(len(token_lists), bool)
        with tempfile.TemporaryDirectory(prefix="bench-fasttext-") as d:
            path = Path(d) / "train.txt"
            with open(path, "w", encoding="utf-8") as f:
                for tokens, tags, is_val in zip(token_lists, tag_lists, val, strict=False):
                    if tokens and tags and not is_val:
                        f.write(" ".join(f"__label__{t}" for t in tags) + " " + " ".join(tokens) + "\n")
            error = None
            for attempt in range(self.tries):
                seed = self.seed + attempt
                try:
                    self.model = fasttext.train_supervised(input=str(path), seed=seed, verbose=0, **self.params)
                    self.seed_used = seed
                    break
                except (RuntimeError, ValueError) as e:  # "Encountered NaN." -> another seed
                    if "nan" not in str(e).lower():
                        raise
                    self.nan_retries += 1
                    error = e
            else:
                raise RuntimeError(f"fastText hit NaN with {self.tries} seeds: {error}")
        self.tags = sorted(label[len("__label__"):] for label in self.model.get_labels())
        self._col = {t: i for i, t in enumerate(self.tags)}
        self.threshold = 0.5
        if val.any():
            idx = np.flatnonzero(val)
            self.threshold = metrics.best_threshold([tag_lists[i] for i in idx], self.tags,
                                                    self.predict_proba([token_lists[i] for i in idx]))
        return self

    def predict_proba(self, token_lists) -> np.ndarray:
        out = np.zeros((len(token_lists), len(self.tags)), dtype=np.float32)
        texts = [" ".join(t) for t in token_lists]
        labels, probs = self.model.predict(texts, k=-1, threshold=0.0)
        for i, (row_labels, row_probs) in enumerate(zip(labels, probs, strict=False)):
            for label, p in zip(row_labels, row_probs, strict=False):
                out[i, self._col[label[len("__label__"):]]] = p
        return out


