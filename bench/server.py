"""The app as a child process on a free localhost port, for the browser tests and the load test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tagger.core.paths import REPO

START_TIMEOUT = 120  # seconds for the health check: the server imports pandas, sklearn, ... on a busy box


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` as a child process; `stop()` ends it (and only it). `root` is the checkout it
    runs from (this one by default; the bare-clone test passes a fresh clone)."""

    def __init__(self, port: int, env: dict, log_path: Path, extra_args: tuple[str, ...] = (), root: Path = REPO):
        self.port, self.log_path = port, log_path
        self.url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.fileWatcherType", "none", *extra_args]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"streamlit was not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
