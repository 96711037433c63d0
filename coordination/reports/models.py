"""Daily damage reports: one per (event, commune, local date), each with versions.

Figures are cumulative for the event (lũy kế) as of the report. A correction
adds a version; earlier versions stay readable and aggregates use the latest.
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


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
    versions: Mapped[list["ReportVersion"]] = relationship(
        back_populates="report", order_by="ReportVersion.version")


class ReportVersion(db.Model):
    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("report_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[str] = mapped_column(String(80), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)  # server clock, UTC
    on_time: Mapped[bool] = mapped_column(Boolean)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="web")
    report: Mapped[Report] = relationship(back_populates="versions")
    figures: Mapped[list["ReportFigure"]] = relationship(cascade="all, delete-orphan")
    reporter = relationship("User")


class ReportFigure(db.Model):
    __tablename__ = "report_figures"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
