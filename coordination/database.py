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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

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

    @event.listens_for(engine, "connect")
    def _remember_queue(_dbapi_conn, record):
        record.info["writer_queue"] = queue

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        _begin(conn, immediate=_immediate.get())

    if queue:
        @event.listens_for(engine.pool, "reset")
        def _on_reset(_dbapi_conn, _record, _state):
            _leave_queue()  # a connection given back mid-transaction (an error path)

        @event.listens_for(engine.pool, "close")
        def _on_close(dbapi_conn, _record):
            queue.close(dbapi_conn)


class _WriterQueue:
    """An exclusive flock per write transaction, one open file per DBAPI connection (flock
    excludes open files, so threads with their own connections exclude each other too).

    Only a queue for speed: BEGIN IMMEDIATE still guards every write, so a writer that
    skips the queue (a raw connection, another program) is safe, only slower. Write
    transactions are the session's (see lock_for_write), so the queue is left after the
    session's COMMIT or ROLLBACK has run: the next writer never meets a lock still held.
    """

    def __init__(self, path: str):
        self.path = path
        self.files: dict[int, int] = {}

    def wait(self, dbapi_conn) -> None:
        if getattr(_held, "fd", None) is not None:
            return  # this thread queued already: never wait for ourselves
        fd = self.files.get(id(dbapi_conn))
        if fd is None:
            fd = self.files[id(dbapi_conn)] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.fd = fd

    def close(self, dbapi_conn) -> None:
        fd = self.files.pop(id(dbapi_conn), None)
        if fd is not None:
            os.close(fd)


_held = threading.local()  # the queue file this thread's write transaction holds


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _leave_queue(*_args) -> None:
    fd = getattr(_held, "fd", None)
    if fd is not None:
        _held.fd = None
        fcntl.flock(fd, fcntl.LOCK_UN)


def _writer_queue(database: str | None) -> _WriterQueue | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return _WriterQueue(database + "-writers.lock")


_in_write = contextvars.ContextVar("in_write_transaction", default=False)


def _pending(session) -> bool:
    return bool(session.new or session.deleted
                or any(session.is_modified(o) for o in session.dirty))


def _begin(connection, immediate: bool) -> None:
    """BEGIN on a SQLite connection; a writer (IMMEDIATE) queues first (see _WriterQueue).
    The changes counter at BEGIN lets lock_for_write() tell that a read wrote nothing."""
    dbapi_conn = connection.connection.dbapi_connection
    queue = connection.connection.info.get("writer_queue")
    if immediate and queue:
        queue.wait(dbapi_conn)
    dbapi_conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    connection.info["immediate"] = immediate
    connection.info["changes_at_begin"] = dbapi_conn.total_changes


def lock_for_write() -> None:
    """From here on the transaction holds the write lock (SQLite: BEGIN IMMEDIATE;
    PostgreSQL locks rows as it writes and needs nothing). What was read before it may
    since have been changed by another writer.

    write_transaction() calls it first; an action run in `write_transaction(lock_late=True)`
    calls it itself after its read-only checks, then reads what its decision rests on.
    A read transaction begun plainly (the request's authentication, a GET, a CLI command,
    a job) is ended first: it must have written nothing (checked), and SQLite cannot
    upgrade it to a writer without failing. So the write lock is held only for the
    action itself, as on PostgreSQL.
    """
    if db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    if not session.in_transaction():
        token = _immediate.set(True)
        try:
            db.session.connection()
        finally:
            _immediate.reset(token)
        return
    connection = session.connection()
    if connection.info.get("immediate"):
        return
    if (_pending(session) or connection.connection.dbapi_connection.total_changes
            != connection.info.get("changes_at_begin")):
        raise RuntimeError("wrote before taking the write lock")
    # end the read and begin the write on the same connection, within the session's
    # transaction: what the read loaded (the signed-in user, say) stays as it is, and no
    # session commit or new checkout lengthens the write; COMMIT first, so a writer
    # waiting in the queue holds no snapshot
    connection.connection.dbapi_connection.execute("COMMIT")
    _begin(connection, immediate=True)


@contextmanager
def write_transaction(conflict: tuple[str, str] | None = None,
                      lock_late: bool = False) -> Iterator[None]:
    """The one transaction helper: entry points run an operation inside it; it commits.

    Operations validate, change the session and flush, never commit. Nested use
    joins the outer transaction. Anything unflushed and uncommitted before it is a
    bug in the caller (a write outside an action), so it is refused loudly.
    `conflict=(field, code)`: a unique index refusing the write (a concurrent
    twin won the race that the operation's own check could not see) is a 409.
    `lock_late`: the operation calls `lock_for_write()` itself, after its read-only
    checks, so SQLite writers queue only for the write (see submit_report).
    """
    if _in_write.get():
        yield
        return
    if conflict:
        try:
            with write_transaction(lock_late=lock_late):
                yield
        except IntegrityError:
            raise InputError(409, {conflict[0]: conflict[1]}) from None
        return
    if _pending(db.session()):
        raise RuntimeError("changes made outside write_transaction()")
    if not lock_late:
        lock_for_write()
    token = _in_write.set(True)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _in_write.reset(token)


def retry_on_conflict(fn: Callable[[], T], attempts: int = 4, lock_late: bool = False) -> T:
    """Run a write transaction again when a concurrent writer won a unique key race."""
    for attempt in range(attempts):
        try:
            with write_transaction(lock_late=lock_late):
                return fn()
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
