"""Streamlit glue the pages share: cached loaders, this session's model, the sidebar, safe HTML.

Models are `st.cache_resource` (one TensorFlow model per server, shared by sessions), keyed by path and
file time so a re-saved model is never served stale. Questions, tagged titles and per-model tables are
`st.cache_data`. Everything a user typed or uploaded that ends up in HTML goes through `escape`.
"""

from __future__ import annotations

import html
import logging
import re
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from tagger import browse, data, filter_stats, model_report, tokens as tok
from tagger.predictor import ModelError
from tagger.registry import Registry, RegistryError

log = logging.getLogger(__name__)

MODEL_KEY = "model_name"  # this session's model; the sidebar and the Models page set it
_SELECT_KEY = "sidebar_model"


class Unavailable(RuntimeError):
    """Something a page needs is missing; the message says what and how to fix it."""


def escape(text) -> str:
    """Text for st.html: every character shown as itself, never markup."""
    return html.escape(str(text), quote=True)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")
# GitHub-flavoured Markdown turns bare URLs and e-mail addresses into links even when escaped; an
# invisible word joiner inside "http:", "www." and after "@" stops it and reads the same.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www|mailto)(?=\\?[:.])|(@)")
_WORD_JOINER = "\u2060"


def plain(text) -> str:
    """Text for Streamlit's Markdown (st.error, st.caption, ...): every Markdown character backslash-escaped
    and bare URLs defused, so a name, a path or a typed value quoted in a message can't become a link, an
    image or LaTeX."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _AUTOLINK.sub(lambda m: m.group(0) + _WORD_JOINER, escaped)


# --- questions --------------------------------------------------------------------------------
def _data_file() -> Path:
    path = data.default_data_path()
    if path is None or not Path(path).is_file():
        raise Unavailable("The question data is not available: set TAGGER_DATA to the cooking questions CSV "
                          "(e.g. ../shared/data/cooking.csv) and restart the app.")
    return Path(path)


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns


@st.cache_data(show_spinner="Loading the questions…", max_entries=2)
def _load_questions(path: str, stamp: int) -> pd.DataFrame:
    return data.load_questions(path)[["id", "title", "tags"]]


def questions() -> pd.DataFrame:
    """All questions (id, title, tags) of the data file; raises Unavailable with a fix."""
    path = _data_file()
    try:
        return _load_questions(str(path), _stamp(path))
    except data.DataError as e:
        raise Unavailable(f"The question data could not be read: {e}") from None


@st.cache_data(show_spinner="Tagging the words of every question (the first time takes a minute)…", max_entries=2)
def _tagged(path: str, stamp: int) -> list:
    return tok.tag_titles(_load_questions(path, stamp).title.tolist())


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


@st.cache_resource(show_spinner="Loading the model…", max_entries=6)
def _load_tagger(path: str, stamp: int):
    from tagger.predictor import Tagger

    _keep_keras_state()
    return Tagger.load(path)


def registry() -> Registry:
    return Registry()  # reads TAGGER_MODELS each time, so tests can point it elsewhere


def load_tagger(name: str):
    reg = registry()
    path = reg.path(name)
    try:
        return _load_tagger(str(path), _model_stamp(path))
    except (OSError, ModelError) as e:
        raise Unavailable(f"Model {name!r} can't be used: {e}") from None


def session_model_name() -> str | None:
    """This session's model: its own choice while that still exists, else the server's active model."""
    reg = registry()
    names = reg.names()
    name = st.session_state.get(MODEL_KEY)
    if name not in names:
        name = reg.active_name()
        st.session_state[MODEL_KEY] = name
    return name


def set_session_model(name: str | None) -> None:
    st.session_state[MODEL_KEY] = name


def session_tagger():
    """The Tagger this session uses; raises Unavailable when there is none."""
    name = session_model_name()
    if name is None:
        raise Unavailable(f"No trained model is available in {registry().root}. Train one on the Retrain page "
                          "or run `make models`.")
    return load_tagger(name)


def session_tagger_or_stop():
    try:
        return session_tagger()
    except (Unavailable, RegistryError) as e:
        st.error(plain(e))
        st.stop()


def questions_or_stop() -> pd.DataFrame:
    try:
        return questions()
    except Unavailable as e:
        st.error(plain(e))
        st.stop()


def flash(message: str, kind: str = "success") -> None:
    """A message for the next run (callbacks run before the page draws, so they can't show one).
    It is shown as plain text: pass it unescaped."""
    st.session_state["_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("_flash", (None, None))
    if message:
        getattr(st, kind, st.info)(plain(message))


# --- sidebar ----------------------------------------------------------------------------------
def _on_model_select() -> None:
    set_session_model(st.session_state.get(_SELECT_KEY))


def sidebar() -> None:
    """Model selector (this session) and a one-line summary of the model and the data."""
    reg = registry()
    with st.sidebar:
        names = reg.names()
        if not names:
            st.warning("No trained model yet. Train one on the Retrain page.")
        else:
            current = session_model_name()
            active = reg.active_name()
            # The Models page may have changed this session's model since the selector last drew.
            if st.session_state.get(_SELECT_KEY) != current:
                st.session_state[_SELECT_KEY] = current
            st.selectbox(
                "Model", names, key=_SELECT_KEY, on_change=_on_model_select,
                format_func=lambda n: f"{n} (server default)" if n == active else n,
                help="The model this browser session uses on every page. The Models page sets the server default.",
            )
            try:
                tagger = load_tagger(current)
                p1 = ((tagger.metadata.get("metrics") or {}).get("heldout") or {}).get("p_at_1")
                st.caption(f"Keeps {tagger.config.label} · {len(tagger.tags):,} tags"
                           + (f" · P@1 {p1:.2f}" if isinstance(p1, (int, float)) else ""))
            except Unavailable as e:
                st.error(plain(e))
        st.caption(data_summary())


@contextmanager
def friendly_errors():
    """Last line of defence: an unexpected error becomes a short message, never a stack trace."""
    try:
        yield
    except Unavailable as e:
        st.error(plain(e))
    except Exception as e:  # noqa: BLE001 - st.stop/st.rerun are BaseExceptions and pass through
        log.exception("page failed")
        st.error(f"Something went wrong on this page ({e.__class__.__name__}). Try again, or reload the app.")
