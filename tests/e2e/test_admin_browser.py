"""The admin gate in a real browser, on a server started with TAGGER_ADMIN_PASSWORD: without the password no
Activate or Delete button can be used (whatever box is ticked), the registry itself refuses without a grant,
and the same session with the password entered can do both."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from playwright.sync_api import expect

from tagger.store import admin
from tagger.store.registry import AdminRequired, Registry
from tests.e2e.conftest import VIEWPORT, BrowserApp

PASSWORD = "e2e admin password"
FIRST_LOAD = 180_000
RERUN = 60_000
VISITOR_MODEL = "visitor-copy"


def add_saved_model(models, source: str) -> None:
    """A model that is not shipped (as a visitor's saved model would be), copied from a shipped one."""
    shutil.copytree(models / source, models / VISITOR_MODEL)
    meta_path = models / VISITOR_MODEL / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["name"] = VISITOR_MODEL
    meta_path.write_text(json.dumps(meta))


def tick_every_box(app) -> None:
    for box in app.main.get_by_role("checkbox").all():
        if box.is_enabled() and not box.is_checked():
            box.check(force=True)


def assert_nothing_to_press(app) -> None:
    for label in ("Activate", "Delete"):
        buttons = app.main.get_by_role("button", name=label, exact=True)
        for i in range(buttons.count()):
            expect(buttons.nth(i)).to_be_disabled()


@pytest.fixture
def gated_server(start_server, monkeypatch):
    monkeypatch.setenv(admin.ENV, PASSWORD)  # this process's registry calls see the server's password
    return start_server("e2e-admin-server", TAGGER_ADMIN_PASSWORD=PASSWORD)


def test_without_the_password_nothing_changes_and_with_it_everything_can(gated_server, browser):
    registry = Registry(gated_server.models)
    before = registry.active_name()
    add_saved_model(gated_server.models, before)
    assert VISITOR_MODEL in registry.names() and VISITOR_MODEL not in registry.shipped_names()

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    try:
        app = BrowserApp(context.new_page(), gated_server).open(timeout=FIRST_LOAD)
        app.go("Models", "Models")
        expect(app.text("Manage a model")).to_be_visible(timeout=FIRST_LOAD)
        app.choose("Model", VISITOR_MODEL)
        # Its per-tag caption comes after the buttons: they are this run's, not the last run's stale ones.
        expect(app.text(re.compile(rf"^{VISITOR_MODEL} scored\b"))).to_be_visible(timeout=FIRST_LOAD)
        tick_every_box(app)
        assert_nothing_to_press(app)
        expect(app.text("Choosing the server's default model and deleting models need the admin password (in the "
                        "sidebar). To use a model yourself, pick it in the sidebar: that changes this session "
                        "only.")).to_be_visible()
        app.screenshot("models-locked")

        # The rule is the registry's, not the page's: called directly without a grant, it refuses.
        with pytest.raises(AdminRequired, match="only an admin can choose the server's default model"):
            registry.activate(VISITOR_MODEL)
        with pytest.raises(AdminRequired, match="only an admin can delete a model"):
            registry.delete(VISITOR_MODEL)
        assert registry.active_name() == before and VISITOR_MODEL in registry.names()

        password = app.sidebar.get_by_label("Admin password", exact=True)
        password.fill("a guess")
        app.sidebar.get_by_role("button", name="Unlock admin").click()
        expect(app.sidebar.get_by_text("That is not the admin password.", exact=True)).to_be_visible(timeout=RERUN)
        assert_nothing_to_press(app)

        app.sidebar.get_by_label("Admin password", exact=True).fill(PASSWORD)
        app.sidebar.get_by_role("button", name="Unlock admin").click()
        expect(app.sidebar.get_by_text("Admin: this session can choose the server's default model and delete "
                                       "models.", exact=True)).to_be_visible(timeout=RERUN)
        activate = app.main.get_by_role("button", name="Activate", exact=True)
        expect(activate).to_be_enabled(timeout=RERUN)
        activate.click()
        expect(app.text(f"{VISITOR_MODEL} is now the active model: the server's default, and the model this "
                        "session uses.")).to_be_visible(timeout=RERUN)
        assert registry.active_name() == VISITOR_MODEL

        app.main.get_by_role("checkbox", name=f"Yes, delete {VISITOR_MODEL} for everyone").check(force=True)
        delete = app.main.get_by_role("button", name="Delete", exact=True)
        expect(delete).to_be_enabled(timeout=RERUN)
        delete.click()
        expect(app.text(f"Deleted {VISITOR_MODEL}.")).to_be_visible(timeout=RERUN)
        assert VISITOR_MODEL not in registry.names() and registry.active_name() == before
        app.assert_healthy()
    finally:
        context.close()
