"""Backups (issue 23): consistent online backups with checksums and retention, the daily
scheduler job, restore into an empty database, and the last backup for the admin page.
The restore drill: docs/operations.md."""
from flask import Flask

from .models import Backup  # noqa: F401 (create_all, migrations)
from .status import last_backup  # noqa: F401 (public)


def register(app: Flask) -> None:
    """Register the CLI commands and the daily job (picked up by deadlines/scheduler.build)."""
    from .cli import backup_command, restore_command
    from .jobs import backup_job, daily_time

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    at = daily_time(app)
    # A cron trigger in the scheduler's time zone (TIMEZONE); the job claims its day, so a
    # second scheduler or a repeated run makes no second backup (jobs.scheduled_backup).
    app.extensions.setdefault("scheduler_jobs", {})["backup"] = (backup_job, {
        "trigger": "cron", "hour": at.hour, "minute": at.minute,
        "misfire_grace_time": app.config["BACKUP_MISFIRE_HOURS"] * 3600})
