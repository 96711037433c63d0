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

from .errors import InputError
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
        immediate = _immediate.get()
        conn.info["immediate"] = immediate
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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


_in_write = contextvars.ContextVar("in_write_transaction", default=False)


def _begin_write() -> None:
    """Make the session's transaction a write transaction (SQLite: BEGIN IMMEDIATE).

    A POST request already began IMMEDIATE (see above), so its reads and the write
    share one transaction. A read transaction begun plainly (a GET, a CLI command,
    a job) is ended first: it has nothing pending (operations only flush inside
    write_transaction), and SQLite cannot upgrade it to a writer without failing.
    """
    if db.engine.dialect.name != "sqlite":
        return
    if db.session().in_transaction():
        if db.session.connection().info.get("immediate"):
            return
        db.session.rollback()
    token = _immediate.set(True)
    try:
        db.session.connection()
    finally:
        _immediate.reset(token)


@contextmanager
def write_transaction(conflict: tuple[str, str] | None = None) -> Iterator[None]:
    """The one transaction helper: entry points run an operation inside it; it commits.

    Operations validate, change the session and flush, never commit. Nested use
    joins the outer transaction. Anything unflushed and uncommitted before it is a
    bug in the caller (a write outside an action), so it is refused loudly.
    `conflict=(field, code)`: a unique index refusing the write (a concurrent
    twin won the race that the operation's own check could not see) is a 409.
    """
    if _in_write.get():
        yield
        return
    if conflict:
        try:
            with write_transaction():
                yield
        except IntegrityError:
            raise InputError(409, {conflict[0]: conflict[1]}) from None
        return
    if db.session.new or db.session.deleted or any(
            db.session.is_modified(o) for o in db.session.dirty):
        raise RuntimeError("changes made outside write_transaction()")
    _begin_write()
    token = _in_write.set(True)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _in_write.reset(token)


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
