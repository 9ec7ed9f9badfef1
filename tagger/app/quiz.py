"""The sense-check quiz: can a person tag a question from the tokens the model sees, as well as the model?

A round shows one held-out question either as tokens only or as its full title; the person picks tags,
and the guess and the model's tags are both scored against the true tags with the same per-question F1.
Scores are kept per mode, so "tokens only" vs "full title" shows what the filter throws away. Plain
data classes, kept in the session; no Streamlit here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

MODES = ("Tokens only", "Full title")


def f1(guess: Iterable[str], truth: Iterable[str]) -> float:
    """Set F1 of one question's tags: 1 for an exact match, 0 when nothing overlaps (or nothing guessed)."""
    guess, truth = set(guess), set(truth)
    hits = len(guess & truth)
    if not hits:
        return 0.0
    precision, recall = hits / len(guess), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def pick(n_rows: int, rng: np.random.Generator, avoid: Iterable[int] = ()) -> int:
    """A random row index, avoiding rows already asked this session while any remain."""
    if n_rows < 1:
        raise ValueError("no questions to ask")
    avoid = set(avoid)
    if len(avoid) >= n_rows:
        avoid = set()
    while True:
        i = int(rng.integers(n_rows))
        if i not in avoid:
            return i


@dataclass
class Round:
    """One question as asked: what was shown, the truth, and what the model answered."""

    row: int
    mode: str
    title: str
    tokens: list[str]
    true_tags: list[str]
    model_tags: list[str]
    guess: list[str] | None = None  # None until answered

    @property
    def answered(self) -> bool:
        return self.guess is not None


@dataclass
class Tally:
    questions: int = 0
    person: float = 0.0  # sum of per-question F1
    model: float = 0.0

    @property
    def person_mean(self) -> float:
        return self.person / self.questions if self.questions else 0.0

    @property
    def model_mean(self) -> float:
        return self.model / self.questions if self.questions else 0.0


@dataclass
class Scoreboard:
    """Running scores per mode for one session."""

    tallies: dict[str, Tally] = field(default_factory=lambda: {m: Tally() for m in MODES})
    asked: list[int] = field(default_factory=list)

    def answer(self, rnd: Round, guess: Iterable[str]) -> tuple[float, float]:
        """Score a guess (once per round) and the model's tags on the same question; returns both F1s."""
        if rnd.answered:
            raise ValueError("this question was already answered")
        rnd.guess = sorted(set(guess))
        person, model = f1(rnd.guess, rnd.true_tags), f1(rnd.model_tags, rnd.true_tags)
        tally = self.tallies.setdefault(rnd.mode, Tally())
        tally.questions += 1
        tally.person += person
        tally.model += model
        self.asked.append(rnd.row)
        return person, model
