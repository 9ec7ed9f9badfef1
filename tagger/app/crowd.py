"""What the crowd's answers say: people shown tokens only, people shown whole titles, and the model.

The reviewer's question was whether the nouns-and-gerunds filter leaves enough for anyone to tag a
question. Each stored answer carries its mode, the person's F1 and the comparison model's F1 on the
same question; `summary` turns them into one row per group with the mean F1, a 95 % confidence
interval and the number of answers. No Streamlit here.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from tagger.app import quiz

PEOPLE = {quiz.MODES[0]: "People, tokens only", quiz.MODES[1]: "People, whole title"}
SUMMARY_COLUMNS = ["group", "answers", "mean_f1", "ci_low", "ci_high"]


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student's t interval for the mean, clipped to F1's range [0, 1].

    F1 per question is bounded and lumpy (often exactly 0 or 1), so with few answers the interval is
    wide, which is the point: it says how much a handful of answers can tell. One answer has no
    interval (NaN); none has no mean either.
    """
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = sum(values) / n
    if n == 1:
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def model_label(answers: pd.DataFrame) -> str:
    names = sorted(set(answers.model)) if len(answers) else []
    return f"Model ({', '.join(names)})" if names else "Model"


def summary(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per group: people per mode (their F1), then the model (its F1 on the same questions)."""
    rows = []
    for mode, label in PEOPLE.items():
        f1 = answers.f1[answers["mode"] == mode] if len(answers) else []
        rows.append((label, len(f1), *mean_ci(f1)))
    rows.append((model_label(answers), len(answers), *mean_ci(answers.model_f1 if len(answers) else [])))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def count(n: int, what: str = "answer") -> str:
    """'1 answer', '12 answers'."""
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def describe(row) -> str:
    """One line of the summary in words, e.g. 'People, tokens only: mean F1 0.42 (95 % CI 0.30 to 0.55),
    12 answers'."""
    n = int(row.answers)
    if n == 0:
        return f"{row.group}: no answers yet"
    if math.isnan(row.ci_low):
        return f"{row.group}: mean F1 {row.mean_f1:.2f} (one answer: no interval yet), {count(n)}"
    return f"{row.group}: mean F1 {row.mean_f1:.2f} (95 % CI {row.ci_low:.2f} to {row.ci_high:.2f}), {count(n)}"


def totals(answers: pd.DataFrame) -> str:
    sessions = answers.session.nunique() if len(answers) else 0
    return f"{count(len(answers))} stored from {count(sessions, 'session')}."


def csv_bytes(answers: pd.DataFrame) -> bytes:
    """The answers as CSV (the guess as space-separated tags, like the data's tags column)."""
    out = answers.assign(guess=[" ".join(g) for g in answers.guess]) if len(answers) else answers
    return out.to_csv(index=False).encode("utf-8")
