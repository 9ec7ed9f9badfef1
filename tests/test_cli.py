"""The command line, run as users run it: exit codes, one-line errors, JSON output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tagger.text import tokens as tok
from tests.core_fixtures import real_questions, train_small

REPO = Path(__file__).resolve().parents[1]


def cli(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "tagger", *map(str, args)], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "m"
    train_small(out, rows=600, epochs=3)
    return out


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "small.csv"
    df = real_questions().iloc[1000:1150]
    df.assign(tags=df.tags.str.join(" "))[["id", "title", "tags"]].to_csv(path, index=False)
    return path


def test_train_writes_a_model_directory(tmp_path, small_csv):
    out = tmp_path / "trained"
    r = cli("train", "--data", small_csv, "--out", out, "--pos", "all", "--epochs", "1", "--seed", "5")
    assert r.returncode == 0, r.stderr
    assert "saved" in r.stdout
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["token_config"]["pos_tags"] is None
    assert meta["hparams"]["epochs"] == 1 and meta["hparams"]["seed"] == 5
    assert meta["training_data"]["rows"] == 150
    assert "Traceback" not in r.stderr


def test_train_takes_the_recipe_options(tmp_path, small_csv):
    out = tmp_path / "trained"
    r = cli("train", "--data", small_csv, "--out", out, "--pos", "all", "--epochs", "1", "--bag-dim", "0",
            "--optimizer", "adam", "--members", "2", "--ensemble-loss", "each")
    assert r.returncode == 0, r.stderr
    hp = json.loads((out / "metadata.json").read_text())["hparams"]
    assert (hp["bag_dim"], hp["optimizer"], hp["members"], hp["ensemble_loss"]) == (0, "adam", 2, "each")


def test_evaluate_json(model_dir, small_csv):
    r = cli("evaluate", "--model", model_dir, "--data", small_csv, "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert set(result) == {"p_at_1", "p_at_5", "r_at_5", "micro_f1", "n"}
    assert result["n"] == 150 and 0 <= result["p_at_1"] <= 1


def test_suggest_json_and_text(model_dir):
    r = cli("suggest", "--model", model_dir, "--k", "3", "--json", "How long can I keep bread dough in the fridge?")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["tags"]) == 3
    probs = [t["probability"] for t in out["tags"]]
    assert probs == sorted(probs, reverse=True)
    assert "bread" in out["tokens"]
    r = cli("suggest", "--model", model_dir, "What is this?")
    assert r.returncode == 0 and "the filter kept no words" in r.stdout
    # Words it never saw: no base rates dressed up as suggestions.
    r = cli("suggest", "--model", model_dir, "--json", "Как испечь хлеб?")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["tags"] == [] and "knows none of these words" in out["note"]


def test_tokens_follow_the_model_config(model_dir):
    r = cli("tokens", "--model", model_dir, "How much does potato starch affect a cheese sauce recipe?")
    assert r.stdout.split() == ["does", "potato", "starch", "affect", "cheese", "sauce", "recipe"]
    r = cli("tokens", "--pos", "NN,NNS,VBG", "How much does potato starch affect a cheese sauce recipe?")
    assert r.stdout.split() == ["starch", "sauce", "recipe"]


@pytest.mark.parametrize("args,message", [
    (["suggest", "--model", "/nonexistent/model", "x"], "not a model directory"),
    (["evaluate", "--model", "MODEL", "--data", "/nonexistent.csv"], "not found"),
    (["train", "--data", "EMPTY", "--out", "OUT"], "empty"),
    (["train", "--data", "CSV", "--out", "OUT", "--pos", "NN;JJ"], "invalid POS tag set"),
    (["suggest", "--model", "MODEL", "--k", "0", "x"], "--k must be at least 1"),
    (["train", "--data", "CSV", "--out", "OUT", "--bag-dim", "-1"], "bag_dim must be 0"),
])
def test_errors_exit_2_with_one_line(tmp_path, model_dir, small_csv, args, message):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    subst = {"MODEL": model_dir, "EMPTY": empty, "OUT": tmp_path / "out", "CSV": small_csv}
    r = cli(*[subst.get(a, a) for a in args])
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert "Traceback" not in r.stderr


WHERE = ("import nltk, tagger; from tagger.data import loaders; "
         "print(nltk.data.find('taggers/averaged_perceptron_tagger_eng/')); print(loaders.default_data_path())")


def test_defaults_resolve_inside_the_repository(tmp_path):
    """With NLTK_DATA and TAGGER_DATA unset, run from another folder with an empty home, the CLI finds the
    data and NLTK's tagger that ship in the repository, and nothing beside it."""
    env = {k: v for k, v in os.environ.items() if k not in ("NLTK_DATA", "TAGGER_DATA", "TAGGER_MODELS")}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args):
        r = subprocess.run([sys.executable, *args], cwd=elsewhere, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        return r.stdout

    tagger_dir, data = run("-c", WHERE).split()
    assert Path(tagger_dir) == REPO / "nltk_data" / "taggers" / "averaged_perceptron_tagger_eng"
    assert Path(data) == REPO / "data" / "cooking.csv.gz"
    suggested = json.loads(run("-m", "tagger", "suggest", "--json", "How long can I keep bread dough in the fridge?"))
    assert suggested["tokens"] and suggested["tags"] and all(0 <= t["probability"] <= 1 for t in suggested["tags"])
    title = "How much does potato starch affect a cheese sauce recipe?"
    expected = tok.tokens(title, tok.TokenConfig.from_pos("NN,NNS,VBG"))
    assert expected and run("-m", "tagger", "tokens", "--pos", "NN,NNS,VBG", title).split() == expected
    assert run("-m", "tagger", "split", "--out-dir", "split").strip() == (
        "10000 training and 2404 held-out questions in split")
    assert (elsewhere / "split" / "train.csv").is_file()
