"""Daily damage reports: one per (event, commune, local date), each with versions.

Figures are cumulative for the event (lũy kế) as of the report. A correction
adds a version; earlier versions stay readable and aggregates use the latest.

Each version holds every figure the commune has: the ones the officer sent, and
the ones left blank, carried forward from the commune's latest known value
(`carried`). So the latest version of the latest report is the commune's whole
picture, and history still tells what was typed from what was carried.
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..areas.models import Commune
from ..events import Event
from ..extensions import db
from ..timeutil import iso_local

CHANNELS = {"web": "Biểu mẫu web", "offline": "Gửi lại từ điện thoại (ngoại tuyến)",
            "api": "API", "phone": "Tỉnh nhập qua điện thoại", "sms": "Tin nhắn SMS"}


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("event_id", "commune_code", "report_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    report_date: Mapped[date] = mapped_column(Date)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    first_received_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    on_time: Mapped[bool] = mapped_column(Boolean)  # first version received by the deadline
    event: Mapped[Event] = relationship()
    commune: Mapped[Commune] = relationship()
    versions: Mapped[list["ReportVersion"]] = relationship(
        back_populates="report", order_by="ReportVersion.version")

    @property
    def latest(self) -> "ReportVersion":
        return self.versions[-1]


class ReportVersion(db.Model):
    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("report_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[str] = mapped_column(String(80), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)  # server clock, UTC: decides timeliness
    captured_at: Mapped[datetime | None] = mapped_column(DateTime)  # "Gửi" pressed on the phone, UTC
    on_time: Mapped[bool] = mapped_column(Boolean)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    no_damage: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    report: Mapped[Report] = relationship(back_populates="versions")
    figures: Mapped[list["ReportFigure"]] = relationship(cascade="all, delete-orphan")
    reporter = relationship("User")

    @property
    def values(self) -> dict[str, float]:
        return {f.indicator_code: f.value for f in self.figures}

    @property
    def sent(self) -> dict[str, float]:
        """The figures the officer typed in this version (not the carried ones)."""
        return {f.indicator_code: f.value for f in self.figures if not f.carried}

    def as_dict(self) -> dict:
        return {"version": self.version, "received_at": iso_local(self.received_at),
                "captured_at": iso_local(self.captured_at), "on_time": self.on_time,
                "reporter": self.reporter.username if self.reporter else None,
                "channel": self.channel, "note": self.note,
                "correction_reason": self.correction_reason, "no_damage": self.no_damage,
                "figures": self.values,
                "carried_forward": sorted(f.indicator_code for f in self.figures if f.carried)}


class ReportFigure(db.Model):
    __tablename__ = "report_figures"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    carried: Mapped[bool] = mapped_column(Boolean, default=False)  # left blank: latest known value
