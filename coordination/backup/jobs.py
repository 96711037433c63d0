"""Taking a backup: the run recorded in `backups`, the dump, its checksum, then retention.

`flask backup`, the scheduler and the tests call these same functions. The dump runs
outside any transaction (it may take minutes, and holds no write lock meanwhile); the
run's row is written in one short write transaction before it and one after.

A scheduled run is for a local day (that of the last BACKUP_TIME at or before now) and
claims it through the unique `backups.scheduled_for`: running the job twice, or two
schedulers at once, makes one backup for the day, and the run that finds the day taken
returns None without dumping. A failed run gives its day back, so the job run again
(by hand, or a second scheduler) may try once more; a run killed mid-way holds its day
for STALE_CLAIM, after which a later run takes it over.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import message
from ..extensions import db
from ..timeutil import local_tz, to_local, utcnow
from .dump import BackupError, dump
from .files import clear_leftovers, publish, scratch
from .models import Backup
from .retention import prune

STALE_CLAIM = timedelta(hours=3)


@dataclass
class BackupRun:
    backup: Backup
    path: Path
    removed: list[Path] = field(default_factory=list)  # deleted by retention


def daily_time(app: Flask) -> time:
    """BACKUP_TIME (local HH:MM) as a time; a wrong value stops the app at start."""
    try:
        return time.fromisoformat(app.config["BACKUP_TIME"])
    except ValueError:
        raise RuntimeError(f"BACKUP_TIME: {message('invalid_time')}") from None


def period_day(now_utc: datetime, at: time) -> date:
    """The local day whose daily backup is due at `now`: today once `at` has passed."""
    local = to_local(now_utc)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


# --- operations (flush, never commit) ------------------------------------------------

def start_run(now_utc: datetime, scheduled_for: date | None = None) -> Backup:
    run = Backup(started_at=now_utc, scheduled_for=scheduled_for)
    db.session.add(run)
    db.session.flush()
    return run


def claim_day(day: date, now_utc: datetime) -> Backup | None:
    """The day's scheduled run, or None when another run made or is making it. A twin
    inserting at the same moment makes the flush or commit fail on the unique index."""
    taken = db.session.scalar(select(Backup).where(Backup.scheduled_for == day))
    if taken is None:
        return start_run(now_utc, day)
    # a run killed mid-way: take its row over, once (the UPDATE re-checks under the row lock)
    result = db.session.execute(
        update(Backup).where(Backup.id == taken.id, Backup.finished_at.is_(None),
                             Backup.started_at < now_utc - STALE_CLAIM)
        .values(started_at=now_utc).execution_options(synchronize_session="fetch"))
    return taken if result.rowcount == 1 else None


def finish_run(run: Backup, path: Path | None, digest: str = "", error: str = "") -> None:
    run.finished_at = utcnow()
    run.ok = not error
    run.error = error
    if path is not None:
        run.file_name, run.size, run.sha256 = path.name, path.stat().st_size, digest
    if error:
        run.scheduled_for = None  # give the day back: a later run may try again
    db.session.flush()


# --- entry points -----------------------------------------------------------------------

def take_backup(directory: Path | None = None) -> BackupRun:
    """A backup now (`flask backup`); raises BackupError, recorded, when it fails."""
    now = utcnow()
    with write_transaction():
        run = start_run(now)
    return _dump_and_record(run, now, directory)


def scheduled_backup(now_utc: datetime) -> BackupRun | None:
    """The daily job: the backup of the due day unless it is made already (safe twice)."""
    try:
        with write_transaction():
            run = claim_day(period_day(now_utc, daily_time(current_app)), now_utc)
    except IntegrityError:
        return None  # a twin claimed the day at the same moment
    if run is None:
        return None
    return _dump_and_record(run, now_utc, None)


def backup_job(app: Flask) -> BackupRun | None:
    with app.app_context():
        return scheduled_backup(utcnow())


def _dump_and_record(run: Backup, started: datetime, directory: Path | None) -> BackupRun:
    config = current_app.config
    directory = Path(directory or config["BACKUP_DIR"])
    written = None
    try:
        written = scratch(directory)
        dump(db.engine.url, written, config["BACKUP_PG_BIN"])
        path, digest = publish(written, db.engine.url.get_backend_name(),
                               started.replace(tzinfo=timezone.utc))
    except (BackupError, OSError) as exc:
        if written is not None:
            written.unlink(missing_ok=True)
        error = str(exc) if isinstance(exc, BackupError) else message("backup_failed", reason=exc)
        with write_transaction():
            finish_run(run, None, error=error)
        raise BackupError(error) from exc
    with write_transaction():
        finish_run(run, path, digest)
    now = datetime.now(timezone.utc)
    clear_leftovers(directory, now - STALE_CLAIM)
    removed = prune(directory, now, local_tz(), config["BACKUP_KEEP_DAILY"],
                    config["BACKUP_KEEP_WEEKLY"])
    return BackupRun(run, path, removed)
