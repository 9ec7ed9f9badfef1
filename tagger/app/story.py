"""The Story page's numbers: from the original network stuck at 6 % to the fix, computed on the data.

`compute` runs every step once on a set of questions; `python -m tagger story` calls it and writes
the small JSON the repository ships (`docs/story.json`, atomically). The page reads it back with
`load` and only draws; its "replay it live" button re-runs step 1 through `tagger.app.jobs`. Every
number comes from running the project's code on the data, except `ORIGINAL_ACCURACY`: that is what
the question reported. No Streamlit here.

Steps 1 and 2 use the question's own split (`train_test_split(test_size=0.33, random_state=42)`);
steps 3 and 4 train every model on the project's fixed split and score it on the same held-out
questions, so they can stand side by side with the shipped models.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tagger.app import filter_stats, reference
from tagger.core import atomic, paths
from tagger.data.split import fingerprint, holdout_split
from tagger.model import replay, training
from tagger.model.network import HParams
from tagger.model.replay import ReplaySettings
from tagger.scoring import baselines, metrics
from tagger.scoring.labels import TagColumns
from tagger.store.registry import Registry
from tagger.text import cache, tokens as tok

FORMAT = "cooking-tagger-story/1"
ORIGINAL_ACCURACY = 0.06  # what the question reported: the one number not computed here
NOUNS = tok.TokenConfig()  # the question's filter: NN, NNS, VBG
ALL_WORDS = tok.TokenConfig(pos_tags=None)
# The question named neither an optimizer nor a number of epochs. Adam at Keras's default rate is the
# usual choice; the held-out accuracy has stopped moving by epoch 3. Plain SGD, Keras's other default,
# is replayed too: it shows how much the unstated choice changes the headline number.
REPLAY = ReplaySettings(epochs=5, optimizer="adam", learning_rate=0.001)
SLOW = ReplaySettings(epochs=5, optimizer="sgd", learning_rate=0.01)


class StoryUnavailable(RuntimeError):
    """The story's numbers can't be read; the message says how to make them."""


@dataclass
class StorySettings:
    replay: ReplaySettings = REPLAY
    slow: ReplaySettings | None = SLOW  # None: skip the other optimizer
    conv: HParams = field(default_factory=HParams)  # the shipped models' hyperparameters

    @classmethod
    def quick(cls) -> "StorySettings":
        """Small and fast, for a smoke run on a slice: the same steps, smaller networks."""
        return cls(ReplaySettings(epochs=2, optimizer="adam", learning_rate=0.005), None,
                   HParams(epochs=2, filters=32, embedding_dim=32, kernel_sizes=(1, 2)))


def story_path() -> Path:
    return paths.story_file()


def pct(x: float) -> str:
    """A share as the page prints it, e.g. 0.0712 -> '7.1 %'. The tests compare with this too."""
    return f"{x * 100:.1f} %"


def score(x: float) -> str:
    """A P@1 or R@5 as the page prints it, e.g. 0.5507 -> '0.551'."""
    return f"{x:.3f}"


# --- the measures ----------------------------------------------------------------------------------
def _r(x: float) -> float:
    return round(float(x), 4)


def ranking(true_tags, names: Sequence[str], probabilities: np.ndarray, seen: Sequence[bool]) -> dict:
    """P@1, P@5, R@5 of ranked outputs against true tags; a row that saw no words suggests nothing."""
    ranked = [r if s else [] for r, s in zip(metrics.rank_tags(names, probabilities, 5), seen, strict=True)]
    return {"p_at_1": _r(metrics.precision_at_k(true_tags, ranked, 1)),
            "p_at_5": _r(metrics.precision_at_k(true_tags, ranked, 5)),
            "r_at_5": _r(metrics.recall_at_k(true_tags, ranked, 5))}


def _scored(scorer, token_lists, true_tags) -> dict:
    result = baselines.evaluate_scorer(scorer, token_lists, true_tags)
    return {k: _r(result[k]) for k in ("p_at_1", "p_at_5", "r_at_5")}


def tag_split(tag_lists: Sequence[Sequence[str]]) -> dict:
    """What the question's CountVectorizer makes of the tag strings, beside the real tags."""
    vectorizer = replay.counter()
    y = vectorizer.fit_transform(replay.joined(tag_lists))
    words = vectorizer.build_analyzer()
    counts = Counter(t for tags in tag_lists for t in tags)
    pieces = {t: words(t) for t in counts}
    split = sorted((t for t, p in pieces.items() if p != [t]), key=lambda t: (-counts[t], t))
    per_row = np.diff(y.tocsr().indptr)
    return {"real_tags": len(counts), "target_columns": int(y.shape[1]),
            "tags_per_question": _r(np.mean([len(set(t)) for t in tag_lists])),
            "targets_per_question": _r(per_row.mean()),
            "tags_not_a_column": len(split), "questions_without_targets": int((per_row == 0).sum()),
            "examples": [{"tag": t, "columns": pieces[t], "questions": counts[t]} for t in split[:6]]}


def accuracy_check(run: replay.Replay, tag_lists: Sequence[Sequence[str]]) -> dict:
    """On the replay's held-out rows: what Keras's `accuracy` counts, and what a tagger would."""
    y = np.asarray(run.y_test.todense())
    top = run.test_scores.argmax(axis=1)
    rows = np.arange(len(top))
    words = np.asarray(run.target_words, dtype=object)
    truth = [set(tag_lists[i]) for i in run.test_rows]
    common, n_common = Counter(words[top]).most_common(1)[0] if len(top) else ("", 0)
    counts = Counter(t for tags in tag_lists for t in tags)
    analyzer = replay.counter().build_analyzer()
    pieces_of = sorted((t for t in counts if common in analyzer(t) and t != common), key=lambda t: (-counts[t], t))
    keras_accuracy = replay.categorical_accuracy(run.y_test, run.test_scores)
    top_is_target = float(np.mean(y[rows, top] > 0)) if len(top) else 0.0
    return {"keras_accuracy": _r(keras_accuracy), "top_is_a_target": _r(top_is_target),
            "counted_wrong": _r(top_is_target - keras_accuracy),
            "top_is_a_real_tag": _r(np.mean([w in t for w, t in zip(words[top], truth, strict=True)])),
            "most_common_top": {"output": str(common), "share": _r(n_common / max(len(top), 1)),
                                "is_a_tag": common in counts, "piece_of": pieces_of[:3],
                                "piece_of_tags": len(pieces_of)}}


def softmax_example(questions: pd.DataFrame, soft_names, soft, sig_names, sig, seen) -> dict | None:
    """Held-out questions with three tags, each one output of both networks: how probability is shared.

    The example is the question whose three tags the fixed (sigmoid) network was surest of, all three
    together: where the words carry the evidence for every tag, what can a softmax give each of them?
    The means over all such questions go with it, so one example can't tell the story alone. None when
    no such question is held out.
    """
    si, gi = {w: i for i, w in enumerate(soft_names)}, {t: i for i, t in enumerate(sig_names)}
    rows = [i for i, tags in enumerate(questions.tags)
            if seen[i] and len(set(tags)) == 3 and all(t in si and t in gi for t in tags)]
    if not rows:
        return None
    s = np.array([[soft[i, si[t]] for t in questions.tags.iloc[i]] for i in rows])
    g = np.array([[sig[i, gi[t]] for t in questions.tags.iloc[i]] for i in rows])
    best = int(np.argmax(g.sum(axis=1)))
    q = questions.iloc[rows[best]]
    return {"id": int(q.id), "title": str(q.title), "tags": list(q.tags),
            "softmax": [_r(p) for p in s[best]], "sigmoid": [_r(p) for p in g[best]],
            "questions": len(rows), "softmax_mean": _r(s.mean()), "sigmoid_mean": _r(g.mean())}


# --- the steps -------------------------------------------------------------------------------------
def _replay_step(nouns, tags, settings: StorySettings, say) -> tuple[dict, replay.Replay]:
    say(f"step 1: the original network on {len(tags):,} questions ({settings.replay.optimizer}, "
        f"{settings.replay.epochs} epochs)")
    start = time.monotonic()
    run = replay.replay(nouns, tags, settings.replay)
    step = {"settings": settings.replay.to_dict(), "original_accuracy": ORIGINAL_ACCURACY,
            "train_rows": len(run.train_rows), "test_rows": len(run.test_rows),
            "input_columns": len(run.input_words), "target_columns": len(run.target_words),
            "epochs": [{k: _r(v) if k != "epoch" else v for k, v in row.items()} for row in run.history],
            "accuracy": _r(run.final.get("val_accuracy", 0.0)),
            "train_accuracy": _r(run.final.get("accuracy", 0.0)),
            "seconds": round(time.monotonic() - start, 1)}
    if settings.slow is not None:
        say(f"step 1: the same with {settings.slow.optimizer}")
        slow = replay.replay(nouns, tags, settings.slow)
        step["other_optimizer"] = {"settings": settings.slow.to_dict(),
                                   "accuracy": _r(slow.final.get("val_accuracy", 0.0))}
    return step, run


def _dense_networks(nouns_train, tags_train, nouns_test, test: pd.DataFrame, min_tag_count: int,
                    settings: ReplaySettings, say) -> tuple[list[dict], dict, dict | None]:
    """The question's network on the project's split, as built (softmax over word pieces) and fixed."""
    inputs = replay.counter().fit(replay.joined(nouns_train))
    x_train, x_test = (inputs.transform(replay.joined(t)) for t in (nouns_train, nouns_test))
    seen = np.diff(x_test.tocsr().indptr) > 0
    truth = [list(t) for t in test.tags]

    say("step 3: the original network, scored as a tagger")
    targets = replay.counter().fit(replay.joined(tags_train))
    soft_net = replay.build(x_train.shape[1], len(targets.vocabulary_), "softmax", settings)
    replay.train(soft_net, x_train, targets.transform(replay.joined(tags_train)), settings)
    soft, soft_names = replay.scores(soft_net, x_test), list(targets.get_feature_names_out())

    say("step 3: the same network, sigmoid + binary cross-entropy, one output per real tag")
    columns = TagColumns.learn(tags_train, min_tag_count)
    sig_net = replay.build(x_train.shape[1], len(columns), "sigmoid", settings)
    replay.train(sig_net, x_train, columns.multi_hot(tags_train), settings)
    sig = replay.scores(sig_net, x_test)

    models = [
        {"key": "original", "name": "The original network (softmax over word pieces)",
         **ranking(truth, soft_names, soft, seen)},
        {"key": "fixed", "name": "The same network, fixed (sigmoid + binary cross-entropy, real tags)",
         **ranking(truth, columns.tags, sig, seen)},
    ]
    keras_view = {"keras_accuracy": _r(replay.categorical_accuracy(columns.multi_hot(truth), sig)),
                  "p_at_1": models[1]["p_at_1"]}
    return models, keras_view, softmax_example(test, soft_names, soft, columns.tags, sig, seen)


def compute(questions: pd.DataFrame, registry: Registry | None = None, settings: StorySettings | None = None,
            source: str = "", log: Callable[[str], None] | None = None) -> dict:
    """Every number of the story, on these questions (id, title, tags)."""
    settings = settings or StorySettings()
    registry = registry or Registry()
    say = log or (lambda message: None)
    started = time.monotonic()
    tags = [list(t) for t in questions.tags]
    say(f"tagging {len(tags):,} titles (cached after the first time)")
    tagged = cache.tag_titles(questions.title.tolist())
    nouns = [tok.filter_tagged(t, NOUNS) for t in tagged]
    words = [tok.filter_tagged(t, ALL_WORDS) for t in tagged]

    step1, run = _replay_step(nouns, tags, settings, say)
    train, test = holdout_split(questions)
    n = len(train)
    truth = [list(t) for t in test.tags]
    models, keras_view, example = _dense_networks(nouns[:n], tags[:n], nouns[n:], test, settings.conv.min_tag_count,
                                                  settings.replay, say)

    say("step 3: the Conv1D on nouns and gerunds")
    conv = training.train_tagger(nouns[:n], tags[:n], NOUNS, settings.conv)
    models.append({"key": "conv1d", "name": "Conv1D, nouns + gerunds", **_scored(conv, nouns[n:], truth)})
    best = reference.best_shipped(registry)
    if best is not None:
        say(f"step 3: the best shipped model, {best.name}")
        shipped = reference.load(best)
        kept = [tok.filter_tagged(t, shipped.config) for t in tagged[n:]]
        twin = " (its split-trained twin)" if shipped.is_twin else ""
        models.append({"key": "shipped", "name": f"Best shipped model: {best.name}{twin} ({shipped.config.label})",
                       "model": best.name, "twin": shipped.is_twin, **_scored(shipped, kept, truth)})
    say("step 3: TF-IDF + logistic regression on nouns and gerunds")
    tfidf = baselines.TfidfBaseline(min_tag_count=settings.conv.min_tag_count).fit(nouns[:n], tags[:n])
    models.append({"key": "tfidf", "name": "TF-IDF + logistic regression, nouns + gerunds",
                   **_scored(tfidf, nouns[n:], truth)})

    say("step 4: the Conv1D on all words")
    conv_all = training.train_tagger(words[:n], tags[:n], ALL_WORDS, settings.conv)
    filters = []
    for config, model, kept in ((NOUNS, conv, nouns), (ALL_WORDS, conv_all, words)):
        stats = filter_stats.stats(tagged, tags, config)
        filters.append({"filter": config.label, **_scored(model, kept[n:], truth), "empty_share": _r(stats.empty_share),
                        "tag_words_dropped": _r(1 - stats.tag_word_share), "vocabulary": stats.vocabulary})
    return {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "data": {"source": source, "rows": len(questions), "fingerprint": fingerprint(questions)},
        "versions": training.library_versions(),
        "replay": step1,
        "wrong": {"tag_split": tag_split(tags), "accuracy": {**accuracy_check(run, tags), "fixed": keras_view},
                  "softmax": example},
        "fix": {"train_rows": n, "test_rows": len(test), "tokens": NOUNS.label, "models": models,
                "dense_settings": settings.replay.to_dict(), "conv_hparams": settings.conv.to_dict()},
        "filter": {"model": "Conv1D", "rows": filters},
        "seconds": round(time.monotonic() - started, 1),
    }


# --- the file ------------------------------------------------------------------------------------
REQUIRED = ("replay", "wrong", "fix", "filter", "data")


def write(story: dict, path: Path | None = None) -> Path:
    path = Path(path or story_path())
    atomic.write_json(path, story)
    return path


def load(path: Path | None = None) -> dict:
    """The stored story, checked; StoryUnavailable says how to make it when it is missing or damaged."""
    path = Path(path or story_path())
    fix = "run `python -m tagger story` to compute it"
    try:
        story = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoryUnavailable(f"The story's numbers ({path.name}) are missing: {fix}.") from None
    except (OSError, ValueError) as e:
        raise StoryUnavailable(f"The story's numbers ({path.name}) can't be read ({e.__class__.__name__}): "
                               f"{fix}.") from None
    if not isinstance(story, dict) or story.get("format") != FORMAT or any(k not in story for k in REQUIRED):
        raise StoryUnavailable(f"{path.name} is not a story of format {FORMAT}: {fix}.")
    return story


def model(story: dict, key: str) -> dict | None:
    """One model's row of step 3 by its key (original, fixed, conv1d, shipped, tfidf)."""
    return next((m for m in story["fix"]["models"] if m["key"] == key), None)


# --- for the page ----------------------------------------------------------------------------------
ACCURACY_CURVES = {"accuracy": "its training rows", "val_accuracy": "the held-out third"}
MEASURES = {"p_at_1": "P@1", "r_at_5": "R@5"}


def epochs_frame(history: Sequence[dict]) -> pd.DataFrame:
    """Keras's accuracy per epoch, long form: epoch, rows (training / held-out), accuracy."""
    frame = pd.DataFrame(list(history))
    if frame.empty:
        return pd.DataFrame(columns=["epoch", "rows", "accuracy"])
    present = [c for c in ACCURACY_CURVES if c in frame]
    long = frame.melt("epoch", present, var_name="rows", value_name="value")
    long["rows"] = long["rows"].map(ACCURACY_CURVES)
    return long.rename(columns={"value": "accuracy"})


def models_frame(story: dict) -> pd.DataFrame:
    """Step 3's models, long form: model, measure (P@1, R@5), value; in the story's order."""
    rows = [{"model": m["name"], "order": i, "measure": label, "value": m[key]}
            for i, m in enumerate(story["fix"]["models"]) for key, label in MEASURES.items()]
    return pd.DataFrame(rows)


def best_model(story: dict) -> dict:
    return max(story["fix"]["models"], key=lambda m: (m["p_at_1"], m["r_at_5"]))


def filter_row(story: dict, label: str) -> dict | None:
    return next((r for r in story["filter"]["rows"] if r["filter"] == label), None)
