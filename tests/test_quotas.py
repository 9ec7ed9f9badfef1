"""Visitor quotas: a session's N+1st save is refused, the oldest visitor models make room beyond the total,
shipped and active models are never removed, and the folder stays within its cap."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tagger.core import atomic
from tagger.store import admin, quotas
from tagger.store.registry import QuotaExceeded, RegistryError
from tests.core_fixtures import registry_of

PASSWORD = "quota test password"


@pytest.fixture
def registry(tmp_path, small_model):
    return registry_of(tmp_path / "models", small_model, ["shipped-one", "shipped-two", "from-cli"],
                       shipped=["shipped-one", "shipped-two"])


@pytest.fixture
def limits(monkeypatch):
    def set_limits(per_session: int, total: int):
        monkeypatch.setenv(quotas.PER_SESSION_ENV, str(per_session))
        monkeypatch.setenv(quotas.TOTAL_ENV, str(total))
    return set_limits


def save(registry, name, session, grant=None):
    return registry.save_visitor(registry.load("from-cli"), name, session, grant=grant)


def visitor_names(registry):
    return sorted(v.name for v in registry.visitor_models())


def test_defaults_and_settings(monkeypatch):
    assert quotas.Limits.from_env() == quotas.Limits(quotas.DEFAULT_PER_SESSION, quotas.DEFAULT_TOTAL)
    monkeypatch.setenv(quotas.PER_SESSION_ENV, " 5 ")
    monkeypatch.setenv(quotas.TOTAL_ENV, "40")
    assert quotas.Limits.from_env() == quotas.Limits(5, 40)


@pytest.mark.parametrize("value", ["0", "-1", "three", "2.5"])
def test_a_bad_setting_is_named_and_refuses_saves(monkeypatch, registry, value):
    monkeypatch.setenv(quotas.TOTAL_ENV, value)
    with pytest.raises(quotas.LimitsError, match=f"{quotas.TOTAL_ENV} must be a whole number of at least 1"):
        quotas.Limits.from_env()
    with pytest.raises(RegistryError, match=quotas.TOTAL_ENV):
        save(registry, "mine", "session-a")
    with pytest.raises(RegistryError, match=quotas.TOTAL_ENV):
        registry.save_limits()
    assert visitor_names(registry) == []


def test_the_n_plus_first_save_of_a_session_is_refused(monkeypatch, registry, limits):
    monkeypatch.setenv(admin.ENV, PASSWORD)  # a public server: visitors have no grant
    limits(per_session=2, total=10)
    save(registry, "a1", "session-a")
    save(registry, "a2", "session-a")
    with pytest.raises(QuotaExceeded) as err:
        save(registry, "a3", "session-a")
    assert str(err.value) == ("not saved: this session has already saved 2 models, the most a visitor may keep on "
                              "this server (2). You can still train and compare models; an admin can delete old ones.")
    assert "a3" not in registry.names() and not list(registry.root.glob(".a3*"))
    save(registry, "b1", "session-b")  # another session has its own share
    save(registry, "a3", "session-a", grant=admin.unlock(PASSWORD))  # an admin is not limited
    assert visitor_names(registry) == ["a1", "a2", "a3", "b1"]


def test_local_mode_has_no_session_limit_but_keeps_the_total(registry, limits):
    limits(per_session=1, total=3)
    for i in range(4):
        save(registry, f"local-{i}", "the-only-user")
    assert visitor_names(registry) == ["local-1", "local-2", "local-3"]


def test_beyond_the_total_the_oldest_visitor_models_go_first(registry, limits):
    limits(per_session=5, total=3)
    pruned = []
    for i in range(6):
        pruned.append(save(registry, f"m{i}", f"session-{i % 2}").pruned)
        assert len(registry.visitor_models()) <= 3
    assert pruned == [[], [], [], ["m0"], ["m1"], ["m2"]]
    assert visitor_names(registry) == ["m3", "m4", "m5"]
    # Shipped and command-line models are neither counted nor removed.
    assert {"shipped-one", "shipped-two", "from-cli"} <= set(registry.names())
    meta = registry.load("m5").metadata
    assert meta["visitor"]["session"] == quotas.session_key("session-1") != "session-1"


def test_the_active_model_is_never_pruned(registry, limits):
    limits(per_session=5, total=2)
    save(registry, "old", "s")
    registry.activate("old")  # local mode: anyone may
    save(registry, "newer", "s")
    assert save(registry, "newest", "s").pruned == ["newer"]
    assert registry.active_name() == "old" and visitor_names(registry) == ["newest", "old"]


def test_a_save_that_cannot_make_room_is_refused_and_writes_nothing(registry, limits):
    limits(per_session=5, total=1)
    save(registry, "only", "s")
    registry.activate("only")
    before = sorted(p.name for p in registry.root.iterdir())
    with pytest.raises(QuotaExceeded, match="keeps at most 1 visitor models and none of them can be removed"):
        save(registry, "another", "s")
    assert sorted(p.name for p in registry.root.iterdir()) == before


def test_visitor_saves_never_overwrite(registry):
    save(registry, "taken", "s")
    with pytest.raises(RegistryError, match="already exists"):
        save(registry, "taken", "t")
    with pytest.raises(RegistryError, match="shipped"):
        save(registry, "shipped-one", "t")
    with pytest.raises(RegistryError, match="needs the session"):
        save(registry, "nobody", "")


HOLD_LOCK = textwrap.dedent("""
    import fcntl, sys
    with open(sys.argv[1], "a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("busy")
        else:
            print("free")
""")


def test_the_registry_lock_excludes_other_processes(registry):
    lock = registry.root / ".lock"

    def probe() -> str:
        return subprocess.run([sys.executable, "-c", HOLD_LOCK, str(lock)], capture_output=True, text=True,
                              timeout=60, check=True).stdout.strip()

    with atomic.locked(lock):
        assert probe() == "busy"
    assert probe() == "free"
    assert ".lock" not in registry.names()
