"""Database engine set-up and write transactions that survive concurrent writers.

SQLite: WAL lets readers run beside one writer; a write transaction must start
with BEGIN IMMEDIATE, otherwise a reader that later writes fails at once with
"database is locked" instead of waiting for the busy timeout. We take over
pysqlite's own transaction handling (the SQLAlchemy recipe) so we choose the
BEGIN ourselves. PostgreSQL needs none of this.
"""
import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from .extensions import db

_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)
T = TypeVar("T")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def immediate_writes_for_unsafe_requests(app) -> None:
    """POST/PUT/PATCH/DELETE requests take the SQLite write lock at their first query.

    The body is read first, so a phone on a slow link never holds the lock
    while it uploads.
    """
    @app.before_request
    def _begin_immediate():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            request.get_data(cache=True)
            g._sqlite_immediate = _immediate.set(True)

    @app.teardown_request
    def _end_immediate(_exc):
        token = g.pop("_sqlite_immediate", None)
        if token is not None:
            _immediate.reset(token)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block in one write transaction, committed at the end.

    Ends any read transaction of the request first, so that on SQLite the
    write lock is taken up front (BEGIN IMMEDIATE) and waits its turn.
    """
    db.session.commit()
    token = _immediate.set(True)
    try:
        db.session.connection()
    finally:
        _immediate.reset(token)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def retry_on_conflict(fn: Callable[[], T], attempts: int = 4) -> T:
    """Run a write transaction again when a concurrent writer won a unique key race."""
    for attempt in range(attempts):
        try:
            with write_transaction():
                return fn()
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
