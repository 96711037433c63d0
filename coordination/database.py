"""Database engine set-up and write transactions that survive concurrent writers.

SQLite: WAL lets readers run beside one writer; a write transaction must start
with BEGIN IMMEDIATE, otherwise a reader that later writes fails at once with
"database is locked" instead of waiting for the busy timeout. We take over
pysqlite's own transaction handling (the SQLAlchemy recipe) so we choose the
BEGIN ourselves. PostgreSQL needs none of this.

Writers queue on an flock of a file beside the database before BEGIN IMMEDIATE. SQLite's
own busy handler polls with growing sleeps (1, 2, 5 … 100 ms), so under load the lock sat
idle while every waiter slept; a blocked flock wakes the next writer as soon as the lock
is let go, in whatever worker process it waits.
"""
import contextvars
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

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

    queue = _writer_queue(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = _immediate.get()
        conn.info["immediate"] = immediate
        if immediate and queue:
            queue.wait(conn.connection.dbapi_connection)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if queue:
        # released when the transaction ends, however it ends (the commit itself follows
        # at once; a writer woken in between meets the busy timeout for a moment)
        for name in ("commit", "rollback"):
            event.listen(engine, name, lambda conn: queue.leave(conn.connection.dbapi_connection))

        @event.listens_for(engine.pool, "reset")
        def _on_reset(dbapi_conn, _record, _state):
            queue.leave(dbapi_conn)

        @event.listens_for(engine.pool, "close")
        def _on_close(dbapi_conn, _record):
            queue.close(dbapi_conn)


class _WriterQueue:
    """An exclusive flock per write transaction, one open file per DBAPI connection (flock
    excludes open files, so threads with their own connections exclude each other too).

    Only a queue for speed: BEGIN IMMEDIATE still guards every write, so a writer that
    skips the queue (a raw connection, another program) is safe, only slower."""

    def __init__(self, path: str):
        self.path = path
        self.files: dict[int, int] = {}

    def wait(self, dbapi_conn) -> None:
        fd = self.files.get(id(dbapi_conn))
        if fd is None:
            fd = self.files[id(dbapi_conn)] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)

    def leave(self, dbapi_conn) -> None:
        fd = self.files.get(id(dbapi_conn))
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self, dbapi_conn) -> None:
        fd = self.files.pop(id(dbapi_conn), None)
        if fd is not None:
            os.close(fd)


def _writer_queue(database: str | None) -> _WriterQueue | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return _WriterQueue(database + "-writers.lock")


_in_write = contextvars.ContextVar("in_write_transaction", default=False)


def _begin_write() -> None:
    """Make the session's transaction a write transaction (SQLite: BEGIN IMMEDIATE).

    A read transaction begun plainly (the request's authentication, a GET, a CLI
    command, a job) is ended first: it has nothing pending (write_transaction checked),
    and SQLite cannot upgrade it to a writer without failing. So the write lock is held only for the action itself, as on PostgreSQL:
    an action re-reads what it decides on inside its transaction.
    """
    if db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    if session.in_transaction():
        if session.connection().info.get("immediate"):
            return
        # end the read without expiring what it loaded (the signed-in user, say): reloading
        # it would only lengthen the write that follows
        session.expire_on_commit, keep = False, session.expire_on_commit
        try:
            session.commit()
        finally:
            session.expire_on_commit = keep
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
