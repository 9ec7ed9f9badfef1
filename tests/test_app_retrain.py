"""Retrain page: slices too small are refused; a small run finishes, reports metrics and can be saved."""

import pytest

from tagger.app import jobs
from tagger.model.network import HParams
from tests.app_helpers import shown


@pytest.fixture
def retrain_page(open_app):
    assert jobs.running() is None
    return open_app("retrain")


def metrics(at):
    return {m.label: m.value for m in at.metric}


def start_button(at):
    return next(b for b in at.button if b.label == "Start training")


def choose_small_slice(at):
    at.radio(key="slice_tag_limit").set_value("Top N tags").run()
    at.number_input(key="slice_tag_n").set_value(8).run()
    at.number_input(key="slice_sample").set_value(500).run()
    at.slider(key="hp_epochs").set_value(2).run()
    at.select_slider(key="hp_filters").set_value(16).run()
    at.select_slider(key="hp_embedding").set_value(16).run()


def test_limits_are_stated_and_counts_update_live(retrain_page, questions):
    at = retrain_page
    assert at.title[0].value == "Retrain"
    assert at.info[0].value.startswith(f"Demo limits: at most {jobs.MAX_ROWS:,} questions, {jobs.MAX_EPOCHS} epochs")
    assert metrics(at)["Questions"] == f"{len(questions):,}"
    at.multiselect(key="slice_include").set_value(["bread"]).run()
    n_bread = int(questions.tags.map(lambda t: "bread" in t).sum())
    assert metrics(at)["Questions"] == f"{n_bread:,}"
    assert not at.error and not start_button(at).disabled


def test_a_slice_too_small_is_refused_with_a_reason(retrain_page, clean):
    at = retrain_page
    at.text_input(key="slice_text").input("no title contains this zqxj").run()
    clean(at)
    assert [e.value for e in at.error] == ["No question matches this slice: loosen the filters."]
    assert start_button(at).disabled
    at.text_input(key="slice_text").input("").run()
    at.number_input(key="slice_sample").set_value(60).run()
    assert any("a model needs at least 100" in e.value for e in at.error)
    assert start_button(at).disabled


def test_bad_hyperparameters_are_refused(retrain_page):
    at = retrain_page
    at.multiselect(key="hp_kernels").set_value([]).run()
    assert "Pick at least one kernel size." in [shown(e.value) for e in at.error]
    assert start_button(at).disabled
    at.multiselect(key="hp_kernels").set_value([2]).run()
    at.selectbox(key="hp_pos").set_value("custom POS tags…").run()
    at.text_input(key="hp_pos_custom").input("nouns please").run()
    assert any(shown(e.value).startswith("invalid POS tag set 'nouns please'") for e in at.error)


def test_a_small_retrain_finishes_reports_metrics_and_saves(retrain_page, scratch_registry, clean):
    at = retrain_page
    active_before = scratch_registry.active_name()
    before_count = len(scratch_registry.names())
    choose_small_slice(at)
    assert metrics(at)["Questions"] == "500" and metrics(at)["Tags"] == "8"
    assert at.checkbox(key="hp_bag_weights").value  # the recipe's default
    at.checkbox(key="hp_bag_weights").uncheck().run()
    start_button(at).click().run()
    clean(at)
    job = at.session_state["retrain_job"]
    assert job.wait(180), "training did not finish"
    at.run()
    clean(at)
    assert [h.value for h in at.header][-1] == "4. Result"
    assert at.success[0].value.startswith("Training finished")
    results = next(d.value for d in at.dataframe if "P@1" in d.value.columns)
    assert results.model.tolist() == ["New model: Conv1D (NN,NNS,VBG, sigmoid)",
                                      "TF-IDF + logistic regression (same tokens)", f"Active model ({active_before})"]
    assert {"P@1", "P@5", "R@5", "micro-F1"} <= set(results.columns)
    assert (results["questions"] == 100).all() and results["P@1"].between(0, 1).all()
    assert scratch_registry.active_name() == active_before  # nothing changes until saved

    at.text_input(key="retrain_name").input("../![x](http://203.0.113.9/x.png)").run()
    next(b for b in at.button if b.label == "Save model").click().run()
    refused = next(e.value for e in at.error if shown(e.value).startswith("Not saved: invalid model name"))
    assert "\\!\\[x\\]\\(http" in refused  # the typed name is quoted as text, not as a Markdown image
    assert len(scratch_registry.names()) == before_count

    at.text_input(key="retrain_name").input("bread-tiny").run()
    at.checkbox(key="retrain_activate").check().run()
    next(b for b in at.button if b.label == "Save model").click().run()
    clean(at)
    assert "Saved as bread-tiny." in at.success[-1].value
    assert "bread-tiny" in scratch_registry.names()
    assert scratch_registry.active_name() == "bread-tiny"
    meta = scratch_registry.load("bread-tiny").metadata
    assert meta["training_data"]["slice"]["top_n_tags"] == 8 and meta["training_data"]["rows"] == 400
    assert meta["hparams"]["epochs"] == 2 and meta["metrics"]["heldout_rows"] == 100
    assert meta["hparams"]["bag_weights"] is False  # the page's choice reached the model
    assert at.session_state["model_name"] == "bread-tiny"  # this session now uses it too


def test_other_sessions_see_a_running_job_and_cannot_start_one(retrain_page, questions, clean):
    from tagger.app import slices
    from tagger.text import tokens as tok

    train, test = slices.split(slices.apply(questions, slices.SliceSpec(sample_size=3000, seed=5)))
    job = jobs.start(train, test, tok.TokenConfig(), HParams(epochs=jobs.MAX_EPOCHS), owner="another-session")
    try:
        at = retrain_page.run()
        clean(at)
        assert at.warning[0].value.startswith("Someone else is training a model on this server right now.")
        assert not [b for b in at.button if b.label in ("Start training", "Stop training")]
        # Suggest still works meanwhile.
        at.switch_page("pages/suggest.py").run()
        at.text_input(key="suggest_title").input("How do I store fresh basil?").run()
        clean(at)
        assert "What the model saw" in [s.value for s in at.subheader]
    finally:
        job.stop()
        assert job.wait(60)
    assert job.snapshot().status == jobs.STOPPED
