"""The story's numbers: `python -m tagger story` re-run on a small slice, checked against independent
recomputations; the shipped docs/story.json checked against the data it claims to describe."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import train_test_split

from tagger import cli
from tagger.app import filter_stats, story
from tagger.data.split import fingerprint, holdout_split
from tagger.model import replay
from tagger.text import cache

ROWS = 1500


@pytest.fixture(scope="module")
def sliced(tmp_path_factory, questions):
    """The CLI's story on the first ROWS questions (small networks), and those questions."""
    from tagger.store.registry import Registry

    out = tmp_path_factory.mktemp("story") / "story.json"
    assert Registry().active_name() is not None
    assert cli.main(["story", "--rows", str(ROWS), "--quick", "--quiet", "--out", str(out)]) == 0
    return story.load(out), questions.head(ROWS).reset_index(drop=True)


def nouns(titles):
    return cache.tokens_many(titles, story.NOUNS)


def test_keras_accuracy_is_one_target_per_question():
    y = np.array([[1, 1, 0], [0, 1, 1], [2, 1, 0]], dtype=np.float32)  # counts, as CountVectorizer gives them
    p = np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.7, 0.2, 0.1]])
    # Every top output is one of its question's targets, yet only the last is the first of the largest.
    assert replay.categorical_accuracy(y, p) == pytest.approx(1 / 3)


def test_the_replay_is_the_questions_pipeline(sliced):
    result, qs = sliced
    step = result["replay"]
    tokens = nouns(qs.title.tolist())
    x = CountVectorizer(stop_words="english").fit_transform([" ".join(t) for t in tokens])
    y = CountVectorizer(stop_words="english").fit_transform([" ".join(t) for t in qs.tags])
    train, test = train_test_split(np.arange(ROWS), test_size=0.33, random_state=42)
    assert (step["input_columns"], step["target_columns"]) == (x.shape[1], y.shape[1])
    assert (step["train_rows"], step["test_rows"]) == (len(train), len(test))
    assert [row["epoch"] for row in step["epochs"]] == list(range(1, step["settings"]["epochs"] + 1))
    assert step["accuracy"] == step["epochs"][-1]["val_accuracy"]
    assert step["original_accuracy"] == story.ORIGINAL_ACCURACY
    # Keras's own val_accuracy is the argmax comparison the story explains (ties aside).
    check = result["wrong"]["accuracy"]
    assert check["keras_accuracy"] == pytest.approx(step["accuracy"], abs=2 / len(test))
    assert check["top_is_a_target"] >= check["keras_accuracy"]
    assert check["counted_wrong"] == pytest.approx(check["top_is_a_target"] - check["keras_accuracy"], abs=2e-4)


def test_the_tag_split_is_measured_on_the_data(sliced):
    result, qs = sliced
    split = result["wrong"]["tag_split"]
    y = CountVectorizer(stop_words="english").fit_transform([" ".join(t) for t in qs.tags])
    assert split["real_tags"] == len({t for tags in qs.tags for t in tags})
    assert split["target_columns"] == y.shape[1]
    assert split["targets_per_question"] == pytest.approx(float((y > 0).sum(axis=1).mean()), abs=1e-4)
    assert split["tags_per_question"] == pytest.approx(float(np.mean([len(t) for t in qs.tags])), abs=1e-4)
    assert split["examples"] and all(e["columns"] != [e["tag"]] for e in split["examples"])
    assert any("-" in e["tag"] and len(e["columns"]) == 2 for e in split["examples"])


def test_softmax_shares_one_unit_between_a_questions_tags(sliced):
    result, qs = sliced
    example = result["wrong"]["softmax"]
    assert example is not None, "no held-out question with three single-word tags in the slice"
    question = qs[qs.id == example["id"]].iloc[0]
    _, held_out = holdout_split(qs)
    assert example["id"] in set(held_out.id) and example["tags"] == list(question.tags)
    assert len(example["tags"]) == 3 and sum(example["softmax"]) <= 1 + 1e-6
    assert all(0 <= p <= 1 for p in example["sigmoid"])


def test_the_fix_compares_every_model_on_the_same_held_out_rows(sliced):
    result, qs = sliced
    fix = result["fix"]
    train, test = holdout_split(qs)
    assert (fix["train_rows"], fix["test_rows"]) == (len(train), len(test))
    assert [m["key"] for m in fix["models"]] == ["original", "fixed", "conv1d", "shipped", "tfidf"]
    for m in fix["models"]:
        assert all(0 <= m[k] <= 1 for k in ("p_at_1", "p_at_5", "r_at_5")), m
    assert story.model(result, "shipped")["model"] in story.model(result, "shipped")["name"]
    frame = story.models_frame(result)
    assert len(frame) == 2 * len(fix["models"]) and set(frame.measure) == {"P@1", "R@5"}


def test_the_filter_cost_is_measured_on_the_slice(sliced):
    result, qs = sliced
    tagged = cache.tag_titles(qs.title.tolist())
    for config in (story.NOUNS, story.ALL_WORDS):
        row = story.filter_row(result, config.label)
        stats = filter_stats.stats(tagged, qs.tags.tolist(), config)
        assert row["empty_share"] == pytest.approx(stats.empty_share, abs=1e-4)
        assert row["tag_words_dropped"] == pytest.approx(1 - stats.tag_word_share, abs=1e-4)
    assert story.filter_row(result, "all words")["empty_share"] <= story.filter_row(result, "NN,NNS,VBG")["empty_share"]


def test_the_shipped_story_describes_the_data(questions):
    shipped = story.load(story.story_path())
    hint = "re-run `python -m tagger story` and commit docs/story.json"
    assert shipped["data"]["rows"] == len(questions), hint
    assert shipped["data"]["fingerprint"] == fingerprint(questions), hint
    assert shipped["wrong"]["tag_split"] == story.tag_split(questions.tags.tolist()), hint
    tokens = nouns(questions.title.tolist())
    assert shipped["replay"]["input_columns"] == len(
        CountVectorizer(stop_words="english").fit([" ".join(t) for t in tokens]).vocabulary_)
    filters = {r["filter"]: r for r in shipped["filter"]["rows"]}
    tagged = cache.tag_titles(questions.title.tolist())
    stats = filter_stats.stats(tagged, questions.tags.tolist(), story.NOUNS)
    assert filters[story.NOUNS.label]["empty_share"] == pytest.approx(stats.empty_share, abs=1e-4)
    assert shipped["replay"]["settings"] == story.REPLAY.to_dict()


def test_a_missing_or_damaged_story_says_how_to_make_it(tmp_path):
    with pytest.raises(story.StoryUnavailable, match=r"missing: run `python -m tagger story`"):
        story.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(story.StoryUnavailable, match="can't be read"):
        story.load(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(story.StoryUnavailable, match="not a story of format"):
        story.load(bad)


def test_the_cli_refuses_a_slice_too_small_to_tell_anything(tmp_path, capsys):
    assert cli.main(["story", "--rows", "10", "--out", str(tmp_path / "s.json")]) == 2
    assert "--rows must be at least 50" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()
