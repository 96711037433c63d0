"""A consistent copy of the live database, taken while the service keeps writing.

SQLite: the sqlite3 backup API in one step (`pages=-1`), which reads one snapshot under
a single read transaction; in WAL mode writers go on meanwhile. A file copy of a live
WAL database can miss committed pages still in the -wal file or tear mid-checkpoint,
so it is never used. The copy is switched to a rollback journal (one self-contained
file) and passes `PRAGMA quick_check` before it is published.

PostgreSQL: `pg_dump -Fc`, which dumps from one repeatable-read snapshot without
blocking writers. Connection parameters come from the SQLAlchemy URL (its query
options, e.g. sslmode, too); the password goes through PGPASSWORD, never the command
line, where `ps` would show it.
"""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from ..errors import message


class BackupError(RuntimeError):
    """A backup or restore could not be made; its Vietnamese text goes to the run's row and the CLI."""


def dump(url: URL, target: Path, pg_bin: str = "") -> None:
    """Write a backup of the database at `url` into the (existing, empty) file `target`."""
    if url.get_backend_name() == "sqlite":
        _sqlite(url.database, target)
    elif url.get_backend_name() == "postgresql":
        _pg_dump(url, target, pg_bin)
    else:
        raise BackupError(message("backup_failed", reason=url.get_backend_name()))


def _sqlite(database: str, target: Path) -> None:
    try:
        source = sqlite3.connect(database, timeout=30)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
                check = copy.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(message("backup_failed", reason=str(exc))) from exc
    if check != "ok":
        raise BackupError(message("backup_failed", reason=f"quick_check: {check}"))


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """(conninfo, environment) for the PostgreSQL tools, password in the environment only."""
    params = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    params.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v not in (None, "")}), env


def pg_tool(name: str, pg_bin: str = "") -> str:
    path = str(Path(pg_bin) / name) if pg_bin else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise BackupError(message("backup_tool_missing", tool=name))
    return path


def run_tool(args: list[str], env: dict[str, str], code: str) -> None:
    """Run pg_dump/pg_restore; a failure raises with the tool's own last lines of error."""
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=6 * 3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(message(code, reason=str(exc))) from exc
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise BackupError(message(code, reason=tail or f"exit {done.returncode}"))


def _pg_dump(url: URL, target: Path, pg_bin: str) -> None:
    conninfo, env = libpq(url)
    run_tool([pg_tool("pg_dump", pg_bin), "--format=custom", "--no-password",
              f"--file={target}", f"--dbname={conninfo}"], env, "backup_failed")
