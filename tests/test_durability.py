"""The promises of README "What the service promises", measured against a real server.

- Nothing acknowledged is lost: gunicorn is killed with SIGKILL three times while
  officers keep sending; every report that got 200/201 is in the database afterwards.
- Exactly once: a storm of 500 retries of 50 submissions stores 50 versions.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import json
from pathlib import Path

from sqlalchemy import func, select

from coordination.extensions import db
from coordination.reports.models import ReportVersion

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test"}
    process = subprocess.Popen(
        [str(GUNICORN), "--preload", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "app:app"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


def _send(port: int, token: str, body: dict) -> int | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/reports", data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # the server is down: the officer's phone keeps it and retries


def _body(commune: str, n: int) -> dict:
    return {"event": "MATMO-2025", "commune": commune, "date": "2025-10-08",
            "submission_id": str(uuid.uuid4()), "figures": {"houses_collapsed": n},
            "correction_reason": "số liệu cập nhật"}


def test_no_acknowledged_report_is_lost_after_kill_9_under_load(app, tokens, matmo):
    url, port = app.config["SQLALCHEMY_DATABASE_URI"], _free_port()
    acknowledged: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def officer(who: str, commune: str):
        n = 0
        while not stop.is_set():
            n += 1
            body = _body(commune, n)
            if _send(port, tokens[who], body) in (200, 201):
                with lock:
                    acknowledged.append(body["submission_id"])

    server = _start_gunicorn(url, port)
    threads = [threading.Thread(target=officer, args=args) for args in
               [("thatkhe", "06040"), ("other", "06385"), ("admin", "06019"), ("admin", "06046")]]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            time.sleep(1.5)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            server = _start_gunicorn(url, port)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    db.session.rollback()
    stored = set(db.session.scalars(select(ReportVersion.submission_id)))
    assert len(acknowledged) > 20  # the load really ran across the kills
    assert set(acknowledged) <= stored


def test_a_retry_storm_stores_each_submission_once(app, tokens, matmo, live_server):
    port = int(live_server.rsplit(":", 1)[1])
    bodies = [_body(c, 1) for c in ("06040", "06385", "06019", "06046", "06058")
              for _ in range(10)]  # 50 submissions of four communes, each sent 10 times
    statuses: list[int | None] = []
    lock = threading.Lock()
    queue = [b for b in bodies for _ in range(10)]

    def sender(offset: int):
        for body in queue[offset::8]:
            status = _send(port, tokens["admin"], body)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(statuses) == 500
    assert statuses.count(201) == 50 and statuses.count(200) == 450
    db.session.rollback()
    assert db.session.scalar(select(func.count(ReportVersion.id))) == 50
