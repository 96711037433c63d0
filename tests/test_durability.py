"""The promises of README "What the service promises", measured against a real server.

- Nothing acknowledged is lost: gunicorn is killed with SIGKILL three times while
  officers keep sending; every report that got 200/201 is in the database afterwards.
- Exactly once: a storm of 500 retries of 50 submissions stores 50 versions.
"""
import threading
import time
import uuid

from sqlalchemy import func, select

from conftest import free_port, kill_server, send_report, start_gunicorn
from coordination.extensions import db
from coordination.reports.models import ReportVersion


def _body(commune: str, n: int) -> dict:
    return {"event": "MATMO-2025", "commune": commune, "date": "2025-10-08",
            "submission_id": str(uuid.uuid4()), "figures": {"houses_collapsed": n},
            "correction_reason": "số liệu cập nhật"}


def test_no_acknowledged_report_is_lost_after_kill_9_under_load(app, tokens, matmo):
    url, port = app.config["SQLALCHEMY_DATABASE_URI"], free_port()
    acknowledged: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def officer(who: str, commune: str):
        n = 0
        while not stop.is_set():
            n += 1
            body = _body(commune, n)
            if send_report(port, tokens[who], body) in (200, 201):
                with lock:
                    acknowledged.append(body["submission_id"])

    server = start_gunicorn(url, port)
    threads = [threading.Thread(target=officer, args=args) for args in
               [("thatkhe", "06040"), ("other", "06385"), ("admin", "06019"), ("admin", "06046")]]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            time.sleep(1.5)
            kill_server(server)
            server = start_gunicorn(url, port)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        kill_server(server)
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
            status = send_report(port, tokens["admin"], body)
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
