"""The sense-check quiz: can a person tag a question from the question's filtered tokens, as well as a model?

The reviewer's experiment, whatever model the visitor has picked: a round shows one of the project's
held-out questions either as the tokens the question's filter keeps (nouns and gerunds: NN, NNS,
VBG) or as its whole title, chosen at random per question unless the person pins one. The guess and
the comparison model's tags (`reference_model`: the shipped model that sees exactly those tokens) are
scored against the true tags with the same per-question F1. Each answer is stored with its mode
(`save`, in `tagger.store.answers`), and scores are kept per mode in the session. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tagger.app import reference
from tagger.data.split import holdout_split
from tagger.store.answers import Answer, AnswerStore, RateLimited, StoreUnavailable
from tagger.store.registry import Registry
from tagger.text import tokens as tok

MODES = ("Tokens only", "Whole title")
RANDOM = "Mixed at random"
CHOICES = (RANDOM, *MODES)  # what a person may pick: random per question (the fair default), or one mode
FILTER = tok.TokenConfig()  # the question's filter: what "tokens only" shows, whatever model is active


def reference_model(registry: Registry) -> reference.ModelRef | None:
    """The model people are compared with: the one that sees exactly `FILTER`'s tokens (None if absent)."""
    return reference.question_filter_model(registry)


def model_label(name: str, tagger) -> str:
    """How the comparison model is named on the page and in stored answers: a split-trained twin says so."""
    return f"{name}'s split-trained twin" if getattr(tagger, "is_twin", False) else name


def pool(table: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """The rows of a per-question table (in file order) that the project holds out: the only ones asked."""
    _, held_out = holdout_split(questions)
    return table.iloc[len(table) - len(held_out):]


def mode_for(choice: str, rng: np.random.Generator) -> str:
    """The mode of the next question: the pinned one, or a fair coin between the two."""
    if choice in MODES:
        return choice
    if choice != RANDOM:
        raise ValueError(f"unknown quiz mode {choice!r}: use one of {CHOICES}")
    return MODES[int(rng.integers(len(MODES)))]


def fits(choice: str, mode: str) -> bool:
    """Whether a question shown in `mode` may stay on screen under the person's choice."""
    return choice == RANDOM or choice == mode


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
    question_id: int
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


STORED = "Your answer is stored with everyone else's, anonymously."


def save(store: AnswerStore, rnd: Round, session: str, model: str) -> tuple[bool, str]:
    """Store an answered round; (stored?, what to tell the person). A full hour or an unusable
    database costs only the storing: the round is already scored."""
    if not rnd.answered:
        raise ValueError("answer the question before storing it")
    answer = Answer(rnd.question_id, rnd.mode, rnd.guess, f1(rnd.guess, rnd.true_tags), model,
                    f1(rnd.model_tags, rnd.true_tags), session)
    try:
        store.add(answer)
    except RateLimited as e:
        return False, str(e)
    except StoreUnavailable as e:
        return False, f"{e} Your answer was scored but not stored; the quiz goes on."
    return True, STORED
