"""Reporting schedules, one compliance flag per (schedule, commune, period), the outbox."""
from datetime import datetime

from sqlalchemy import (DateTime, ForeignKey, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from ..events import KINDS, ReportingSchedule  # noqa: F401  (schedules belong to their event)
from ..extensions import db
from ..timeutil import utcnow

STATUSES = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa báo cáo",
            "pending": "Chưa đến hạn"}
CHANNELS = {"in_app": "Trên ứng dụng", "sms": "SMS", "zalo": "Zalo", "email": "Thư điện tử"}


class ComplianceFlag(db.Model):
    __tablename__ = "compliance_flags"
    __table_args__ = (UniqueConstraint("schedule_id", "commune_code", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_schedules.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))  # "2025-10-08" or "2023-02"
    deadline_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    status: Mapped[str] = mapped_column(String(10))  # on_time | late | missing
    received_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC, server receive time
    flagged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Notification(db.Model):
    """Outbox: in-app reminders are shown in the banner; sms/zalo wait for a gateway."""
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("key", "commune_code", "channel", "recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))  # dedupes two schedulers' reminders
    # None: a reply to an SMS from a number registered to no commune (sms package).
    commune_code: Mapped[str | None] = mapped_column(
        ForeignKey("communes.code", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200), default="")  # phone or e-mail
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("reporting_schedules.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10), default="")
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)  # in-app: resolved/expired
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)  # e-mail claim

    def as_dict(self) -> dict:
        from ..timeutil import iso_local
        return {"id": self.id, "commune": self.commune_code, "channel": self.channel,
                "recipient": self.recipient, "message": self.message, "period": self.period,
                "created_at": iso_local(self.created_at), "sent_at": iso_local(self.sent_at),
                "attempts": self.attempts, "last_error": self.last_error}
