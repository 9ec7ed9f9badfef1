"""Data slices for retraining: filters, tag limits, sampling, and the reasons a slice is refused."""

import pandas as pd
import pytest

from tagger.app import slices
from tagger.app.slices import SliceSpec


@pytest.fixture
def df():
    rows = []
    for i in range(200):
        tags = ["baking", "bread"] if i % 2 == 0 else ["eggs"]
        if i % 10 == 0:
            tags = tags + ["rare-tag"] if i < 30 else tags + ["sourdough"]
        rows.append({"id": 1000 + i, "title": f"Question {i} about {'bread' if i % 2 == 0 else 'eggs'}",
                     "tags": tags})
    return pd.DataFrame(rows)


def test_default_spec_keeps_everything_in_file_order(df):
    out = slices.apply(df, SliceSpec())
    assert len(out) == len(df)
    assert out.id.tolist() == df.id.tolist()
    assert SliceSpec().describe() == "all questions"


def test_include_exclude_text_and_id_range(df):
    assert set(slices.apply(df, SliceSpec(include_tags=["eggs"])).id % 2) == {1}
    assert "eggs" not in set(slices.apply(df, SliceSpec(exclude_tags=["eggs"])).tags.explode())
    by_text = slices.apply(df, SliceSpec(text_contains="BREAD"))
    assert len(by_text) == 100 and by_text.title.str.contains("bread").all()
    ranged = slices.apply(df, SliceSpec(id_min=1010, id_max=1019))
    assert ranged.id.tolist() == list(range(1010, 1020))


def test_tag_limits_drop_tags_not_questions_unless_nothing_is_left(df):
    top2 = slices.apply(df, SliceSpec(top_n_tags=2))
    assert set(top2.tags.explode()) == {"baking", "bread"} or set(top2.tags.explode()) == {"baking", "eggs"}
    common = slices.apply(df, SliceSpec(min_tag_count=10))
    kept_tags = set(common.tags.explode())
    assert "rare-tag" not in kept_tags and "sourdough" in kept_tags
    assert len(common) == len(df)  # every question still has a common tag
    only_rare = slices.apply(df, SliceSpec(include_tags=["rare-tag"], min_tag_count=4))
    assert "rare-tag" not in set(only_rare.tags.explode())


def test_sample_is_reproducible_and_in_file_order(df):
    a = slices.apply(df, SliceSpec(sample_size=50, seed=7))
    b = slices.apply(df, SliceSpec(sample_size=50, seed=7))
    c = slices.apply(df, SliceSpec(sample_size=50, seed=8))
    assert len(a) == 50 and a.id.tolist() == b.id.tolist() and a.id.tolist() != c.id.tolist()
    assert a.id.is_monotonic_increasing  # the ids of the fixture rise with file order


def test_summary_and_problems(df):
    ok = slices.summarize(slices.apply(df, SliceSpec()))
    assert (ok.rows, ok.train_rows, ok.test_rows) == (200, 160, 40)
    assert ok.trainable_tags == 5
    assert slices.problems(ok) == []

    empty = slices.summarize(slices.apply(df, SliceSpec(text_contains="no such words")))
    assert slices.problems(empty) == ["No question matches this slice: loosen the filters."]

    small = slices.summarize(slices.apply(df, SliceSpec(id_max=1049)))
    assert any("at least 100" in p for p in slices.problems(small))

    one_tag = slices.summarize(slices.apply(df, SliceSpec(include_tags=["eggs"], top_n_tags=1)))
    assert any("at least 2 tags" in p for p in slices.problems(one_tag))

    assert any("over this demo's limit" in p for p in slices.problems(ok, max_rows=150))


def test_spec_round_trips_and_describes_itself():
    spec = SliceSpec(include_tags=["bread"], top_n_tags=20, text_contains="yeast", sample_size=500, seed=3)
    assert SliceSpec.from_dict(spec.to_dict()) == spec
    assert SliceSpec.from_dict({**spec.to_dict(), "unknown": 1}) == spec
    text = spec.describe()
    assert "bread" in text and "top 20 tags" in text and "'yeast'" in text and "sample 500" in text


def test_overlap_with_project_holdout(questions):
    full = slices.apply(questions, SliceSpec())
    shared, held = slices.overlap_with_project_holdout(full, questions)
    assert shared == held == 2404
    bread = slices.apply(questions, SliceSpec(include_tags=["bread"]))
    shared, held = slices.overlap_with_project_holdout(bread, questions)
    assert 0 < shared <= held == len(slices.split(bread)[1])
