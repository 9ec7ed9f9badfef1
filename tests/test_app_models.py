"""Models page: the registry table, activate and delete, and per-tag quality."""

from tagger.model.predictor import read_metadata
from tagger.text.tokens import TokenConfig
from tests.app_helpers import TINY, shown

TITLE = "How long can I keep cooked rice in the fridge?"


def button(at, label):
    return next(b for b in at.button if b.label == label)


def other_config_model(registry):
    """A usable model whose token filter differs from the active model's, so its tokens differ visibly."""
    def label(name):
        return TokenConfig.from_dict(registry.load(name).metadata["token_config"]).label

    active = label(registry.active_name())
    return next(n for n in registry.names() if label(n) != active)


def test_table_lists_every_model_with_status_and_metrics(open_app, scratch_registry):
    at = open_app("models")
    assert at.title[0].value == "Models"
    table = next(d.value for d in at.dataframe if "hyperparameters" in d.value.columns)
    assert table.name.tolist() == sorted(scratch_registry.names())
    status = dict(zip(table.name, table.status, strict=False))
    assert "active" in status[scratch_registry.active_name()]
    for name in scratch_registry.shipped_names():
        assert "shipped" in status[name]
    assert status[TINY] == "saved"
    assert {"data slice", "tokens", "P@1", "P@5", "R@5", "micro-F1", "created"} <= set(table.columns)
    # What a model's probabilities are made of is in its row: members, a wide branch, a rarity shift.
    for name, label in zip(table.name, table.hyperparameters, strict=True):
        hp = read_metadata(scratch_registry.path(name))["hparams"]
        assert ("TF-IDF + LR branch" in label) == bool(hp.get("wide")), name
        assert ("rarity shift" in label) == bool(hp.get("rarity")), name
        assert ("nearest questions" in label) == bool(hp.get("knn")), name
        assert (f"{hp.get('members')} members" in label) == (hp.get("members", 1) > 1), name


def test_shipped_models_cannot_be_deleted(open_app, scratch_registry):
    at = open_app("models")
    at.selectbox(key="models_chosen").set_value(scratch_registry.shipped_names()[0]).run()
    assert button(at, "Delete").disabled
    assert at.checkbox(key="models_confirm_delete").disabled
    assert any("ships with the app, so it can't be deleted" in c.value for c in at.caption)


def test_activating_a_model_changes_what_suggest_uses(open_app, scratch_registry, clean):
    at = open_app("suggest")
    before = scratch_registry.active_name()
    target = other_config_model(scratch_registry)
    at.text_input(key="suggest_title").input(TITLE).run()

    def kept_tokens():
        table = next(d.value for d in at.dataframe if "model sees" in d.value.columns)
        return table[table.kept]["model sees"].tolist()

    assert kept_tokens() == scratch_registry.load(before).tokens(TITLE)

    at.switch_page("pages/models.py").run()
    at.selectbox(key="models_chosen").set_value(target).run()
    button(at, "Activate").click().run()
    clean(at)
    assert shown(at.success[0].value).startswith(f"{target} is now the active model")
    assert scratch_registry.active_name() == target
    assert button(at, "Activate").disabled  # it is the active one now

    at.switch_page("pages/suggest.py").run()
    clean(at)
    assert any(c.value.startswith(f"Model: {target} ·") for c in at.caption)
    expected = scratch_registry.load(target).tokens(TITLE)
    assert kept_tokens() == expected and expected != scratch_registry.load(before).tokens(TITLE)


def test_deleting_a_saved_model(open_app, scratch_registry, clean):
    at = open_app("models")
    at.selectbox(key="models_chosen").set_value(TINY).run()
    assert button(at, "Delete").disabled  # not before the confirmation
    at.checkbox(key="models_confirm_delete").check().run()
    button(at, "Delete").click().run()
    clean(at)
    assert shown(at.success[0].value) == f"Deleted {TINY}."
    assert TINY not in scratch_registry.names()
    assert TINY not in at.selectbox(key="models_chosen").options


def test_per_tag_report_and_threshold_curve(open_app, scratch_registry):
    at = open_app("models")
    report = next(d.value for d in at.dataframe if "support" in d.value.columns)
    assert ["tag", "precision", "recall", "f1", "support", "predicted"] == report.columns.tolist()
    assert report.support.is_monotonic_decreasing and report[["precision", "recall", "f1"]].le(1).all().all()
    assert any("held-out questions" in c.value for c in at.caption)
    assert at.get("vega_lite_chart")


def test_an_unusable_model_folder_is_reported_not_loaded(open_app, scratch_registry, clean):
    broken = scratch_registry.root / "half-copied"
    broken.mkdir()
    (broken / "metadata.json").write_text("{ not json")
    at = open_app("models")
    table = next(d.value for d in at.dataframe if "hyperparameters" in d.value.columns)
    row = table.set_index("name").loc["half-copied"]
    assert row["hyperparameters"].startswith("unusable:")
    at.selectbox(key="models_chosen").set_value("half-copied").run()
    clean(at)
    assert button(at, "Activate").disabled
    assert shown(at.error[0].value).startswith("half-copied can't be used:")
