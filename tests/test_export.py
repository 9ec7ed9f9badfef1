"""The SavedModel export: TensorFlow can load it, and its signatures score exactly like the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tagger import Tagger, cli
from tagger.model.export import SIGNATURE, TEXT_SIGNATURE, ServedModel, export_savedmodel, pad_tokens, rest_request
from tests.core_fixtures import real_questions, site_packages_without, train_small

PLAIN_TF = Path(__file__).resolve().parent / "plain_tf_serving.py"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    # The question's filter (nouns + gerunds), so titles with no kept tokens occur too.
    train_small(root / "model", rows=500, epochs=2, pos="NN,NNS,VBG")
    out = export_savedmodel(Tagger.load(root / "model"), root / "served")
    return Tagger.load(root / "model"), out


@pytest.fixture(scope="module")
def held_out_tokens(exported):
    tagger, _ = exported
    titles = real_questions().title.tolist()[-150:]  # rows the model never saw
    token_lists = tagger.tokens_many(titles)
    # Edge cases: no tokens, only unknown tokens, longer than max_len, a vocabulary word repeated.
    word = tagger.vocabulary[0]
    extra = [[], ["zzz-not-a-word"], [word] * (tagger.max_len + 7), ["zzz-not-a-word", word]]
    return token_lists + extra


def test_tf_saved_model_load_and_signatures(exported):
    import tensorflow as tf

    tagger, path = exported
    loaded = tf.saved_model.load(str(path))
    assert {SIGNATURE, TEXT_SIGNATURE} <= set(loaded.signatures)
    sig = loaded.signatures[SIGNATURE]
    spec = sig.structured_input_signature[1]["tokens"]
    assert spec.dtype == tf.string and spec.shape.as_list() == [None, None]
    assert sig.structured_outputs["probabilities"].shape.as_list() == [None, len(tagger.tags)]
    assert (path / "tags.txt").read_text(encoding="utf-8").split() == tagger.tags
    client = json.loads((path / "token_config.json").read_text(encoding="utf-8"))
    assert client["token_config"] == tagger.config.to_dict() and client["max_len"] == tagger.max_len
    assert (path / "saved_model.pb").is_file() and (path / "variables").is_dir()


def test_outputs_equal_the_apps(exported, held_out_tokens):
    tagger, path = exported
    served = ServedModel(path)
    assert served.tags == tagger.tags
    expected = tagger.predict_proba(held_out_tokens)
    got = served.predict_proba(held_out_tokens)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert not got[len(held_out_tokens) - 4].any()  # no tokens: nothing to say, like the app
    # The ranking the app shows comes out the same.
    for row_a, row_b in zip(expected[:50], got[:50], strict=False):
        assert [t for t, _ in tagger.ranked(row_a, 5)] == [t for t, _ in tagger.ranked(row_b, 5)]


def test_text_signature_equals_token_signature(exported, held_out_tokens):
    import tensorflow as tf

    tagger, path = exported
    loaded = tf.saved_model.load(str(path))
    text = tf.constant([" ".join(t) for t in held_out_tokens])
    got = loaded.signatures[TEXT_SIGNATURE](tokens_text=text)["probabilities"].numpy()
    np.testing.assert_allclose(got, tagger.predict_proba(held_out_tokens), atol=1e-5)


def test_suggest_through_the_export_matches_tagger_suggest(exported):
    tagger, path = exported
    served = ServedModel(path)
    for title in real_questions().title.tolist()[-20:]:
        got = tagger.ranked(served.predict_proba([tagger.tokens(title)])[0], 5)
        expected = tagger.suggest(title, 5)
        assert [t for t, _ in got] == [t for t, _ in expected]
        assert [p for _, p in got] == pytest.approx([p for _, p in expected], abs=1e-5)


def test_a_plain_tensorflow_process_serves_the_export_like_the_app(exported, held_out_tokens, tmp_path):
    tagger, _ = exported
    # TF Serving's layout: a model base path holding integer version directories.
    base = tmp_path / "models" / "tagger"
    export_savedmodel(tagger, base / "1")
    (base / "README").write_text("not a version: ignored")
    request = tmp_path / "request.json"
    request.write_text(json.dumps(rest_request(held_out_tokens)), encoding="utf-8")
    response = tmp_path / "response.json"
    # No project on the path, no site-packages of ours (-S), and Keras not installed as far as the
    # child can tell: `import tensorflow` alone must be enough to serve the model.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TF_CONFIG")}
    env["PYTHONPATH"] = str(site_packages_without(tmp_path / "site-packages-without-keras", ("keras", "tf_keras")))
    r = subprocess.run([sys.executable, "-S", str(PLAIN_TF), str(base), str(request), str(response)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    answer = json.loads(response.read_text(encoding="utf-8"))
    checked = answer["checked"]
    assert checked["imported"] == [] and checked["importable"] == []  # neither keras nor tagger
    assert checked["version"] == 1 and checked["output_names"] == ["probabilities"]
    assert checked["inputs"] == {"tokens": ["string", [None, None]]}
    got = np.asarray(answer["outputs"], dtype=np.float32)
    expected = tagger.predict_proba(held_out_tokens)
    assert got.shape == expected.shape
    print(f"plain TensorFlow vs the app: largest difference {np.abs(got - expected).max():.2g}")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert not got[len(held_out_tokens) - 4].any()  # the row with no tokens scores zeros, as in the app


def test_rest_request_is_tf_servings_columnar_format():
    body = rest_request([["bread", "rise"], []])
    assert body == {"signature_name": "serving_default", "inputs": {"tokens": [["bread", "rise"], ["", ""]]}}


def test_pad_tokens():
    assert pad_tokens([["a"], [], ["b", "c"]]) == [["a", ""], ["", ""], ["b", "c"]]
    assert pad_tokens([[]]) == [[""]]


def test_cli_export(exported, tmp_path, capsys):
    tagger, _ = exported
    out = tmp_path / "cli-export"
    assert cli.main(["export", "--model", str(tagger.path), "--out", str(out)]) == 0
    assert "exported" in capsys.readouterr().out
    assert (out / "saved_model.pb").is_file() and (out / "tags.txt").is_file()
    # A second export to the same place refuses unless asked to overwrite.
    assert cli.main(["export", "--model", str(tagger.path), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["export", "--model", str(tagger.path), "--out", str(out), "--overwrite"]) == 0
