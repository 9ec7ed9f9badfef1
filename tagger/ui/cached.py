"""What the pages load once and share: models (`st.cache_resource`, one TensorFlow model per server) and
questions, tagged titles, per-model tables and the story's numbers (`st.cache_data`).

Every cache is keyed by its file's path and modification time, so a re-saved model or data file is
never served stale.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from tagger.app import browse, filter_stats, model_report, story
from tagger.core import paths
from tagger.data import loaders
from tagger.model.predictor import ModelError
from tagger.store.registry import Registry
from tagger.text import cache, tokens as tok


class Unavailable(RuntimeError):
    """Something a page needs is missing; the message says what and how to fix it."""


# --- questions --------------------------------------------------------------------------------
def _data_file() -> Path:
    path = loaders.default_data_path()
    if path is None or not Path(path).is_file():
        raise Unavailable(f"The question data is not available: {path or paths.DATA_FILE} is missing. Set "
                          "TAGGER_DATA to a cooking questions CSV (id,title,tags; plain or gzip) and restart the app.")
    return Path(path)


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns


@st.cache_data(show_spinner="Loading the questions…", max_entries=2)
def _load_questions(path: str, stamp: int) -> pd.DataFrame:
    return loaders.load_questions(path)[["id", "title", "tags"]]


def questions() -> pd.DataFrame:
    """All questions (id, title, tags) of the data file; raises Unavailable with a fix."""
    path = _data_file()
    try:
        return _load_questions(str(path), _stamp(path))
    except loaders.DataError as e:
        raise Unavailable(f"The question data could not be read: {e}") from None


@st.cache_data(show_spinner="Tagging the words of every question (the first time takes a minute)…", max_entries=2)
def _tagged(path: str, stamp: int) -> list:
    return cache.tag_titles(_load_questions(path, stamp).title.tolist())


def tagged_titles() -> list:
    """Every question's title as POS-tagged words, in file order (disk- and memory-cached)."""
    path = _data_file()
    questions()  # surfaces a data error with its message first
    return _tagged(str(path), _stamp(path))


@st.cache_data(max_entries=8)
def _token_lists(path: str, stamp: int, config_json: dict) -> list[list[str]]:
    config = tok.TokenConfig.from_dict(config_json)
    return [tok.filter_tagged(t, config) for t in _tagged(path, stamp)]


def token_lists(config: tok.TokenConfig) -> list[list[str]]:
    """Every question's tokens under one filter config."""
    path = _data_file()
    tagged_titles()
    return _token_lists(str(path), _stamp(path), config.to_dict())


@st.cache_data(show_spinner="Scoring every question with the model…", max_entries=4)
def _question_table(model_path: str, model_stamp: int, data_path: str, data_stamp: int, _tagger) -> pd.DataFrame:
    qs = _load_questions(data_path, data_stamp)
    lists = _token_lists(data_path, data_stamp, _tagger.config.to_dict())
    probs = _tagger.predict_proba(lists)
    return browse.question_table(qs, lists, _tagger.tags, probs, _tagger.threshold)


def question_table(tagger) -> pd.DataFrame:
    """Every question with the model's tokens, tags and verdict (see `browse.question_table`)."""
    path = _data_file()
    token_lists(tagger.config)
    return _question_table(str(tagger.path), _model_stamp(Path(tagger.path)), str(path), _stamp(path), tagger)


@st.cache_data(show_spinner="Comparing token filters…", max_entries=4)
def _filter_comparison(path: str, stamp: int, config_json: dict) -> pd.DataFrame:
    tagged, truth = _tagged(path, stamp), _load_questions(path, stamp).tags.tolist()
    config = tok.TokenConfig.from_dict(config_json)
    table = filter_stats.compare(tagged, truth)
    table["model's filter"] = [pos == config.pos_tags for pos in tok.FILTERS.values()]
    if not table["model's filter"].any():
        row = asdict(filter_stats.stats(tagged, truth, config, f"this model ({config.label})"))
        table = pd.concat([table, pd.DataFrame([{**row, "model's filter": True}])], ignore_index=True)
    return table


def filter_comparison(config: tok.TokenConfig) -> pd.DataFrame:
    """`filter_stats.compare` over every question, with the row of `config` flagged (added if not named)."""
    path = _data_file()
    tagged_titles()
    return _filter_comparison(str(path), _stamp(path), config.to_dict())


@st.cache_data(show_spinner="Scoring the model tag by tag…", max_entries=4)
def _per_tag(model_path: str, model_stamp: int, data_path: str, data_stamp: int, _tagger):
    rows, description = model_report.evaluation_rows(_tagger.metadata, _load_questions(data_path, data_stamp))
    report, curve = model_report.per_tag(_tagger, rows)
    return report, curve, description


def per_tag(tagger) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(per-tag report, threshold curve, which questions) for a model on the rows it did not train on."""
    path = _data_file()
    questions()
    return _per_tag(str(tagger.path), _model_stamp(Path(tagger.path)), str(path), _stamp(path), tagger)


def data_summary() -> str:
    """One line about the data for the sidebar."""
    try:
        qs = questions()
    except Unavailable:
        return "No question data loaded (set TAGGER_DATA)."
    n_tags = qs.tags.explode().nunique()
    return f"{len(qs):,} cooking.stackexchange questions · {n_tags:,} tags · {_data_file().name}"


# --- models -----------------------------------------------------------------------------------
def _model_stamp(path: Path) -> int:
    return (path / "metadata.json").stat().st_mtime_ns


def _keep_keras_state() -> None:
    """Stop Streamlit from calling `keras.backend.clear_session()` after every script run.

    Streamlit does it to free models a script builds on each run; this app builds models only in the
    training thread and shares loaded ones across sessions, so the call only costs a full gc.collect()
    holding the GIL (~0.2 s a rerun, measured with bench/load_test.py) and resets Keras' global state
    under a model another session may be training.
    """
    import keras

    keras.backend.clear_session = lambda *args, **kwargs: None


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _load_tagger(path: str, stamp: int, twin: bool):
    from tagger.model.predictor import Tagger

    _keep_keras_state()
    return Tagger.load(path, twin=twin)


def registry() -> Registry:
    return Registry()  # reads TAGGER_MODELS each time, so tests can point it elsewhere


def load_tagger(name: str, twin: bool = False):
    """A registry model; with `twin`, the model that scores it against the project's true tags: its
    split-trained twin when it has one (a model trained on every row has seen all of them)."""
    reg = registry()
    path = reg.path(name)
    try:
        return _load_tagger(str(path), _model_stamp(path), twin)
    except (OSError, ModelError) as e:
        raise Unavailable(f"Model {name!r} can't be used: {e}") from None


def load_model(ref):
    """A model by its `reference.ModelRef`: its split-trained twin when the reference says so and it has one."""
    path = Path(ref.path)
    try:
        return _load_tagger(str(path), _model_stamp(path), ref.twin)
    except (OSError, ModelError) as e:
        raise Unavailable(f"Model {ref.name!r} can't be used: {e}") from None


# --- the story ------------------------------------------------------------------------------------
@st.cache_data(max_entries=2)
def _story(path: str, stamp: int) -> dict:
    return story.load(Path(path))


def story_numbers() -> dict:
    """The Story page's computed numbers (docs/story.json); raises Unavailable saying how to make them."""
    path = story.story_path()
    try:
        stamp = _stamp(path)
    except OSError:
        stamp = None  # missing or unreadable: `load` says so in words
    try:
        return story.load(path) if stamp is None else _story(str(path), stamp)
    except story.StoryUnavailable as e:
        raise Unavailable(str(e)) from None
