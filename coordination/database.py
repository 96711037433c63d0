"""Database engine set-up and write transactions that survive concurrent writers.

SQLite: WAL lets readers run beside one writer; a write transaction must hold the
write lock (BEGIN IMMEDIATE), otherwise a reader that later writes fails at once with
"database is locked" instead of waiting for the busy timeout. We take over
pysqlite's own transaction handling (the SQLAlchemy recipe) so we choose the BEGIN
ourselves, and we take the write lock lazily: a transaction begins as a reader, and
its first write statement (INSERT, UPDATE, DELETE, SAVEPOINT, DDL, or a SELECT … FOR
UPDATE, which SQLite cannot lock otherwise) ends the read and begins the write on the
same connection before it runs. So every action, through every entry point, holds
the lock only from its first write to its commit, and no operation handles locks.
What an action must read under the lock it reads after a write that claims the row
it depends on (`claim()`), which on PostgreSQL also locks that row.

Writers queue on an flock of a file beside the database before BEGIN IMMEDIATE. SQLite's
own busy handler polls with growing sleeps (1, 2, 5 … 100 ms), so under load the lock sat
idle while every waiter slept; a blocked flock wakes the next writer as soon as the lock
is let go, in whatever worker process it waits.
"""
import contextvars
import fcntl
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from functools import cache

from sqlalchemy import bindparam, event
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

    @event.listens_for(engine, "before_cursor_execute")
    def _write_lock_first(conn, _cursor, statement, _params, context, _many):
        if not conn.info.get("immediate") and _is_write(statement, context):
            _upgrade(conn)

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
    transactions are the session's (see _upgrade), so the queue is left after the
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
    The changes counter at BEGIN lets _upgrade() tell that a read wrote nothing."""
    dbapi_conn = connection.connection.dbapi_connection
    queue = connection.connection.info.get("writer_queue")
    if immediate and queue:
        queue.wait(dbapi_conn)
    dbapi_conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    connection.info["immediate"] = immediate
    connection.info["changes_at_begin"] = dbapi_conn.total_changes


_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|DROP|ALTER)\b", re.I)


def _is_write(statement: str, context) -> bool:
    if _WRITE.match(statement):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _upgrade(connection) -> None:
    """End the read and begin the write on the same connection, within the session's
    transaction: what the read loaded (the signed-in user, say) stays as it is, and no
    session commit or new checkout lengthens the write. COMMIT first, so a writer
    waiting in the queue holds no snapshot. What was read before may since have been
    changed by another writer: decisions that depend on it read again after a claim."""
    dbapi_conn = connection.connection.dbapi_connection
    if dbapi_conn.total_changes != connection.info.get("changes_at_begin"):
        raise RuntimeError("wrote before taking the write lock")
    dbapi_conn.execute("COMMIT")
    _begin(connection, immediate=True)


def begin_write() -> None:
    """Begin the session's transaction as a writer at once (SQLite: BEGIN IMMEDIATE), for a
    transaction that is all writes (a job's upsert batch); others take it lazily."""
    if db.engine.dialect.name != "sqlite" or db.session().in_transaction():
        return
    token = _immediate.set(True)
    try:
        db.session.connection()
    finally:
        _immediate.reset(token)


def is_unique_violation(exc: BaseException) -> bool:
    """A unique index refused the write (a concurrent twin won): the one conflict we settle
    by answering 409 or running the action again; other integrity errors are bugs."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def is_retryable(exc: BaseException) -> bool:
    """Worth running again: a unique-key race, SQLite busy, PostgreSQL serialization
    failure or deadlock. Anything else (a bug, a full disk) is not."""
    if isinstance(exc, IntegrityError):
        return is_unique_violation(exc)
    if not isinstance(exc, OperationalError):
        return False
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in ("40001", "40P01"):
        return True
    return getattr(orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED",
                                                     "SQLITE_BUSY_SNAPSHOT")


@contextmanager
def write_transaction(conflict: tuple[str, str] | None = None) -> Iterator[None]:
    """The one transaction helper: entry points run an operation inside it; it commits.

    Operations validate, change the session and flush, never commit, and never handle
    locks (the first write takes SQLite's, see the module docstring). Nested use joins
    the outer transaction. Anything unflushed and uncommitted before it is a bug in the
    caller (a write outside an action), so it is refused loudly.
    `conflict=(field, code)`: a unique index refusing the write (a concurrent twin won
    the race that the operation's own check could not see) is a 409.
    """
    if _in_write.get():
        yield
        return
    if conflict:
        try:
            with write_transaction():
                yield
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise InputError(409, {conflict[0]: conflict[1]}) from None
        return
    if _pending(db.session()):
        raise RuntimeError("changes made outside write_transaction()")
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
    """Run a write transaction again when a concurrent writer won a unique-key race (the
    retry then answers from storage), or SQLite stayed busy, or PostgreSQL could not
    serialize it; any other error is raised at once."""
    for attempt in range(attempts):
        try:
            with write_transaction():
                return fn()
        except (IntegrityError, OperationalError) as exc:
            if attempt == attempts - 1 or not is_retryable(exc):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def claim(table, keys: dict, values: dict, counter: str):
    """Insert the row of `keys`, or move its `counter` on by one, and return the row: one
    statement. It is a write, so on SQLite it takes the write lock, and on PostgreSQL it
    locks the row until commit: actions that claim the same key take turns, and what
    they read after the claim no concurrent claimer can change (a day's report, a
    commune's stock of an item). `values` only fill a new row."""
    statement = _claim_statement(table, tuple(keys), tuple(values), counter,
                                 db.engine.dialect.name)
    return db.session.connection().execute(statement, {**keys, **values}).one()


@cache
def _claim_statement(table, keys: tuple, values: tuple, counter: str, dialect_name: str):
    """Built once per shape (the submission path claims on every report)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if dialect_name == "postgresql" else sqlite
    row = {name: bindparam(name) for name in keys + values}
    return dialect.insert(table).values({**row, counter: 1}).on_conflict_do_update(
        index_elements=list(keys), set_={counter: table.c[counter] + 1}).returning(*table.c)
