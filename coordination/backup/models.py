"""One row per backup run, successful or not: what the admin page and the restore drill read."""
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Backup(db.Model):
    __tablename__ = "backups"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # UTC
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC; empty while running
    file_name: Mapped[str] = mapped_column(String(200), default="")  # in BACKUP_DIR (or --to)
    size: Mapped[int | None] = mapped_column(BigInteger)  # bytes
    sha256: Mapped[str] = mapped_column(String(64), default="")
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    # The local day a scheduled run is for. Unique: a second scheduler, or the job run again,
    # finds the day taken and makes no second backup. Hand-made backups leave it empty.
    scheduled_for: Mapped[date | None] = mapped_column(Date, unique=True)
