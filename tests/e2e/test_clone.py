"""A bare clone runs: `git clone` of this repository into an empty folder, then the command line and every
page, with no environment variables (only PATH and an empty HOME) and nothing beside the clone.

The clone is of the committed HEAD (uncommitted changes are not in it, as for anyone who clones). It uses
this interpreter's installed packages: `make test` / `make run` on a fresh machine create their own .venv
from requirements.txt first, which needs the network and is not repeated here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from bench.server import StreamlitServer, free_port
from tagger.ui import navigation
from tests.e2e.conftest import OUTPUT, REPO, VIEWPORT, BrowserApp

FIRST_LOAD = 240_000  # ms: the clone has no tagging cache yet, and its first page imports TensorFlow
RERUN = 60_000


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    folder = tmp_path_factory.mktemp("bare-clone")
    target = folder / "cooking-tagger"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True, timeout=300,
                   capture_output=True)
    assert sorted(p.name for p in folder.iterdir()) == ["cooking-tagger"]  # nothing beside it
    return target


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory) -> dict:
    """No settings at all: no TAGGER_*, no NLTK_DATA, a home folder with nothing in it."""
    home = tmp_path_factory.mktemp("empty-home")
    return {"PATH": "/usr/bin:/bin", "HOME": str(home)}


def run_in(clone, env, *args) -> str:
    r = subprocess.run([sys.executable, *args], cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_command_line_runs_from_a_bare_clone(clone, bare_env):
    where = run_in(clone, bare_env, "-c", "import nltk, tagger; from tagger.data import loaders; "
                   "print(tagger.__file__); print(nltk.data.find('taggers/averaged_perceptron_tagger_eng/')); "
                   "print(loaders.default_data_path())").split()
    assert all(path.startswith(str(clone) + "/") for path in where), where
    suggested = json.loads(run_in(clone, bare_env, "-m", "tagger", "suggest", "--json",
                                  "Can I freeze sourdough starter?"))
    assert suggested["tokens"] and suggested["tags"]
    listing = run_in(clone, bare_env, "-m", "tagger", "models")
    assert re.search(r"^\* all-words ", listing, re.M)  # the shipped default is active
    assert "12404" in run_in(clone, bare_env, "-c", "from tagger.data import loaders; "
                             "print(len(loaders.load_questions(loaders.default_data_path())))")


@pytest.fixture(scope="module")
def clone_server(clone, bare_env):
    server = StreamlitServer(free_port(), bare_env, OUTPUT / "e2e-clone-server.log", root=clone)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def test_every_page_works_from_a_bare_clone(clone_server, browser, questions):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RERUN)
    try:
        app = BrowserApp(context.new_page(), clone_server).open(timeout=FIRST_LOAD)
        app.fill("Question title", "How long can I keep cooked rice in the fridge?")
        expect(app.text("Suggested tags")).to_be_visible(timeout=FIRST_LOAD)

        total = f"{len(questions):,}"
        app.go("Tokens", "Tokens")
        expect(app.text(re.compile(rf"^{total} of {total} questions\b"))).to_be_visible(timeout=FIRST_LOAD)

        app.go("Retrain", "Retrain")
        expect(app.metric("Questions")).to_have_text(total, timeout=FIRST_LOAD)

        app.go("Models", "Models")
        expect(app.text(re.compile(r"^all-words scored\b"))).to_be_visible(timeout=FIRST_LOAD)  # its per-tag scores
        app.screenshot("clone-models")

        for spec in navigation.PAGES:  # and every page the navigation lists, those added later included
            app.sidebar.get_by_role("link", name=re.compile(rf"{re.escape(spec.title)}$")).click()
            expect(app.page).to_have_url(f"{clone_server.url}/{spec.url}", timeout=RERUN)
            expect(app.main.get_by_role("heading", level=1).first).to_be_visible(timeout=FIRST_LOAD)
        app.assert_healthy()
    finally:
        context.close()
