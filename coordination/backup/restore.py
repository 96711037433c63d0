"""Restoring a backup into an empty database, then bringing its schema up to this release.

The order protects the target: the checksum first (a file whose .sha256 is missing or
differs is refused before anything touches the database), then the file's kind must fit
the target's backend, then the target must be empty — no table but alembic_version holds
a row — unless `force`; then the restore, then `flask_migrate.upgrade`, so a backup of an
older release comes up to this code's schema.

SQLite: the sqlite3 backup API copies the file into the target database file page by
page under the target's own locks (never a file copy over a database that may be open).
PostgreSQL: `pg_restore --clean --if-exists --no-owner --no-acl --single-transaction`: the
dump's objects are dropped where present and recreated in one transaction, so a restore
that fails leaves the target as it was; owners and grants are the target user's, since a
new machine need not have the old roles.

The service (gunicorn and the scheduler) is stopped while restoring (docs/operations.md).
"""
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.util import CommandError
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, inspect, literal, select, table
from sqlalchemy.exc import SQLAlchemyError

from ..errors import InputError, message
from ..extensions import db
from ..reports.models import ReportVersion
from .dump import BackupError, libpq, pg_tool, run_tool
from .files import EXTENSIONS, PGDUMP_MAGIC, SQLITE_MAGIC, read_checksum, sha256_of

MAGIC = {"sqlite": SQLITE_MAGIC, "postgresql": PGDUMP_MAGIC}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Restored:
    sha256: str
    versions: int  # report versions in the restored database
    latest_received_at: datetime | None  # UTC: the newest report the backup holds


def verify(path: Path) -> str:
    """The file's SHA-256, checked against the .sha256 beside it (InputError otherwise)."""
    recorded = read_checksum(path)
    if recorded is None:
        raise InputError.one(422, "file", "backup_checksum_missing", file=path.name)
    digest = sha256_of(path)
    if digest != recorded:
        raise InputError.one(422, "file", "backup_checksum_mismatch", file=path.name)
    return digest


def check_kind(path: Path, backend: str) -> None:
    with path.open("rb") as f:
        head = f.read(len(MAGIC[backend]))
    if head != MAGIC[backend]:
        raise InputError.one(422, "file", "backup_wrong_kind", file=path.name,
                             backend=BACKEND_NAMES[backend], ext=EXTENSIONS[backend])


def tables_with_rows() -> list[str]:
    """Tables of the target holding data (alembic_version alone does not count)."""
    with db.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        return [n for n in sorted(names)
                if conn.execute(select(literal(1)).select_from(table(n)).limit(1)).first()]


def restore(path: Path, force: bool = False) -> Restored:
    """Restore the backup `path` into the app's database (the CLI's `restore`)."""
    backend = db.engine.url.get_backend_name()
    digest = verify(path)
    check_kind(path, backend)
    filled = tables_with_rows()
    if filled and not force:
        shown = ", ".join(filled[:5]) + (", …" if len(filled) > 5 else "")
        raise InputError.one(409, "database", "database_not_empty", tables=shown)
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours sees the old pages or holds a lock
    if backend == "sqlite":
        _sqlite(path, db.engine.url.database)
    else:
        conninfo, env = libpq(db.engine.url)
        run_tool([pg_tool("pg_restore", current_app.config["BACKUP_PG_BIN"]), "--clean",
                  "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
                  "--exit-on-error", "--no-password", f"--dbname={conninfo}", str(path)],
                 env, "restore_failed")
    db.engine.dispose()
    try:
        upgrade(directory=current_app.extensions["migrate"].directory)
    except (CommandError, SQLAlchemyError) as exc:
        raise BackupError(message("restore_failed", reason=f"alembic upgrade: {exc}")) from exc
    versions, latest = db.session.execute(
        select(func.count(ReportVersion.id), func.max(ReportVersion.received_at))).one()
    db.session.rollback()  # end the read
    return Restored(digest, versions, latest)


def _sqlite(path: Path, database: str) -> None:
    try:
        source = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            target = sqlite3.connect(database, timeout=30)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=WAL")  # as the service runs it
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(message("restore_failed", reason=str(exc))) from exc
