"""Shared fixtures: a scratch model registry, so no test ever changes the real `models/`, and a scratch
state folder (TAGGER_STATE_DIR) for every test, so no test writes answers into the repository's `.state/`.

`scratch_registry` copies the shipped models into a temporary folder and points TAGGER_MODELS at it.
It always adds `tiny-all-words`, a small model (trained once per test session) that keeps every word
and is not shipped: it gives tests a second model whose tokens visibly differ from the default
nouns-and-gerunds filter, and one they may delete. Before any model ships, a tiny nouns-and-gerunds
model stands in as the shipped default.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.app_helpers import TINY, TINY_NOUNS, assert_clean

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "models"
# Settings that change what the app allows; every test starts without them (see `local_mode`).
SERVER_SETTINGS = ("TAGGER_ADMIN_PASSWORD", "TAGGER_MAX_MODELS_PER_SESSION", "TAGGER_MAX_VISITOR_MODELS")


@pytest.fixture(scope="session")
def no_secrets(tmp_path_factory) -> Path:
    """A secrets.toml path that does not exist: tests never read a developer's ~/.streamlit/secrets.toml."""
    return tmp_path_factory.mktemp("secrets") / "secrets.toml"


@pytest.fixture(autouse=True)
def local_mode(monkeypatch, no_secrets):
    """Every test starts in single-user local mode with the default quotas, whatever the shell has set;
    a test that needs an admin password or other limits sets them itself."""
    for name in SERVER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAGGER_SECRETS", str(no_secrets))


def _data_path() -> Path:
    from tagger.data import loaders

    path = loaders.default_data_path()
    if path is None or not Path(path).is_file():
        pytest.fail(f"the cooking questions are missing ({path}): data/cooking.csv.gz ships with the repository")
    return Path(path)


@pytest.fixture(autouse=True)
def scratch_state(tmp_path, monkeypatch) -> Path:
    """Every test's own state folder: the quiz's answers database lands here, never in the repo."""
    folder = tmp_path / "state"
    monkeypatch.setenv("TAGGER_STATE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def questions():
    """The real questions (id, title, tags), loaded once."""
    from tagger.data import loaders

    return loaders.load_questions(_data_path())[["id", "title", "tags"]]


@pytest.fixture(scope="session")
def body_rows():
    """The first 600 real questions with their bodies, as a title + body model reads them (all words, the
    first 24 body tokens): (hparams, titles' tokens, bodies' tokens, tags)."""
    from tagger.core import paths
    from tagger.data import loaders
    from tagger.model.network import HParams
    from tagger.text import cache, tokens as tok

    df = loaders.load_questions(paths.POSTS_FILE, limit=600)
    hp, config = HParams(body_len=24, max_len=16), tok.TokenConfig(pos_tags=None)
    return (hp, cache.tokens_many(df.title.tolist(), config),
            cache.body_tokens_many(df.body.tolist(), config, hp.body_len), df.tags.tolist())


@pytest.fixture(scope="session")
def small_model(tmp_path_factory) -> Path:
    """A small real model (400 questions, 1 epoch) for the registry tests to copy, trained once."""
    from tests.core_fixtures import train_small

    out = tmp_path_factory.mktemp("small-model") / "base"
    train_small(out, rows=400, epochs=1)
    return out


def _train_tiny(folder: Path, name: str, rows, pos) -> Path:
    """A small model (2 epochs, small layers) trained on `rows`: a few seconds."""
    from tagger.model.network import HParams
    from tagger.model.training import train_tagger
    from tagger.text import cache, tokens as tok

    config = tok.TokenConfig(pos_tags=pos)
    hp = HParams(epochs=2, filters=32, embedding_dim=32, kernel_sizes=(1, 2))
    tagger = train_tagger(cache.tokens_many(rows.title.tolist(), config), rows.tags.tolist(), config, hp,
                          data_info={"source": f"cooking.csv (first {len(rows):,})"})
    tagger.metadata["name"] = name
    return tagger.save(folder / name)


def _has_shipped_models() -> bool:
    try:
        listed = json.loads((SHIPPED / "shipped.json").read_text()).get("models", [])
    except (OSError, ValueError):
        return False
    return any((SHIPPED / n / "metadata.json").is_file() for n in listed)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, questions) -> dict[str, Path]:
    """`tiny-all-words` always; `tiny-nouns` too when no shipped model exists to be the default."""
    from tagger.text import tokens as tok

    folder = tmp_path_factory.mktemp("tiny")
    rows = questions.iloc[:1500]
    models = {TINY: _train_tiny(folder, TINY, rows, None)}
    if not _has_shipped_models():
        models[TINY_NOUNS] = _train_tiny(folder, TINY_NOUNS, rows, tok.DEFAULT_POS)
    return models


@pytest.fixture
def scratch_registry(tmp_path, monkeypatch, tiny_models):
    """A Registry over a copy of the shipped models plus `tiny-all-words`; TAGGER_MODELS points at it."""
    from tagger.store.registry import Registry

    root = tmp_path / "models"
    root.mkdir()
    if SHIPPED.is_dir():
        for item in SHIPPED.iterdir():
            if item.name.startswith(".") or item.name == "active.json":
                continue  # a developer's local choice of active model must not leak into tests
            if item.is_dir():
                shutil.copytree(item, root / item.name)
            elif item.is_file():
                shutil.copy2(item, root / item.name)
    for name, path in tiny_models.items():
        shutil.copytree(path, root / name)
    if TINY_NOUNS in tiny_models:
        # No shipped model yet (before `make models`): a tiny nouns model stands in as the shipped default.
        (root / "shipped.json").write_text(json.dumps({"models": [TINY_NOUNS], "default": TINY_NOUNS}))
    monkeypatch.setenv("TAGGER_MODELS", str(root))
    registry = Registry(root)
    assert registry.active_name() is not None
    return registry


TINY_BODY = "tiny-title-body"


@pytest.fixture(scope="session")
def tiny_body_model(tmp_path_factory) -> Path:
    """A small title + body model (the first 1,500 questions with their bodies, 2 epochs), trained once, with
    a wide branch, a neighbours branch, a rarity shift and the tag-name boost like the shipped one."""
    from tagger.core import paths
    from tagger.data import loaders
    from tagger.model.network import HParams
    from tagger.model.training import train_tagger
    from tagger.text import cache, tokens as tok

    rows = loaders.load_questions(paths.POSTS_FILE, limit=1500)
    config = tok.TokenConfig(pos_tags=None)
    hp = HParams(epochs=2, filters=32, embedding_dim=32, bag_dim=32, body_len=32, body_filters=16, wide=0.4,
                 knn=0.3, knn_k=20, rarity=0.3, mention_title=1.0, mention_body=0.25)
    tagger = train_tagger(cache.tokens_many(rows.title.tolist(), config), rows.tags.tolist(), config, hp,
                          body_lists=cache.body_tokens_many(rows.body.tolist(), config, hp.body_len),
                          body_config=config, data_info={"source": "cooking-posts.csv (first 1,500)"})
    tagger.metadata["name"] = TINY_BODY
    return tagger.save(tmp_path_factory.mktemp("tiny-body") / TINY_BODY)


@pytest.fixture
def body_registry(scratch_registry, tiny_body_model):
    """The scratch registry with `tiny-title-body` in it, beside any title + body model that ships."""
    if not (scratch_registry.root / TINY_BODY).exists():
        shutil.copytree(tiny_body_model, scratch_registry.root / TINY_BODY)
    return scratch_registry


@pytest.fixture
def open_app(scratch_registry):
    """open_app("suggest") -> an AppTest of app.py on that page, run once and checked for errors."""
    from streamlit.testing.v1 import AppTest

    def open_page(page: str | None = None):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
        if page:
            at.switch_page(f"pages/{page}.py").run()
        assert_clean(at)
        return at

    return open_page


@pytest.fixture
def clean():
    return assert_clean
