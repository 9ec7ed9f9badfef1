"""bench/load_test.py still runs against the current pages: a tiny, untimed run (2 sessions, 1 suggestion)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_load_script_runs_and_reports(tmp_path, questions):
    if not Path("/usr/bin/chromium").is_file():
        pytest.skip("/usr/bin/chromium is missing: run `make browser`")
    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "bench/load_test.py", "--sessions", "2", "--requests", "1", "--retrain-sample", "300",
         "--retrain-epochs", "1", "--max-seconds", "600", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=700)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(out.read_text())
    assert list(report["phases"]) == ["idle (1 session)", "concurrent (2 sessions)",
                                      "concurrent + retrain (2 sessions)"]
    for name, phase in report["phases"].items():
        assert phase["errors"] == 0 and phase["ok"] == phase["requests"] > 0, (name, phase)
        assert 0 < phase["p50_s"] <= phase["p95_s"]
    assert report["memory"]["peak_mib"] > 100 and report["console_errors"] == 0
