"""Fixtures: every test runs on SQLite and on PostgreSQL (TEST_BACKENDS narrows it).

The database is real. SQLite: a seeded template file copied per test.
PostgreSQL (127.0.0.1:5432, database `test`): schema created once, tables
emptied and re-seeded per test.
"""
import os
import re
import shutil
import threading
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import g
from sqlalchemy import create_engine, insert, text
from werkzeug.serving import make_server

from coordination import create_app
from coordination.auth.accounts import create_user, issue_token
from coordination.cli import seed_defaults
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
    """post_report('thatkhe', date='2025-10-08', figures={...}) → response."""
    def post(who, date="2025-10-08", figures=None, commune=None, **extra):
        body = {"event": "MATMO-2025", "commune": commune or {"thatkhe": "06040", "other": "06385"}.get(who, "06040"),
                "date": date, "submission_id": extra.pop("submission_id", str(uuid.uuid4())),
                "figures": figures or {}, **extra}
        return client.post("/api/v1/reports", json=body, headers=auth(who))
    return post


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
