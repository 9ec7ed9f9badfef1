"""The one-at-a-time training job: it finishes, stops on request or at the time limit, and never saves."""

import pytest

from tagger.app import jobs, slices
from tagger.model.network import HParams
from tagger.model.replay import ReplaySettings
from tagger.text import tokens as tok


@pytest.fixture
def small_split(questions):
    sliced = slices.apply(questions, slices.SliceSpec(top_n_tags=10, sample_size=600, seed=1))
    return slices.split(sliced)


def _start(split, **kwargs):
    train, test = split
    hp = HParams(epochs=kwargs.pop("epochs", 2), filters=16, embedding_dim=16, kernel_sizes=(1, 2), batch_size=32)
    return jobs.start(train, test, tok.TokenConfig(), hp, owner=kwargs.pop("owner", "test-session"), **kwargs)


def _finish(job):
    assert job.wait(120), "the training run did not end"
    return job.snapshot()


def test_a_run_finishes_with_history_and_results_without_writing_anything(small_split, scratch_registry):
    before = sorted(p.name for p in scratch_registry.root.iterdir())
    job = _start(small_split)
    snap = _finish(job)
    assert snap.status == jobs.DONE and snap.fraction == 1.0
    assert [row["epoch"] for row in snap.history] == [1, 2]
    assert {"loss", "val_loss", "val_p_at_1"} <= set(snap.history[0])
    assert job.result.results.shape[0] == 2 and job.result.tagger.path is None
    assert sorted(p.name for p in scratch_registry.root.iterdir()) == before


def test_stop_ends_the_run_as_stopped(small_split):
    job = _start(small_split, epochs=10)
    job.stop()  # the flag is polled after every batch, so the run ends at its first one
    snap = _finish(job)
    assert snap.status == jobs.STOPPED and "nothing was saved" in snap.message
    assert job.result is None and len(snap.history) <= 1


def test_time_limit_stops_the_run(small_split):
    snap = _finish(_start(small_split, epochs=10, max_seconds=0))
    assert snap.status == jobs.STOPPED and "time limit" in snap.message


def test_a_failure_is_reported_not_raised(questions):
    # Every title of this slice loses all its words under a filter that keeps only symbols.
    sliced = slices.apply(questions, slices.SliceSpec(sample_size=300))
    train, test = slices.split(sliced)
    job = jobs.start(train, test, tok.TokenConfig(pos_tags=("SYM",)), HParams(epochs=1), owner="test-session")
    snap = _finish(job)
    assert snap.status == jobs.FAILED and snap.message.startswith("Training failed:")


def test_one_run_at_a_time_and_limits(small_split):
    job = _start(small_split, epochs=10)
    try:
        with pytest.raises(jobs.JobBusy):
            _start(small_split)
        assert jobs.running() is job
    finally:
        job.stop()
        _finish(job)
    assert jobs.running() is None
    with pytest.raises(ValueError, match="over the limit"):
        _start(small_split, epochs=jobs.MAX_EPOCHS + 1)


def test_a_run_belongs_to_its_session(small_split):
    with pytest.raises(ValueError, match="needs the session"):
        _start(small_split, owner="")
    assert jobs.running() is None
    job = _start(small_split, epochs=10, owner="session-a")
    try:
        assert job.owned_by("session-a") and not job.owned_by("session-b") and not job.owned_by("")
        assert not job.stop_for("session-b") and not job.stop_for("")
        assert job.snapshot().message == "" and job.running
    finally:
        assert job.stop_for("session-a")
        snap = _finish(job)
    assert snap.status == jobs.STOPPED


def test_a_replay_finishes_with_keras_accuracy_per_epoch(questions):
    job = jobs.start_replay(questions.head(500), ReplaySettings(epochs=2), owner="me")
    snap = _finish(job)
    assert snap.status == jobs.DONE and snap.kind == jobs.REPLAY and job.owner == "me"
    assert [row["epoch"] for row in snap.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(snap.history[0])
    assert job.result.final == snap.history[-1] and len(job.result.test_rows) == 165  # 33 % of 500


def test_a_replay_and_a_training_run_never_run_at_once(small_split, questions):
    replaying = jobs.start_replay(questions.head(2000), ReplaySettings(epochs=jobs.MAX_EPOCHS), owner="me")
    try:
        with pytest.raises(jobs.JobBusy, match="replay of the original network"):
            _start(small_split)
    finally:
        replaying.stop()
        snap = _finish(replaying)
    assert snap.status == jobs.STOPPED
    training = _start(small_split, epochs=10)
    try:
        with pytest.raises(jobs.JobBusy, match="training run"):
            jobs.start_replay(questions.head(400), ReplaySettings(epochs=1), owner="me")
    finally:
        training.stop()
        _finish(training)
    with pytest.raises(ValueError, match="over the limit"):
        jobs.start_replay(questions.head(50), ReplaySettings(epochs=jobs.MAX_EPOCHS + 1), owner="me")
