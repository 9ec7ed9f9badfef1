"""What a model server does with the export, in a process that has TensorFlow and nothing else.

Run by `tests/test_export.py` as `python -S tests/plain_tf_serving.py BASE REQUEST RESPONSE`, with a
module path that holds every installed package except Keras and not the project: it imports neither
`tagger` nor `keras`, and says so in its answer. Like TensorFlow Serving with
`--model_base_path=BASE`, it loads the highest integer version directory under BASE, reads a REST
predict body (`{"signature_name": ..., "inputs": {"tokens": [[...], ...]}}`), calls that signature
and writes the columnar response (`{"outputs": ...}`: one named output tensor, so its value alone).
"""

import importlib.util
import json
import sys
from pathlib import Path

import tensorflow as tf


def latest_version(base: Path) -> Path:
    """TF Serving's default version policy: the largest integer-named directory holding a SavedModel."""
    versions = [p for p in base.iterdir() if p.name.isdigit() and (p / "saved_model.pb").is_file()]
    if not versions:
        raise SystemExit(f"no version directory (BASE/<integer>/saved_model.pb) under {base}")
    return max(versions, key=lambda p: int(p.name))


def main(base: str, request_path: str, response_path: str) -> None:
    body = json.loads(Path(request_path).read_text(encoding="utf-8"))
    model_dir = latest_version(Path(base))
    signature = tf.saved_model.load(str(model_dir)).signatures[body.get("signature_name", "serving_default")]
    specs = signature.structured_input_signature[1]
    inputs = {name: tf.constant(body["inputs"][name], dtype=spec.dtype) for name, spec in specs.items()}
    outputs = {name: t.numpy().tolist() for name, t in signature(**inputs).items()}
    response = {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}
    response["checked"] = {
        "version": int(model_dir.name),
        "inputs": {n: [s.dtype.name, s.shape.as_list()] for n, s in specs.items()},
        "output_names": sorted(outputs),
        "imported": sorted({m.split(".")[0] for m in sys.modules} & {"keras", "tf_keras", "tagger"}),
        "importable": sorted(m for m in ("keras", "tf_keras", "tagger") if importlib.util.find_spec(m)),
    }
    Path(response_path).write_text(json.dumps(response), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
