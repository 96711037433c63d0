"""Fixtures: every test runs on SQLite and on PostgreSQL (TEST_BACKENDS narrows it).

The database is real. SQLite: a seeded template file copied per test.
PostgreSQL (127.0.0.1:5432, database `test`): schema created once, tables
emptied and re-seeded per test.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import g
from sqlalchemy import create_engine, insert, text
from werkzeug.serving import make_server

from bench.browser import wait_until  # noqa: F401 (the browser tests import it from here)
from coordination import create_app
from coordination.auth.accounts import create_user, issue_token
from coordination.cli import seed_defaults
from coordination.deadlines.schedules import ensure_default_schedule
from coordination.database import write_transaction
from coordination.events import create_event
from coordination.extensions import db

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "mat-khau-an-toan-1"


def make_app(url: str, instance: Path, **config):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                       **config}, instance_path=str(instance))


class SqliteBackend:
    name = "sqlite"

    def __init__(self, workdir: Path):
        self.template = workdir / "template.sqlite"
        app = make_app(f"sqlite:///{self.template}", workdir)
        with app.app_context():
            db.create_all()
            with write_transaction():
                seed_defaults()
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.engine.dispose()

    def fresh(self, tmp_path: Path) -> str:
        target = tmp_path / "test.sqlite"
        shutil.copy(self.template, target)
        return f"sqlite:///{target}"


class PostgresBackend:
    name = "postgresql"

    def __init__(self, workdir: Path):
        app = make_app(PG_URL, workdir)
        with app.app_context():
            with db.engine.begin() as conn:  # drops tables of models since removed, alembic's too
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.create_all()
            with write_transaction():
                seed_defaults()
            self.seed = {t: [dict(r._mapping) for r in db.session.execute(t.select())]
                         for t in db.metadata.sorted_tables}
            db.engine.dispose()

    def fresh(self, tmp_path: Path) -> str:
        engine = create_engine(PG_URL)
        tables = db.metadata.sorted_tables
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))
            for table in tables:
                if self.seed[table]:
                    conn.execute(insert(table), self.seed[table])
                    _move_id_sequence_past_seed(conn, table)
        engine.dispose()
        return PG_URL


def _move_id_sequence_past_seed(conn, table) -> None:
    """Seed rows go back with their ids, so the id sequence must start after them."""
    if "id" in table.c and table.c.id.autoincrement in (True, "auto"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"(SELECT max(id) FROM \"{table.name}\"))"))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(request.param)
    return {"sqlite": SqliteBackend, "postgresql": PostgresBackend}[request.param](workdir)


def _fresh_globals():
    """Each request gets an empty `g`, as in production.

    The test keeps one app context open (for direct database access), and Flask
    reuses it for the test client's requests; without this, Flask-Login's user
    and Flask-WTF's CSRF token cached on `g` would leak from one request or
    client to the next.
    """
    g.__dict__.clear()


@pytest.fixture
def app(backend, tmp_path):
    app = make_app(backend.fresh(tmp_path), tmp_path)
    app.config["BACKEND"] = backend.name
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_globals)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app):
    """An admin, a province officer, and officers of Thất Khê (06040) and Hữu Lũng (06385)."""
    made = {
        "admin": create_user("admin", PASSWORD, "admin", full_name="Quản trị"),
        "province": create_user("tinh", PASSWORD, "province", full_name="Văn phòng BCH tỉnh"),
        "thatkhe": create_user("thatkhe", PASSWORD, "commune", "06040",
                               full_name="Nguyễn Văn An", phone="0912345678"),
        "other": create_user("huulung", PASSWORD, "commune", "06385",
                             full_name="Trần Thị Bình", phone="0987654321"),
    }
    db.session.commit()
    return made


@pytest.fixture
def tokens(users):
    made = {name: issue_token(user) for name, user in users.items()}
    db.session.commit()
    return made


@pytest.fixture
def auth(tokens):
    """auth('thatkhe') → headers for that user's bearer token."""
    return lambda who: {"Authorization": f"Bearer {tokens[who]}"}


@pytest.fixture
def gateway(app):
    """An SMS gateway account (role `gateway`) and its bearer headers: gateway["headers"]."""
    user = create_user("cong-sms", PASSWORD, "gateway", full_name="Cổng SMS tỉnh")
    token = issue_token(user)
    db.session.commit()
    return {"user": user, "token": token, "headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture
def matmo(app):
    """Bão số 11 (Matmo) và mưa lũ, from 6 October 2025, the whole province."""
    event = create_event({"code": "MATMO-2025", "name": "Bão số 11 (Matmo) và mưa lũ",
                          "type": "storm_flood", "start_date": "2025-10-06"})
    db.session.commit()
    return event


@pytest.fixture
def at_local():
    """at_local(2025, 10, 8, 13, 59) freezes the clock at that Asia/Ho_Chi_Minh time."""
    travellers = []

    def travel(*parts):
        traveller = time_machine.travel(datetime(*parts, tzinfo=TZ), tick=False)
        traveller.start()
        travellers.append(traveller)
        return traveller

    yield travel
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def post_report(client, auth):
    """post_report('thatkhe', date='2025-10-08', figures={...}) → response.

    With no figures at all it sends a "no damage" report (an empty one is refused)."""
    def post(who, date="2025-10-08", figures=None, commune=None, **extra):
        if figures is None:
            extra.setdefault("no_damage", True)
        body = {"event": "MATMO-2025", "commune": commune or {"thatkhe": "06040", "other": "06385"}.get(who, "06040"),
                "date": date, "submission_id": extra.pop("submission_id", str(uuid.uuid4())),
                "figures": figures or {}, **extra}
        return client.post("/api/v1/reports", json=body, headers=auth(who))
    return post


# --- Matmo stories shared by several test modules ----------------------------------

THATKHE, HUULUNG = "06040", "06385"
EVENT = "MATMO-2025"
PAYLOAD_NOTE = '=HYPERLINK("http://x","y")'


@pytest.fixture
def daily(matmo, users):
    schedule = ensure_default_schedule(matmo)
    db.session.commit()
    return schedule


@pytest.fixture
def damage(matmo, users, post_report, at_local):
    """Thất Khê reports on 7 and 8 Oct (corrected late on the 8th, with a formula-like note),
    Hữu Lũng only on the 7th (stale on the 8th), Đông Kinh (Kỳ Cùng) on the 8th via admin."""
    at_local(2025, 10, 7, 10, 0)
    for who, figures in (("thatkhe", {"houses_collapsed": 2, "rice_damaged_ha": 1.5, "people_dead": 1}),
                         ("other", {"houses_collapsed": 1, "households_evacuated": 12,
                                    "economic_loss_million_vnd": 1234.5})):
        assert post_report(who, date="2025-10-07", figures=figures).status_code == 201
    at_local(2025, 10, 8, 13, 0)
    assert post_report("thatkhe", figures={"houses_collapsed": 3, "rice_damaged_ha": 2.25,
                                           "people_dead": 1, "roads_damaged_m": 1500}).status_code == 201
    assert post_report("admin", commune="05977", figures={
        "houses_flooded": 1_200_000, "landslide_volume_m3": 12345.75}).status_code == 201
    at_local(2025, 10, 8, 15, 30)
    assert post_report("thatkhe", note=PAYLOAD_NOTE, figures={
        "houses_collapsed": 4, "rice_damaged_ha": 2.25, "people_dead": 1,
        "roads_damaged_m": 1500}).status_code == 201
    at_local(2025, 10, 8, 16, 0)


def api_summary(client, auth, **params) -> dict:
    response = client.get(f"/api/v1/events/{EVENT}/summary", query_string=params,
                          headers=auth("province"))
    assert response.status_code == 200
    return response.get_json()


def export(client, auth, fmt, who="province", **params):
    return client.get(f"/api/v1/events/{EVENT}/export",
                      query_string={"format": fmt, **params}, headers=auth(who))


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def post_form(client, url, data, page=None):
    """Post a form with the CSRF token of the page it is on (`page`, default `url`)."""
    token = csrf_from(client.get(page or url, follow_redirects=True).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


# --- real browser -----------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# --- real server processes (gunicorn, as in production) ----------------------------

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    """gunicorn serving the app on the database `url`, 2 workers × 4 threads, once it answers."""
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


def kill_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def send_report(port: int, token: str, body: dict) -> int | None:
    """POST /api/v1/reports to a served app: its status, or None when the server is down."""
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


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def offline_page(browser, live_server):
    """A page that can reach only the app: every other host is blocked and recorded."""
    def open_page(**context_options):
        context = browser.new_context(**context_options)
        blocked: list[str] = []

        def guard(route):
            if route.request.url.startswith(live_server):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.blocked_requests = blocked
        contexts.append(context)
        return page

    contexts: list = []
    yield open_page
    for context in contexts:
        context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


# --- relief ledger (issue 12) -------------------------------------------------------

RELIEF_NORMAL = ["06073", "06076", "06079", "06085", "06091", "06103", "06112", "06115",
                 "06124", "06148"]
# commune → the flags the Matmo relief story must raise there (and nowhere else)
RELIEF_EXPECTED_FLAGS = {
    "06040": set(), "06385": set(), "06001": {"over_delivered"}, "06004": {"over_distributed"},
    "06019": {"ration_out_of_norm"}, "06037": {"idle_stock"}, "06046": {"late_delivery"},
    "06058": {"late_delivery"}, **{code: set() for code in RELIEF_NORMAL}}


@pytest.fixture
def relief_matmo(client, auth, matmo, at_local):
    """Quyết định 2206/QĐ-UBND: 2.000 tấn gạo for 18 communes of Lạng Sơn, handed over and
    distributed by village; the clock stands at 16/10/2025 15:00. Returns a poster for
    more distributions: relief_matmo.distribute(who, **body) → response."""
    at_local(2025, 10, 16, 15, 0)
    url = "/api/v1/events/MATMO-2025/relief"
    lines = [{"commune": code, "quantity": 130_000 if code == "06385" else 110_000}
             for code in RELIEF_EXPECTED_FLAGS]
    made = client.post(url + "/allocations", headers=auth("province"), json={
        "decision_no": "2206/QĐ-UBND", "decision_date": "2025-10-09", "item": "gao",
        "unit": "kg", "deadline": "2025-10-12", "lines": lines})
    assert made.status_code == 201, made.get_json()

    def deliver(commune, quantity, day, document_no, **extra):
        r = client.post(url + "/deliveries", headers=auth("province"), json={
            "commune": commune, "item": "gao", "quantity": quantity, "date": day,
            "document_no": document_no, **extra})
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def distribute(who, commune, day, village, people, quantity, households=None, **extra):
        body = {"commune": commune, "item": "gao", "date": day, "village": village,
                "households": households if households is not None else people // 4,
                "people": people, "quantity": quantity,
                "submission_id": extra.pop("submission_id", str(uuid.uuid4())), **extra}
        return client.post(url + "/distributions", headers=auth(who), json=body)

    def given(*args, **kwargs):
        r = distribute(*args, **kwargs)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    deliver("06040", 60_000, "2025-10-10", "BB-01/BCHQS")      # Thất Khê: two trips, full
    deliver("06040", 50_000, "2025-10-11", "BB-02/BCHQS")
    given("thatkhe", "06040", "2025-10-11", "Thôn Bản Rẹ", 1_000, 15_000, households=250)
    given("thatkhe", "06040", "2025-10-13", "Thôn Nà Pàn", 2_000, 30_000, households=500)
    given("thatkhe", "06040", "2025-10-15", "Khu phố 1", 3_000, 45_000, households=760)
    deliver("06385", 100_000, "2025-10-11", "BB-03/BCHQS",     # Hữu Lũng: short, with reason
            shortfall_reason="Kho dự trữ chỉ còn 100 tấn cho đợt này")
    given("other", "06385", "2025-10-12", "Thôn Đồng Tiến", 2_700, 40_000)
    given("other", "06385", "2025-10-16", "Thôn Ba Nàng", 3_000, 45_000)
    deliver("06001", 120_000, "2025-10-10", "BB-04/BCHQS")     # Đoàn Kết: above allocation
    given("province", "06001", "2025-10-11", "Thôn Khau Ràng", 8_000, 120_000)
    deliver("06004", 110_000, "2025-10-10", "BB-05/BCHQS")     # Quốc Khánh: above delivered
    given("province", "06004", "2025-10-11", "Thôn Nà Cạn", 7_400, 110_000)
    given("province", "06004", "2025-10-14", "Thôn Bản Piát", 130, 2_000,
          reason="Tạm ứng gạo dự trữ của xã cho hộ bị cô lập")
    deliver("06019", 110_000, "2025-10-10", "BB-06/BCHQS")     # Tân Tiến: 22 kg per person
    given("province", "06019", "2025-10-11", "Thôn Pác Khuông", 5_000, 110_000)
    deliver("06037", 110_000, "2025-10-10", "BB-07/BCHQS")     # Kháng Chiến: stock idle
    given("province", "06037", "2025-10-12", "Thôn Nà Hán", 3_400, 50_000)
    # Tràng Định (06046): nothing delivered by the deadline
    deliver("06058", 110_000, "2025-10-13", "BB-08/BCHQS")     # Quốc Việt: after the deadline
    given("province", "06058", "2025-10-14", "Thôn Bó Lếch", 7_400, 110_000)
    for n, code in enumerate(RELIEF_NORMAL):
        deliver(code, 110_000, "2025-10-11", f"BB-{10 + n}/BCHQS")
        given("province", code, "2025-10-12", "Thôn Trung Tâm", 7_400, 110_000)
    return SimpleNamespace(distribute=distribute, url=url, allocation=made.get_json())
