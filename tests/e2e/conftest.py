"""End-to-end fixtures: the real app (`streamlit run app.py`) in a real browser (Debian's Chromium).

One Streamlit server per test session, on a free localhost port, over a scratch copy of `models/`
(TAGGER_MODELS), so activating, training and saving in the browser never touch the real registry.
Each test gets a fresh browser context (a new Streamlit session) whose console errors, uncaught page
errors and JavaScript dialogs (an `alert` from injected HTML would be one) are recorded; `BrowserApp`
wraps the page with the few helpers the tests share. Playwright's own browser download doesn't work
offline, so the tests drive /usr/bin/chromium (`make browser` installs it with apt when missing).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from bench.server import StreamlitServer, free_port
from tests.conftest import SERVER_SETTINGS

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "models"
OUTPUT = REPO / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
CHROMIUM = os.environ.get("TAGGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 1800}  # Streamlit scrolls inside its main block: a tall window shows more



def copy_registry(target: Path) -> Path:
    """A copy of the shipped models without a developer's local choice of active model."""
    target.mkdir(parents=True, exist_ok=True)
    for item in SHIPPED.iterdir():
        if item.name.startswith(".") or item.name == "active.json":
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)
    return target


def server_env(models: Path, no_secrets: Path, state: Path | None = None, **settings: str) -> dict:
    """The test's environment for a server over `models`, in local mode with default quotas unless `settings`
    (e.g. TAGGER_ADMIN_PASSWORD) say otherwise. (Session-scoped servers start before the per-test
    `local_mode` fixture applies, so the same settings are cleared here.) `state` is the folder of the
    answers database: the servers' own, shared by restarts."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_SETTINGS}
    env.update(TAGGER_MODELS=str(models), TAGGER_SECRETS=str(no_secrets), **settings)
    if state is not None:
        env["TAGGER_STATE_DIR"] = str(state)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The tagging cache (TAGGER_CACHE, default .cache/) is kept: tagging all 12k titles takes a minute.
    return env


@pytest.fixture(scope="session")
def e2e_registry(tmp_path_factory, questions):  # `questions` skips the session when the data is missing
    if not (SHIPPED / "shipped.json").is_file():
        pytest.skip("no shipped models in models/: run `make models`")
    return copy_registry(tmp_path_factory.mktemp("e2e") / "models")


@pytest.fixture(scope="session")
def e2e_state(tmp_path_factory) -> Path:
    """The state folder every e2e server of the session uses (a restarted server finds the same answers)."""
    return tmp_path_factory.mktemp("e2e-state")


@pytest.fixture(scope="session")
def app_server(e2e_registry, no_secrets, e2e_state):
    server = StreamlitServer(free_port(), server_env(e2e_registry, no_secrets, e2e_state),
                             OUTPUT / "e2e-server.log")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_server(tmp_path, no_secrets, questions):
    """start_server(**settings) -> a new server of its own over a fresh copy of the shipped models, that nobody
    has visited yet; stopped after the test."""
    if not (SHIPPED / "shipped.json").is_file():
        pytest.skip("no shipped models in models/: run `make models`")
    servers = []

    def start(log_name: str = "e2e-fresh-server", **settings: str) -> StreamlitServer:
        models = copy_registry(tmp_path / f"models-{len(servers)}")
        server = StreamlitServer(free_port(), server_env(models, no_secrets, **settings), OUTPUT / f"{log_name}.log")
        servers.append(server)
        server.wait_healthy()
        server.models = models
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# True once every chart has its SVG (or canvas) and every table its canvas.
DRAWN = """() => {
    const all = (testid, inner) => [...document.querySelectorAll(`[data-testid=${testid}]`)]
        .every(e => e.querySelector(inner));
    return all("stVegaLiteChart", "svg, canvas") && all("stDataFrame", "canvas");
}"""


class BrowserApp:
    """One browser tab on the app, with what went wrong in it recorded."""

    def __init__(self, page, server: StreamlitServer):
        self.page, self.server = page, server
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside_requests: list[str] = []  # the app must never make the browser fetch from elsewhere
        self.base_path_probes: re.Pattern | None = None  # see open_link
        page.on("console", self._on_console)
        page.on("request", self._on_request)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("dialog", self._on_dialog)

    def _on_console(self, msg) -> None:
        if msg.type == "error":
            where = (msg.location or {}).get("url", "")
            if self.base_path_probes and self.base_path_probes.match(where) and "404" in msg.text:
                return
            self.console_errors.append(f"{msg.text} ({where})" if where else msg.text)

    def _on_request(self, request) -> None:
        if not request.url.startswith((self.server.url + "/", "data:", "blob:", "about:")):
            self.outside_requests.append(request.url)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    # --- locators ----------------------------------------------------------------------------
    @property
    def main(self):
        return self.page.get_by_test_id("stMain")

    @property
    def sidebar(self):
        return self.page.get_by_test_id("stSidebar")

    def text(self, text: str | re.Pattern, exact: bool = True):
        """Main-area text; exact by default, because Streamlit leaves stale output on screen while it reruns."""
        return self.main.get_by_text(text, exact=exact) if isinstance(text, str) else self.main.get_by_text(text)

    # --- actions -----------------------------------------------------------------------------
    def open(self, timeout: float = 120_000) -> "BrowserApp":
        """The app's root URL (Suggest); later pages are reached through the sidebar, as a visitor does."""
        from playwright.sync_api import expect

        self.page.goto(self.server.url + "/")
        expect(self.page.get_by_role("heading", name="Suggest tags")).to_be_visible(timeout=timeout)
        return self

    def open_link(self, url_path: str) -> "BrowserApp":
        """A shared link to one page (`/retrain`), opened first thing. Streamlit's frontend then probes
        /retrain/_stcore/health and /host-config for its base path before it finds the root's; those two
        404s in the console are Streamlit's own and expected, any other error still fails the test."""
        self.base_path_probes = re.compile(rf"^{re.escape(self.server.url)}/{re.escape(url_path)}/_stcore/"
                                           r"(health|host-config)$") if url_path else None
        self.page.goto(f"{self.server.url}/{url_path}")
        return self

    def go(self, page_title: str, heading: str, timeout: float = 120_000) -> None:
        from playwright.sync_api import expect

        self.sidebar.get_by_role("link", name=re.compile(rf"{re.escape(page_title)}$")).click()
        expect(self.page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=timeout)

    def fill(self, label: str, value: str, scope=None) -> None:
        """Type into a text input and submit it (Streamlit text inputs commit on Enter or blur)."""
        box = (scope or self.main).get_by_role("textbox", name=label, exact=True)
        box.fill(value)
        box.press("Enter")

    def choose(self, label: str, option: str, scope=None) -> None:
        """Pick an option of a selectbox or multiselect by its exact text."""
        box = (scope or self.main).get_by_role("combobox", name=label, exact=True)
        box.click()
        box.fill(option)
        self.page.get_by_role("option", name=option, exact=True).click()

    def small_slice(self, top_n: int, sample: int) -> None:
        """On Retrain: learn only the top N tags, from a random sample of questions."""
        self.main.get_by_test_id("stRadio").get_by_text("Top N tags", exact=True).first.click()
        for label, value in (("N", top_n), ("Sample size (0: all)", sample)):
            box = self.main.get_by_role("spinbutton", name=label, exact=True)
            box.fill(str(value))
            box.press("Enter")

    def set_slider(self, label: str, steps_from_min: int) -> None:
        """Move a slider or select slider with the keyboard: Home, then right arrow steps."""
        thumb = self.slider(label)
        thumb.focus()
        self.page.keyboard.press("Home")
        for _ in range(steps_from_min):
            self.page.keyboard.press("ArrowRight")

    def slider(self, label: str):
        # The thumb's accessible name repeats the label ("Epochs Epochs"); its aria-label is the label.
        return self.main.get_by_role("slider").and_(self.main.locator(f"[aria-label={label!r}]"))

    def metric(self, label: str):
        has_label = self.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
        return self.main.get_by_test_id("stMetric").filter(has=has_label).get_by_test_id("stMetricValue")

    def screenshot(self, name: str) -> Path:
        """test-output/screenshots/<name>.png, once the charts and tables on screen have drawn."""
        from playwright.sync_api import Error

        try:
            self.page.wait_for_function(DRAWN, timeout=30_000)
        except Error:
            pass  # a screenshot of a half-drawn page is still worth having
        self.page.wait_for_timeout(500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    # --- checks ------------------------------------------------------------------------------
    def assert_healthy(self) -> None:
        """No console error, no uncaught error, no dialog, no request to another host, no traceback and no
        catch-all error message on the page."""
        assert not self.page_errors, self.page_errors
        assert not self.console_errors, self.console_errors
        assert not self.dialogs, self.dialogs
        assert not self.outside_requests, self.outside_requests
        assert self.page.get_by_test_id("stException").count() == 0
        assert self.main.get_by_text("Something went wrong").count() == 0


@pytest.fixture
def app(browser, app_server):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield BrowserApp(page, app_server)
    finally:
        context.close()


@pytest.fixture
def registry(app_server, e2e_registry):
    """The server's (scratch) registry, read from the test's side."""
    from tagger.store.registry import Registry

    return Registry(e2e_registry)


@pytest.fixture(scope="session")
def tagger_cache():
    """Taggers loaded in the test process, to compute what the page must show."""
    from tagger.model.predictor import Tagger

    loaded = {}

    def load(path: Path):
        key = (str(path), (path / "metadata.json").stat().st_mtime_ns)
        if key not in loaded:
            loaded[key] = Tagger.load(path)
        return loaded[key]

    return load
