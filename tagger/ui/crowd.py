"""The crowd's sense-check, as the Tokens and Story pages both show it: the answers database, this
session's anonymous key, and the aggregate (chart, one line per group, CSV download)."""

from __future__ import annotations

import secrets

import altair as alt
import pandas as pd
import streamlit as st

from tagger.app import crowd
from tagger.store.answers import AnswerStore, StoreUnavailable
from tagger.ui.safe import plain

KEY = "crowd_session_key"


def store() -> AnswerStore:
    return AnswerStore()  # reads TAGGER_STATE_DIR each time, so tests can point it elsewhere


def session_key() -> str:
    """A random key for this browser session: it groups a session's answers and nothing else."""
    return st.session_state.setdefault(KEY, secrets.token_hex(8))


def chart(summary: pd.DataFrame) -> alt.Chart:
    """Mean F1 per group as a dot, its 95 % confidence interval as a bar, the number of answers beside it."""
    shown = summary[summary.answers > 0].assign(label=lambda d: [crowd.count(n) for n in d.answers])
    y = alt.Y("group:N", sort=None, title=None, axis=alt.Axis(labelLimit=300))
    x_scale = alt.Scale(domain=[0, 1])
    interval = alt.Chart(shown).mark_rule(strokeWidth=3, color="#9bbbe0").encode(
        y=y, x=alt.X("ci_low:Q", scale=x_scale, title="mean F1 per question (95 % confidence interval)"),
        x2="ci_high:Q")
    dots = alt.Chart(shown).mark_circle(size=120, color="#1c83e1").encode(
        y=y, x=alt.X("mean_f1:Q", scale=x_scale),
        tooltip=["group", alt.Tooltip("mean_f1:Q", format=".2f", title="mean F1"),
                 alt.Tooltip("ci_low:Q", format=".2f", title="95 % CI from"),
                 alt.Tooltip("ci_high:Q", format=".2f", title="95 % CI to"), "answers"])
    labels = dots.mark_text(align="left", dx=10, dy=-10, color="#666").encode(text="label:N")
    return (interval + dots + labels).properties(height=alt.Step(48))


def draw_aggregate(key: str) -> None:
    """Everyone's answers so far; `key` keeps the download button's widget key unique per page."""
    try:
        answers = store().answers()
    except StoreUnavailable as e:
        st.warning(plain(f"{e} The aggregate can't be shown until then."))
        return
    if answers.empty:
        st.info("No answers are stored yet. Take the sense-check quiz on the Tokens page to add the first.")
        return
    summary = crowd.summary(answers)
    st.altair_chart(chart(summary), width="stretch")
    st.markdown("\n".join(f"- {plain(crowd.describe(row))}" for row in summary.itertuples()))
    st.caption(plain(f"{crowd.totals(answers)} F1 per question: 1 is exactly the true tags, 0 is no true tag. "
                     "The model's row is its F1 on the same questions the people answered."))
    st.download_button("Download the answers (CSV)", crowd.csv_bytes(answers), "sense-check-answers.csv",
                       "text/csv", key=f"{key}_answers_csv",
                       help="One row per answer: time, question id, mode, guess, F1, model, model's F1 and an "
                            "anonymous session key. No personal data.")
