"""The app in a separate server process that can be stopped and started again on one port.

A phone losing its network is the server becoming unreachable: Playwright's offline switch
does not cover requests made by a service worker, so tests and benchmarks of the offline
form stop this process instead (and start it again on the same port).
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVE = """
import sys
from werkzeug.serving import run_simple
from coordination import create_app
url, port, instance = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "offline-test-key"},
                 instance_path=instance)
run_simple("127.0.0.1", port, app, threaded=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """`python -c SERVE` on 127.0.0.1:port with the given database; start()/stop() repeatably."""

    def __init__(self, database_url: str, instance: Path, port: int | None = None, env=None):
        self.database_url = database_url
        self.instance = Path(instance)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = self.instance / "app-process.log"

    def start(self, timeout: float = 30) -> "AppProcess":
        self.instance.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVE, self.database_url, str(self.port), str(self.instance)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app process exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("app process did not answer /healthz")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def reachable(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                return True
        except OSError:
            return False
