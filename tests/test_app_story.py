"""Story page: the stored numbers as a stakeholder reads them, the live replay of step 1, and the crowd's
aggregate; a missing story file is a message, not a traceback."""

from __future__ import annotations

import pytest

from tagger.app import crowd, jobs, quiz, story as st_story
from tagger.model.network import HParams
from tagger.store.answers import Answer, AnswerStore
from tests.app_helpers import shown

REPLAY_ROWS = 600


@pytest.fixture
def numbers():
    return st_story.load(st_story.story_path())


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_story_page_shows_the_computed_numbers(open_app, numbers):
    at = open_app("story")
    assert at.title[0].value == "The story"
    assert metric(at, "The question's accuracy") == st_story.pct(numbers["replay"]["original_accuracy"])
    assert metric(at, "Replayed here: accuracy on the held-out third") == st_story.pct(numbers["replay"]["accuracy"])
    assert metric(at, "The fixed network's P@1") == st_story.score(st_story.model(numbers, "fixed")["p_at_1"])
    split = numbers["wrong"]["tag_split"]
    assert metric(at, "Target columns") == f"{split['target_columns']:,}"
    assert metric(at, "Real tags") == f"{split['real_tags']:,}"
    assert metric(at, "Targets per question") == f"{split['targets_per_question']:.1f}"
    nouns = st_story.filter_row(numbers, st_story.NOUNS.label)
    assert metric(at, "P@1 with nouns + gerunds") == st_story.score(nouns["p_at_1"])
    headers = [h.value for h in at.header]
    assert headers[:4] == ["1. The original network, replayed", "2. What was wrong", "3. The fix",
                           "4. What the filter costs"]
    assert len(at.get("vega_lite_chart")) >= 2  # accuracy per epoch, and every model side by side
    assert any("No answers are stored yet" in i.value for i in at.info)
    assert any(b.label == "Replay it live now" for b in at.button)


def test_a_missing_story_file_says_how_to_make_it(open_app, tmp_path, monkeypatch, clean):
    monkeypatch.setenv("TAGGER_STORY", str(tmp_path / "nope.json"))
    at = open_app("story")
    clean(at)
    assert any("python -m tagger story" in shown(e.value) for e in at.error)


def test_the_live_replay_runs_step_one_with_progress(open_app, tmp_path, monkeypatch, questions, clean, numbers):
    small = tmp_path / "small.csv"
    questions.head(REPLAY_ROWS).assign(tags=questions.tags.head(REPLAY_ROWS).str.join(" ")).to_csv(small, index=False)
    monkeypatch.setenv("TAGGER_DATA", str(small))
    at = open_app("story")
    next(b for b in at.button if b.label == "Replay it live now").click().run()
    clean(at)
    job = at.session_state["story_replay"]
    assert job.kind == jobs.REPLAY and job.owner == at.session_state["session_id"]
    try:
        # One run per server: a retrain can't start while the replay holds the slot.
        with pytest.raises(jobs.JobBusy, match="replay"):
            jobs.start(questions.head(200), questions.iloc[200:260], quiz.FILTER, HParams(epochs=1), owner="another")
    finally:
        assert job.wait(300), "the live replay did not finish"
    at.run()
    clean(at)
    snap = job.snapshot()
    assert snap.status == jobs.DONE and len(snap.history) == numbers["replay"]["settings"]["epochs"]
    assert len(job.result.test_rows) == round(REPLAY_ROWS * 0.33)
    final = st_story.pct(job.result.final["val_accuracy"])
    assert any(s.value.startswith("Replayed live in ") and f": {final} accuracy on the held-out third" in s.value
               for s in at.success)


def test_the_story_shows_everyones_answers(open_app, scratch_state):
    store = AnswerStore()
    rows = [(quiz.MODES[0], 0.0, 1.0, "a"), (quiz.MODES[0], 1.0, 0.5, "b"), (quiz.MODES[1], 0.5, 0.5, "a")]
    for i, (mode, f1, model_f1, key) in enumerate(rows):
        store.add(Answer(i, mode, ["bread"], f1, "[x](http://203.0.113.9)", model_f1, key))
    at = open_app("story")
    summary = crowd.summary(store.answers())
    # What a reader sees: Markdown escapes undone, and the invisible word joiner that defuses a bare URL.
    text = shown(next(m.value for m in at.markdown if "People, tokens only" in m.value)).replace("\u2060", "")
    for row in summary.itertuples():
        assert crowd.describe(row) in text
    raw = next(m.value for m in at.markdown if "People, tokens only" in m.value)
    assert r"\[x\]\(http" in raw  # a stored name is Markdown-escaped: shown as text, never a link
    assert any(crowd.totals(store.answers()) in shown(c.value) for c in at.caption)
    assert at.get("download_button")
