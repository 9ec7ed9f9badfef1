"""A data slice for retraining: which questions and which tags a new model learns from.

`SliceSpec` is a plain, JSON-able description (saved in the model's metadata, so a model says what it
was trained on); `apply` turns it into rows, `summarize` counts them, and `problems` lists the reasons
a slice is too small to train on, in words a person can act on. No Streamlit here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from tagger.app.jobs import DEMO_HPARAMS, MAX_ROWS  # the demo's ceiling lives with the other run limits
from tagger.data.split import holdout_split
from tagger.scoring import baselines
from tagger.text import cache, tokens as tok

# The smallest slice worth training: train_tagger itself refuses fewer than 20 usable rows or fewer
# than 2 tags, but a model from 20 rows would teach nobody anything, so ask for more.
MIN_ROWS = 100
MIN_TEST_ROWS = 20
MIN_TAGS = 2


@dataclass
class SliceSpec:
    include_tags: list[str] = field(default_factory=list)  # keep questions with any of these tags
    exclude_tags: list[str] = field(default_factory=list)  # drop questions with any of these tags
    min_tag_count: int = 1  # keep only tags that at least this many questions of the slice carry
    top_n_tags: int = 0  # keep only the N most frequent tags (0: no limit)
    text_contains: str = ""  # case-insensitive substring of the title
    id_min: int | None = None
    id_max: int | None = None
    sample_size: int = 0  # 0: every matching question
    seed: int = 42

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SliceSpec":
        return cls(**{k: v for k, v in (d or {}).items() if k in cls.__dataclass_fields__})

    def describe(self) -> str:
        """One line for tables: only the parts that narrow the data."""
        parts = []
        if self.include_tags:
            parts.append("tags " + "|".join(self.include_tags))
        if self.exclude_tags:
            parts.append("not " + "|".join(self.exclude_tags))
        if self.top_n_tags:
            parts.append(f"top {self.top_n_tags} tags")
        if self.min_tag_count > 1:
            parts.append(f"tags with ≥{self.min_tag_count} questions")
        if self.text_contains.strip():
            parts.append(f"title contains {self.text_contains.strip()!r}")
        if self.id_min is not None or self.id_max is not None:
            parts.append(f"ids {self.id_min if self.id_min is not None else ''}–"
                         f"{self.id_max if self.id_max is not None else ''}")
        if self.sample_size:
            parts.append(f"sample {self.sample_size} (seed {self.seed})")
        return ", ".join(parts) or "all questions"


def apply(df: pd.DataFrame, spec: SliceSpec) -> pd.DataFrame:
    """The slice's questions in file order, each with only the slice's tags (rows left with none go)."""
    keep = pd.Series(True, index=df.index)
    if spec.include_tags:
        wanted = set(spec.include_tags)
        keep &= df.tags.map(lambda ts: bool(wanted.intersection(ts)))
    if spec.exclude_tags:
        unwanted = set(spec.exclude_tags)
        keep &= ~df.tags.map(lambda ts: bool(unwanted.intersection(ts)))
    text = (spec.text_contains or "").strip()
    if text:
        keep &= df.title.str.contains(text, case=False, regex=False, na=False)
    if spec.id_min is not None:
        keep &= df.id >= int(spec.id_min)
    if spec.id_max is not None:
        keep &= df.id <= int(spec.id_max)
    out = df[keep]

    # Tag limits apply to the tag vocabulary, not the rows: a question keeps its other tags.
    counts = Counter(t for ts in out.tags for t in ts)
    allowed = {t for t, c in counts.items() if c >= max(1, int(spec.min_tag_count))}
    if spec.top_n_tags:
        ranked = sorted(allowed, key=lambda t: (-counts[t], t))
        allowed = set(ranked[: int(spec.top_n_tags)])
    if len(allowed) < len(counts):
        tags = out.tags.map(lambda ts: [t for t in ts if t in allowed])
        out = out.assign(tags=tags)
        out = out[out.tags.map(bool)]

    if spec.sample_size and spec.sample_size < len(out):
        # Sample, then restore file order: the held-out part is the slice's tail, as everywhere else.
        out = out.sample(n=int(spec.sample_size), random_state=int(spec.seed)).sort_index()
    return out.reset_index(drop=True)


@dataclass
class SliceSummary:
    rows: int
    tags: int
    train_rows: int
    test_rows: int
    trainable_tags: int  # tags with at least 2 questions in the training part (what the model learns)


def split(sliced: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out parts: the project's fixed rule (`holdout_split`)."""
    return holdout_split(sliced)


def summarize(sliced: pd.DataFrame, min_tag_count: int = 2) -> SliceSummary:
    n = len(sliced)
    tags = Counter(t for ts in sliced.tags for t in ts)
    if n < 2:
        return SliceSummary(n, len(tags), n, 0, 0)
    train, test = split(sliced)
    train_counts = Counter(t for ts in train.tags for t in ts)
    trainable = sum(1 for c in train_counts.values() if c >= min_tag_count)
    return SliceSummary(n, len(tags), len(train), len(test), trainable)


def problems(summary: SliceSummary, max_rows: int = MAX_ROWS) -> list[str]:
    """Why this slice can't be trained on; empty when it can."""
    out = []
    if summary.rows == 0:
        return ["No question matches this slice: loosen the filters."]
    if summary.rows < MIN_ROWS:
        out.append(f"Only {summary.rows:,} questions match; a model needs at least {MIN_ROWS:,}. "
                   "Loosen the filters or raise the sample size.")
    elif summary.test_rows < MIN_TEST_ROWS:
        out.append(f"Only {summary.test_rows} questions would be held out for scoring; "
                   f"at least {MIN_TEST_ROWS} are needed.")
    if summary.trainable_tags < MIN_TAGS:
        out.append(f"Only {summary.trainable_tags} tag(s) occur in at least 2 training questions; "
                   f"a tagger needs at least {MIN_TAGS} tags to choose between.")
    if summary.rows > max_rows:
        out.append(f"{summary.rows:,} questions is over this demo's limit of {max_rows:,}: "
                   "set a sample size or narrow the slice.")
    return out


def overlap_with_project_holdout(sliced: pd.DataFrame, full: pd.DataFrame) -> tuple[int, int]:
    """(held-out rows of the slice that are also in the project's held-out set, held-out rows).

    The shipped models never saw the project's held-out questions, so this says how fair the
    comparison with them is on the slice's held-out rows.
    """
    if len(sliced) < 2 or len(full) < 2:
        return 0, 0
    _, test = split(sliced)
    _, project_test = holdout_split(full)
    return int(test.id.isin(set(project_test.id)).sum()), len(test)


def page_defaults(questions: pd.DataFrame) -> list[tuple[tok.TokenConfig, pd.DataFrame, pd.DataFrame]]:
    """What the Retrain page trains on when a visitor changes nothing but the words the model sees: each
    of its token filters, with the untouched slice's training and held-out parts."""
    train, test = split(apply(questions, SliceSpec()))
    return [(tok.TokenConfig(pos_tags=pos), train, test) for pos in tok.FILTERS.values()]


def default_baseline_rows(questions: pd.DataFrame) -> list[tuple[tok.TokenConfig, tuple]]:
    """For each of the page's default comparisons, its filter and the baseline's rows as
    `baselines.tfidf_scores` takes them: the lists `training.run_experiment` fits and scores it on."""
    return [(config, (cache.tokens_many(train.title.tolist(), config), train.tags.tolist(),
                      cache.tokens_many(test.title.tolist(), config), test.tags.tolist(), DEMO_HPARAMS.min_tag_count))
            for config, train, test in page_defaults(questions)]


def ship_default_baselines(questions: pd.DataFrame, folder: Path | None = None) -> list[Path]:
    """Fit the TF-IDF baseline on each of the page's default comparisons and write its scores where the
    repository ships them, so that a fresh server's first retrain only trains the Conv1D."""
    return [baselines.ship_tfidf_scores(*rows, folder=folder) for _, rows in default_baseline_rows(questions)]
