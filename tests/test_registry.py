"""The model registry: names can't escape, bad directories are reported, writes are atomic."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tagger.model.predictor import ModelError, Tagger, read_metadata
from tagger.store.registry import RegistryError, validate_name
from tests.core_fixtures import registry_of


@pytest.fixture
def registry(tmp_path, small_model):
    return registry_of(tmp_path / "models", small_model, ["shipped-one", "other"], shipped=["shipped-one"])


@pytest.mark.parametrize("name", ["", "..", "../x", "a/b", "/etc", ".hidden", "a" * 65, "spa ce", "x\x00", "é"])
def test_bad_names_are_refused(name):
    with pytest.raises(RegistryError, match="invalid model name"):
        validate_name(name)


def test_good_names():
    assert validate_name(" my-model_2.v1 ") == "my-model_2.v1"


def test_listing_reports_broken_directories(registry):
    root = registry.root
    (root / "empty").mkdir()
    (root / "foreign").mkdir()
    (root / "foreign" / "model.keras").write_bytes(b"PK junk")
    (root / "foreign" / "metadata.json").write_text('{"format": "someone-else"}')
    (root / ".half-written.tmp-1234").mkdir()
    entries = {e.name: e for e in registry.entries()}
    assert set(entries) == {"shipped-one", "other", "empty", "foreign"}
    assert "model.keras is missing" in entries["empty"].problem
    assert "not a Cooking Tagger model" in entries["foreign"].problem
    assert registry.names() == ["other", "shipped-one"]
    assert entries["shipped-one"].shipped and not entries["other"].shipped


def test_corrupted_weights_are_a_clear_error(registry):
    (registry.root / "other" / "model.keras").write_bytes(b"this is not a zip file")
    with pytest.raises(ModelError, match="could not be loaded"):
        registry.load("other")


def test_activate_and_fall_back(registry):
    assert registry.active_name() == "shipped-one"
    registry.activate("other")
    assert registry.active_name() == "other"
    assert json.loads((registry.root / "active.json").read_text()) == {"name": "other"}
    registry.delete("other")
    assert registry.active_name() == "shipped-one"
    with pytest.raises(RegistryError):
        registry.activate("nope")
    (registry.root / "active.json").write_text("{broken")
    assert registry.active_name() == "shipped-one"


def test_shipped_models_cannot_be_deleted_or_overwritten(registry):
    with pytest.raises(RegistryError, match="can't be deleted"):
        registry.delete("shipped-one")
    tagger = registry.load("other")
    with pytest.raises(RegistryError, match="shipped"):
        registry.save(tagger, "shipped-one", overwrite=True)
    with pytest.raises(RegistryError, match="already exists"):
        registry.save(tagger, "other")
    with pytest.raises(RegistryError, match="invalid model name"):
        registry.save(tagger, "../escape")
    assert not (registry.root.parent / "escape").exists()


def test_save_new_and_load(registry):
    tagger = registry.load("other")
    registry.save(tagger, "copy")
    assert "copy" in registry.names()
    assert read_metadata(registry.root / "copy")["name"] == "copy"
    assert Tagger.load(registry.root / "copy").tags == tagger.tags


KILLER = textwrap.dedent("""
    import sys, time
    from tagger.store.registry import Registry
    reg = Registry(sys.argv[1])
    tagger = reg.load("other")
    real_save = type(tagger.model).save
    def slow_save(self, *a, **k):
        real_save(self, *a, **k)
        print("WRITING", flush=True)
        time.sleep(60)  # the parent kills us here, mid-write
    type(tagger.model).save = slow_save
    reg.save(tagger, sys.argv[2], overwrite=True)
""")


@pytest.mark.parametrize("target", ["new-model", "other"])
def test_sigkill_mid_save_leaves_only_complete_models(registry, target):
    registry.activate("other")
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(registry.root), target],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        deadline = time.time() + 120
        line = ""
        while time.time() < deadline and "WRITING" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
        assert "WRITING" in line, "the saving process never reached the write"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    # The unfinished directory is hidden and the registry sees only complete models.
    assert registry.names() == ["other", "shipped-one"]
    assert all(e.metadata is not None for e in registry.entries())
    assert registry.active_name() == "other"
    assert registry.load("other").suggest("How do I knead bread dough?", k=1)
