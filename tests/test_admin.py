"""The admin gate below the UI: with a password set, the registry refuses activate, delete and overwrite
without an admin grant; the password comes from the environment or a secrets.toml and never shows."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from tagger.store import admin
from tagger.store.registry import AdminRequired, RegistryError
from tests.core_fixtures import registry_of

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def registry(tmp_path, small_model):
    return registry_of(tmp_path / "models", small_model, ["shipped-one", "saved-one", "saved-two"],
                       shipped=["shipped-one"])


@pytest.fixture
def gated(monkeypatch):
    monkeypatch.setenv(admin.ENV, PASSWORD)


def test_local_mode_lets_everyone_change_models(registry):
    assert not admin.gate_enabled()
    assert admin.is_admin(None)
    registry.activate("saved-one")
    registry.delete("saved-one")
    assert registry.active_name() == "shipped-one" and "saved-one" not in registry.names()


def test_with_a_password_the_registry_refuses_without_a_grant(registry, gated):
    assert admin.gate_enabled() and not admin.is_admin(None)
    with pytest.raises(AdminRequired, match="only an admin can choose the server's default model: enter the admin "
                                            "password"):
        registry.activate("saved-one")
    with pytest.raises(AdminRequired, match="only an admin can delete a model"):
        registry.delete("saved-one")
    tagger = registry.load("saved-two")
    with pytest.raises(AdminRequired, match="only an admin can overwrite the model 'saved-one'"):
        registry.save(tagger, "saved-one", overwrite=True)
    with pytest.raises(RegistryError, match="shipped"):
        registry.save(tagger, "shipped-one", overwrite=True, grant=admin.unlock(PASSWORD))
    assert registry.active_name() == "shipped-one"
    assert {"saved-one", "saved-two"} <= set(registry.names())
    # A wrong password gives no grant; a grant from elsewhere than `unlock` is not one either.
    assert admin.unlock("wrong") is None and admin.unlock("") is None and admin.unlock(PASSWORD + " ") is None
    with pytest.raises(AdminRequired):
        registry.activate("saved-one", grant="yes, admin")


def test_the_right_password_grants_every_admin_change(registry, gated):
    grant = admin.unlock(PASSWORD)
    assert grant is not None and admin.is_admin(grant)
    registry.activate("saved-one", grant=grant)
    assert registry.active_name() == "saved-one"
    registry.save(registry.load("saved-two"), "saved-one", overwrite=True, grant=grant)
    registry.delete("saved-one", grant=grant)
    assert "saved-one" not in registry.names() and registry.active_name() == "shipped-one"


def test_a_new_password_ends_old_grants(monkeypatch, registry, gated):
    grant = admin.unlock(PASSWORD)
    monkeypatch.setenv(admin.ENV, "a different password")
    assert not admin.is_admin(grant)
    with pytest.raises(AdminRequired):
        registry.delete("saved-one", grant=grant)
    # A grant made in local mode is worth nothing once a password is set.
    monkeypatch.delenv(admin.ENV)
    local = admin.unlock("anything")
    monkeypatch.setenv(admin.ENV, PASSWORD)
    assert not admin.is_admin(local)


def test_password_from_secrets_toml(monkeypatch, tmp_path, registry):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'other = "x"\nadmin_password = "{PASSWORD}"\n')
    monkeypatch.setenv("TAGGER_SECRETS", str(secrets))
    assert admin.gate_enabled()
    with pytest.raises(AdminRequired):
        registry.activate("saved-one")
    assert admin.unlock("wrong") is None
    registry.activate("saved-one", grant=admin.unlock(PASSWORD))
    # The environment wins over the file.
    monkeypatch.setenv(admin.ENV, "from the environment")
    assert admin.unlock(PASSWORD) is None and admin.unlock("from the environment") is not None
    # An empty value counts as not set.
    monkeypatch.setenv(admin.ENV, "")
    secrets.write_text('admin_password = ""\n')
    assert not admin.gate_enabled()


def test_secrets_are_read_where_streamlit_reads_them(monkeypatch, tmp_path):
    monkeypatch.delenv("TAGGER_SECRETS")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert admin.paths.secrets_files() == [tmp_path / "home" / ".streamlit" / "secrets.toml",
                                          tmp_path / ".streamlit" / "secrets.toml",
                                          REPO / ".streamlit" / "secrets.toml"]


@pytest.mark.parametrize("text, problem", [
    ('admin_password = "unterminated\n', "can't be read as TOML"),
    ("admin_password = 1234\n", "must be a string"),
])
def test_a_broken_secrets_file_fails_closed(monkeypatch, tmp_path, registry, text, problem):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(text)
    monkeypatch.setenv("TAGGER_SECRETS", str(secrets))
    with pytest.raises(admin.AdminError, match=re.escape(problem)):
        admin.gate_enabled()
    with pytest.raises(RegistryError, match=re.escape(str(secrets))) as err:
        registry.activate("saved-one")
    assert "1234" not in str(err.value) and "unterminated" not in str(err.value)
    assert registry.active_name() == "shipped-one"


def test_the_password_never_shows(registry, gated, caplog):
    caplog.set_level(logging.DEBUG)
    grant = admin.unlock(PASSWORD)
    messages = [repr(grant), repr(admin.unlock("wrong"))]
    for call in (lambda: registry.activate("saved-one"), lambda: registry.delete("saved-two")):
        with pytest.raises(AdminRequired) as err:
            call()
        messages.append(str(err.value))
    registry.activate("saved-one", grant=grant)
    assert all(PASSWORD not in m for m in messages + [r.getMessage() for r in caplog.records])
    assert PASSWORD not in json.dumps(json.loads((registry.root / "active.json").read_text()))


def test_the_command_line_acts_as_the_operator(registry, gated):
    registry.activate("saved-two", grant=admin.operator_grant())
    assert registry.active_name() == "saved-two"


def test_pages_never_use_the_operator_grant():
    """The operator grant is for the command line only: no page or UI module may hand it out."""
    files = [*REPO.glob("pages/*.py"), *REPO.glob("tagger/ui/*.py"), REPO / "app.py"]
    assert files and not [f for f in files if "operator_grant" in f.read_text()]
