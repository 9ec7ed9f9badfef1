"""The pages reflect the admin gate and the quotas that the registry enforces: local mode says so, a visitor
without the password finds Activate and Delete disabled, the password unlocks both, a session's save beyond
its quota is refused with the reason."""

from __future__ import annotations

import pytest

from tagger.app import jobs
from tagger.store import admin, quotas
from tagger.ui import sidebar
from tests.app_helpers import TINY, shown
from tests.test_app_retrain import choose_small_slice, start_button

PASSWORD = "let me in, 42"
NEEDS_ADMIN = ("Choosing the server's default model and deleting models need the admin password (in the sidebar). "
               "To use a model yourself, pick it in the sidebar: that changes this session only.")


def button(at, label):
    return next(b for b in at.button if b.label == label)


def sidebar_captions(at):
    return [c.value for c in at.sidebar.caption]


@pytest.fixture
def gated(monkeypatch):
    monkeypatch.setenv(admin.ENV, PASSWORD)


def test_local_mode_is_stated_in_the_sidebar(open_app):
    at = open_app("models")
    assert sidebar.LOCAL_MODE in sidebar_captions(at)
    assert not at.sidebar.text_input  # no password to enter
    at.selectbox(key="models_chosen").set_value(TINY).run()
    assert not button(at, "Activate").disabled and not at.checkbox(key="models_confirm_delete").disabled


def test_without_the_password_activate_and_delete_are_disabled(gated, open_app, scratch_registry, clean):
    at = open_app("models")
    assert sidebar.LOCAL_MODE not in sidebar_captions(at)
    at.selectbox(key="models_chosen").set_value(TINY).run()
    assert button(at, "Activate").disabled and button(at, "Delete").disabled
    assert at.checkbox(key="models_confirm_delete").disabled
    assert NEEDS_ADMIN in [shown(c.value) for c in at.caption]

    # A form sends its fields with the submit button, as the browser does: no run in between.
    at.sidebar.text_input(key="sidebar_admin_password").input("not it")
    button(at, "Unlock admin").click().run()
    clean(at)
    assert "That is not the admin password." in [e.value for e in at.sidebar.error]
    assert button(at, "Activate").disabled
    assert at.sidebar.text_input(key="sidebar_admin_password").value == ""  # the form is cleared

    at.sidebar.text_input(key="sidebar_admin_password").input(PASSWORD)
    button(at, "Unlock admin").click().run()
    clean(at)
    assert "Admin: this session can choose the server's default model and delete models." in sidebar_captions(at)
    assert PASSWORD not in [str(v) for v in at.session_state.to_dict().values()]
    assert not button(at, "Activate").disabled
    button(at, "Activate").click().run()
    clean(at)
    assert scratch_registry.active_name() == TINY
    at.checkbox(key="models_confirm_delete").check().run()
    button(at, "Delete").click().run()
    clean(at)
    assert shown(at.success[0].value) == f"Deleted {TINY}."
    assert TINY not in scratch_registry.names()

    button(at, "Lock admin").click().run()
    assert NEEDS_ADMIN in [shown(c.value) for c in at.caption]
    assert at.sidebar.text_input(key="sidebar_admin_password").value == ""


def test_a_session_past_its_quota_can_train_but_not_save(gated, monkeypatch, open_app, scratch_registry, clean):
    monkeypatch.setenv(quotas.PER_SESSION_ENV, "1")
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    assert jobs.running() is None
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["session_id"] = "visitor-with-one-model"
    at.run()
    at.switch_page("pages/retrain.py").run()
    clean(at)
    assert at.info[0].value.endswith("Saving: at most 1 saved models per visitor session and 20 visitor models on the "
                                     "server (the oldest are removed first).")
    scratch_registry.save_visitor(scratch_registry.load(TINY), "earlier-save", "visitor-with-one-model")

    choose_small_slice(at)
    start_button(at).click().run()
    assert at.session_state["retrain_job"].wait(180), "training did not finish"
    at.run()
    clean(at)
    assert at.checkbox(key="retrain_activate").disabled  # the server default is the admin's choice
    at.text_input(key="retrain_name").input("one-too-many").run()
    button(at, "Save model").click().run()
    clean(at)
    assert [shown(e.value) for e in at.error] == [
        "not saved: this session has already saved 1 models, the most a visitor may keep on this server (1). "
        "You can still train and compare models; an admin can delete old ones."]
    assert "one-too-many" not in scratch_registry.names()
    assert [v.name for v in scratch_registry.visitor_models()] == ["earlier-save"]
