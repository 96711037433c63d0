"""The last successful backup, for the admin page and any page that warns about it.

A daily backup is due every 24 h; STALE_AFTER leaves two hours for a slow dump or a
scheduler started late before anyone is warned.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..timeutil import fmt_local, iso_local, utcnow
from .models import Backup

STALE_AFTER = timedelta(hours=26)


@dataclass(frozen=True)
class LastBackup:
    finished_at: datetime  # naive UTC
    file_name: str
    age: timedelta

    @property
    def stale(self) -> bool:
        return self.age > STALE_AFTER

    @property
    def age_text(self) -> str:
        hours = int(self.age.total_seconds() // 3600)
        if hours < 1:
            return "dưới 1 giờ trước"
        if hours < 48:
            return f"{hours} giờ trước"
        return f"{hours // 24} ngày trước"

    def as_dict(self) -> dict:
        return {"finished_at": iso_local(self.finished_at), "file": self.file_name,
                "age_hours": round(self.age.total_seconds() / 3600, 1), "stale": self.stale}

    def __str__(self) -> str:
        return f"{fmt_local(self.finished_at)} ({self.age_text})"


def last_backup(now: datetime | None = None) -> LastBackup | None:
    """The newest backup that finished well; None when there has never been one."""
    row = db.session.execute(
        select(Backup.finished_at, Backup.file_name).where(Backup.ok.is_(True))
        .order_by(Backup.finished_at.desc()).limit(1)).first()
    if row is None:
        return None
    return LastBackup(row.finished_at, row.file_name, max((now or utcnow()) - row.finished_at,
                                                          timedelta(0)))
