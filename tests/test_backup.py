"""The province's data survives the server (issue 23).

A backup taken by `flask backup` while 20 communes keep reporting to gunicorn holds every
report acknowledged before it began, and a fresh database restored from it by
`flask restore` serves the same summary; restore refuses a file it cannot trust and a
database it would overwrite; retention keeps 14 days and 8 weeks; the daily job makes
one backup a day however often it runs.
"""
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask_migrate import stamp
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload

from conftest import PG_URL, ROOT, TZ, free_port, kill_server, login, make_app, send_report, start_gunicorn
from coordination.areas.models import Commune
from coordination.backup.files import backup_files, checksum_path
from coordination.backup.jobs import backup_job, take_backup
from coordination.backup.models import Backup
from coordination.backup.restore import tables_with_rows
from coordination.backup.retention import keep, prune
from coordination.deadlines.scheduler import build
from coordination.events import Event
from coordination.extensions import db
from coordination.reports.models import Report, ReportVersion

FLASK = Path(sys.executable).with_name("flask")
CLIENTS = 20
FIRST_DAY = 3  # reports each client sends for 7 October before moving on to the 8th
PAUSE = 0.2  # between a client's reports: officers, not a benchmark (leaves the CLI some CPU)


@pytest.fixture
def deployed(app):
    """The test database as a deployment has it: at the migrations' head revision. The
    fixtures build it with create_all, which makes exactly that schema
    (test_setup_commands::test_migrations_build_exactly_the_schema_of_the_models)."""
    stamp(directory=app.extensions["migrate"].directory, revision="head")
    return app


@pytest.fixture
def restored_url(backend, tmp_path):
    """A second, fresh database to restore into: a new file, or a new PostgreSQL database."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"{make_url(PG_URL).database}_restored"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def flask_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    """`flask --app app …` as an operator runs it: its own process, on the database `url`."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test"}
    return subprocess.run([str(FLASK), "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def get_json(port: int, path: str, token: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def stored_versions(url: str) -> dict[str, tuple]:
    """submission_id → (commune, date, version, channel, received_at, figures) in a database."""
    engine = create_engine(url)
    with Session(engine) as session:
        versions = session.scalars(select(ReportVersion).options(
            selectinload(ReportVersion.report), selectinload(ReportVersion.figures)))
        found = {v.submission_id: (v.report.commune_code, v.report.report_date.isoformat(),
                                   v.version, v.channel, v.received_at,
                                   sorted((f.indicator_code, f.value, f.carried) for f in v.figures))
                 for v in versions}
        torn = [r.id for r in session.scalars(select(Report).options(selectinload(Report.versions)))
                if [v.version for v in r.versions] != list(range(1, r.latest_version + 1))]
    engine.dispose()
    assert torn == [], "a report whose versions do not match its latest_version"
    return found


@contextmanager
def long_read(url: str):
    """A read transaction held open, as a long export holds one. On SQLite it keeps
    checkpoints from moving pages committed after it into the database file: they stay
    in the -wal file, which only a real backup (not a copy of the file) picks up."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database, isolation_level=None)
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM report_versions").fetchone()
        yield
        conn.close()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM report_versions"))
        yield
    engine.dispose()


def figures(n: int) -> dict:
    return {"houses_collapsed": n, "rice_damaged_ha": n * 0.25, "households_evacuated": 2 * n}


class Officers:
    """20 communes reporting to a served app at once, each its own client: three reports for
    7 October, then corrections for the 8th until stopped. Keeps every 201 with its time."""

    def __init__(self, port: int, token: str, communes: list[str]):
        self.port, self.token = port, token
        self.acknowledged: list[tuple[dict, float]] = []  # (body, when its 201 arrived)
        self.refused: list[int | None] = []
        self.lock, self.stopping, self.first_day = threading.Lock(), threading.Event(), threading.Semaphore(0)
        self.threads = [threading.Thread(target=self.report, args=(c,)) for c in communes]
        for t in self.threads:
            t.start()
        for _ in self.threads:
            assert self.first_day.acquire(timeout=60)

    def report(self, commune: str):
        n = 0
        while not self.stopping.is_set():
            n += 1
            body = {"event": "MATMO-2025", "commune": commune, "submission_id": str(uuid.uuid4()),
                    "date": "2025-10-07" if n <= FIRST_DAY else "2025-10-08", "figures": figures(n)}
            status = send_report(self.port, self.token, body)
            with self.lock:
                if status == 201:
                    self.acknowledged.append((body, time.monotonic()))
                else:
                    self.refused.append(status)
            if n == FIRST_DAY:
                self.first_day.release()
            time.sleep(PAUSE)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)

    def between(self, start: float, end: float) -> list[str]:
        return [b["submission_id"] for b, at in self.acknowledged if start <= at < end]


def test_a_backup_taken_while_20_communes_report_restores_every_report_acknowledged_before_it(
        deployed, tokens, matmo, tmp_path, restored_url):
    live_url = deployed.config["SQLALCHEMY_DATABASE_URI"]
    communes = db.session.scalars(select(Commune.code).order_by(Commune.code).limit(CLIENTS)).all()
    db.session.rollback()
    port, out = free_port(), tmp_path / "backups"
    server, restored_server, officers = start_gunicorn(live_url, port), None, None
    try:
        with long_read(live_url):  # an export reads all along
            officers = Officers(port, tokens["admin"], communes)
            time.sleep(0.5)  # the clients are on 8 October now
            began = time.monotonic()
            backup = flask_cli(live_url, "backup", "--to", str(out))
            ended = time.monotonic()
            time.sleep(1.0)  # the clients go on after the backup
            officers.stop()
        assert backup.returncode == 0, backup.stderr
        assert officers.refused == []
        assert len(officers.between(began, ended)) > CLIENTS  # it ran while the communes reported

        [dump] = backup_files(out)
        assert dump.name in backup.stdout and checksum_path(dump).exists()
        check = subprocess.run(["sha256sum", "-c", checksum_path(dump).name], cwd=out,
                               capture_output=True, text=True)
        assert check.returncode == 0 and f"{dump.name}: OK" in check.stdout

        restore = flask_cli(restored_url, "restore", str(dump))
        assert restore.returncode == 0, restore.stderr
        assert "Đã kiểm tra SHA-256 và khôi phục" in restore.stdout

        live, restored = stored_versions(live_url), stored_versions(restored_url)
        before = officers.between(0, began)
        assert len(before) > FIRST_DAY * CLIENTS
        missing = [s for s in before if s not in restored]
        assert missing == [], f"{len(missing)} reports acknowledged before the backup are not in it"
        assert all(restored[s] == live[s] for s in restored)  # versions and figures intact
        assert len(restored) < len(live)  # a snapshot of a moment: later reports are not in it

        # the restored service answers with the same summary as the original for 7 October,
        # whose reports were all acknowledged before the backup began
        restored_port = free_port()
        restored_server = start_gunicorn(restored_url, restored_port)
        path = "/api/v1/events/MATMO-2025/summary?date=2025-10-07"
        original = get_json(port, path, tokens["province"])
        answer = get_json(restored_port, path, tokens["province"])
        assert answer == original
        assert answer["reported"] == CLIENTS
        assert answer["totals"] == {k: v * CLIENTS for k, v in figures(FIRST_DAY).items()}
    finally:
        if officers:
            officers.stop()
        kill_server(server)
        if restored_server:
            kill_server(restored_server)


def test_restore_refuses_a_backup_it_cannot_check_and_a_database_it_would_overwrite(
        deployed, runner, matmo, tmp_path, restored_url):
    made = runner.invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert made.exit_code == 0, made.output
    [good] = backup_files(tmp_path / "backups")
    broken, unchecked = tmp_path / "broken" / good.name, tmp_path / "unchecked" / good.name
    for copy in (broken, unchecked):
        copy.parent.mkdir()
        copy.write_bytes(good.read_bytes())
    checksum_path(broken).write_bytes(checksum_path(good).read_bytes())
    data = bytearray(broken.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped on the way to the new machine
    broken.write_bytes(bytes(data))

    target = make_app(restored_url, tmp_path / "new-machine")
    with target.app_context():
        restore = target.test_cli_runner()
        refused = restore.invoke(args=["restore", str(broken)])
        assert refused.exit_code == 1
        assert "không khớp với tệp .sha256 đi kèm" in refused.output
        refused = restore.invoke(args=["restore", str(unchecked)])
        assert refused.exit_code == 1 and f"Thiếu tệp kiểm tra {good.name}.sha256" in refused.output
        assert tables_with_rows() == []  # nothing was written

        done = restore.invoke(args=["restore", str(good)])
        assert done.exit_code == 0, done.output
        assert db.session.scalar(select(Event.code)) == "MATMO-2025"
        db.session.execute(text("DELETE FROM report_figures"))  # later work on the new machine
        db.session.execute(text("UPDATE events SET name = 'Đã sửa sau khi khôi phục'"))
        db.session.commit()

        refused = restore.invoke(args=["restore", str(good)])
        assert refused.exit_code == 1
        assert "Cơ sở dữ liệu đích đã có dữ liệu" in refused.output and "--force" in refused.output
        assert db.session.scalar(select(Event.name)) == "Đã sửa sau khi khôi phục"
        db.session.rollback()

        forced = restore.invoke(args=["restore", str(good), "--force"])
        assert forced.exit_code == 0, forced.output
        assert db.session.scalar(select(Event.name)) == "Bão số 11 (Matmo) và mưa lũ"
        db.session.remove()
        db.engine.dispose()


def _series(days: int, hand_every: int = 0) -> list[datetime]:
    """One backup a day at 02:30 local from 1 June 2025, and one by hand at 10:15 every
    `hand_every` days."""
    start, times = datetime(2025, 6, 1, 2, 30, tzinfo=TZ), []
    for d in range(days):
        times.append(start + timedelta(days=d))
        if hand_every and d % hand_every == 0:
            times.append(start + timedelta(days=d, hours=7, minutes=45))
    return [t.astimezone(timezone.utc) for t in times]


def test_retention_keeps_the_newest_of_the_last_14_days_and_of_8_weeks_before_them():
    times = _series(200, hand_every=5)
    now = max(times) + timedelta(hours=1)
    kept = keep(times, now, TZ)

    def newest_between(first: date, last: date) -> datetime:
        return max(t for t in times if first <= t.astimezone(TZ).date() <= last)

    last_day = max(times).astimezone(TZ).date()
    days = [last_day - timedelta(days=k) for k in range(14)]
    monday = days[-1] - timedelta(days=days[-1].weekday())
    weeks = [monday - timedelta(weeks=k) for k in range(1, 9)]
    expected = ({newest_between(d, d) for d in days}
                | {newest_between(w, w + timedelta(days=6)) for w in weeks})
    assert len(kept) == 22 and kept == expected
    # the server down for a month: the backups from before the gap all stay
    assert keep(times, now + timedelta(days=30), TZ) == kept
    # a hand backup made before a risky change survives the next one the same day
    extra = max(times) + timedelta(hours=3)
    assert keep([*times, extra], extra, TZ) == kept | {extra}


def test_retention_deletes_the_other_backup_files_with_their_checksums(tmp_path):
    times = _series(100)
    for t in times:
        path = tmp_path / f"coordination-{t:%Y%m%dT%H%M%SZ}.sqlite"
        path.write_bytes(b"")
        checksum_path(path).write_text(f"{'0' * 64}  {path.name}\n")
    (tmp_path / "ghi-chu.txt").write_text("not a backup")
    removed = prune(tmp_path, max(times) + timedelta(hours=1), TZ, daily=14, weekly=8)
    assert len(removed) == 100 - 22
    left = backup_files(tmp_path)
    assert len(left) == 22 and all(checksum_path(p).exists() for p in left)
    assert not any(checksum_path(p).exists() for p in removed)
    assert len(list(tmp_path.glob("*.sha256"))) == 22 and (tmp_path / "ghi-chu.txt").exists()


def _day_rows():
    db.session.rollback()
    return [(b.scheduled_for, b.ok) for b in db.session.scalars(select(Backup).order_by(Backup.id))]


def test_the_daily_job_makes_one_backup_a_day_however_often_it_runs(deployed, matmo, at_local):
    job = build(deployed, BackgroundScheduler).get_job("backup")
    assert job.misfire_grace_time == 6 * 3600
    after = datetime(2025, 10, 8, 3, 0, tzinfo=TZ)
    assert job.trigger.get_next_fire_time(None, after) == datetime(2025, 10, 9, 2, 30, tzinfo=TZ)

    at_local(2025, 10, 9, 2, 30)
    runs: list = []
    twins = [threading.Thread(target=lambda: runs.append(backup_job(deployed))) for _ in range(2)]
    for t in twins:  # two schedulers at once
        t.start()
    for t in twins:
        t.join(timeout=120)
    at_local(2025, 10, 9, 7, 0)  # a late start within the misfire grace, or a restarted scheduler
    runs.append(backup_job(deployed))
    assert sum(run is not None for run in runs) == 1
    assert _day_rows() == [(date(2025, 10, 9), True)]
    at_local(2025, 10, 10, 1, 0)  # before 02:30 the due backup is still the 9th's
    assert backup_job(deployed) is None
    at_local(2025, 10, 10, 2, 30)
    assert backup_job(deployed) is not None
    assert _day_rows() == [(date(2025, 10, 9), True), (date(2025, 10, 10), True)]
    assert len(backup_files(Path(deployed.config["BACKUP_DIR"]))) == 2


def test_a_failed_backup_is_recorded_and_gives_its_day_back(deployed, runner, matmo, tmp_path,
                                                           at_local):
    at_local(2025, 10, 9, 2, 30)
    not_a_folder = tmp_path / "full-disk"
    not_a_folder.write_text("")
    deployed.config["BACKUP_DIR"] = str(not_a_folder)
    with pytest.raises(Exception, match="Sao lưu không thành công"):
        backup_job(deployed)
    failed = runner.invoke(args=["backup"])
    assert failed.exit_code == 1 and "Sao lưu không thành công" in failed.output
    db.session.rollback()
    rows = db.session.scalars(select(Backup).order_by(Backup.id)).all()
    assert [(r.ok, r.scheduled_for, r.finished_at is not None) for r in rows] == [(False, None, True)] * 2
    assert all(r.error for r in rows)
    deployed.config["BACKUP_DIR"] = str(tmp_path / "backups")
    at_local(2025, 10, 9, 3, 0)
    assert backup_job(deployed) is not None  # the same day, tried again
    assert _day_rows()[-1] == (date(2025, 10, 9), True)


def test_the_admin_page_shows_the_last_backup_and_warns_when_there_is_none_or_it_is_old(
        deployed, client, users, at_local):
    at_local(2025, 10, 8, 2, 30)
    login(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Chưa có bản sao lưu nào thành công" in page and "alert-warning" in page
    run = take_backup()
    at_local(2025, 10, 8, 9, 0)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"Bản sao lưu gần nhất: 02:30 08/10/2025 (6 giờ trước) — {run.path.name}" in page
    assert "alert-warning" not in page
    at_local(2025, 10, 9, 4, 31)  # 26 hours and a minute later: no backup since
    page = client.get("/admin/").get_data(as_text=True)
    assert "Bản sao lưu gần nhất đã cũ: 02:30 08/10/2025 (26 giờ trước)" in page
    assert "alert-warning" in page
