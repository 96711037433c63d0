"""The relief ledger: allocation decisions (with one line per commune), deliveries to
communes and distribution batches to villages. Rows are never edited: a change of
allocation is a new decision; a distribution is written once per submission_id.
"""
from datetime import date, datetime

from sqlalchemy import (Date, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import iso_local, utcnow


class ReliefAllocation(db.Model):
    """A decision (quyết định) allocating an item to communes, e.g. 2206/QĐ-UBND."""
    __tablename__ = "relief_allocations"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    decision_no: Mapped[str] = mapped_column(String(80))
    decision_date: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lines: Mapped[list["ReliefAllocationLine"]] = relationship(
        back_populates="allocation", cascade="all, delete-orphan",
        order_by="ReliefAllocationLine.commune_code")

    @property
    def total(self) -> float:
        return sum(line.quantity for line in self.lines)

    def as_dict(self) -> dict:
        return {"id": self.id, "decision_no": self.decision_no,
                "decision_date": self.decision_date.isoformat(), "item": self.item,
                "unit": self.unit, "deadline": self.deadline.isoformat() if self.deadline else None,
                "total": self.total, "created_at": iso_local(self.created_at),
                "lines": [{"commune": line.commune_code, "quantity": line.quantity}
                          for line in self.lines]}


class ReliefAllocationLine(db.Model):
    __tablename__ = "relief_allocation_lines"
    __table_args__ = (UniqueConstraint("allocation_id", "commune_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("relief_allocations.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    allocation: Mapped[ReliefAllocation] = relationship(back_populates="lines")


class ReliefDelivery(db.Model):
    """A hand-over to a commune's People's Committee (biên bản giao nhận)."""
    __tablename__ = "relief_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[float] = mapped_column(Float)
    delivered_on: Mapped[date] = mapped_column(Date)
    document_no: Mapped[str] = mapped_column(String(80))
    shortfall_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)  # the commune confirmed receipt
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def as_dict(self) -> dict:
        return {"id": self.id, "commune": self.commune_code, "item": self.item,
                "quantity": self.quantity, "date": self.delivered_on.isoformat(),
                "document_no": self.document_no, "shortfall_reason": self.shortfall_reason or None,
                "confirmed_at": iso_local(self.confirmed_at)}


class ReliefDistribution(db.Model):
    """A batch handed out in one village on one day; written once per submission_id."""
    __tablename__ = "relief_distributions"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    distributed_on: Mapped[date] = mapped_column(Date)
    village: Mapped[str] = mapped_column(String(120))
    households: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")  # why above what was delivered
    submission_id: Mapped[str] = mapped_column(String(80), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def as_dict(self) -> dict:
        return {"id": self.id, "commune": self.commune_code, "item": self.item,
                "date": self.distributed_on.isoformat(), "village": self.village,
                "households": self.households, "people": self.people, "quantity": self.quantity,
                "reason": self.reason or None, "submission_id": self.submission_id,
                "created_at": iso_local(self.created_at)}


class ReliefStock(db.Model):
    """One row per (event, commune, item), claimed (database.claim) by every distribution
    before it checks the commune's stock: concurrent batches for the same stock take turns
    on SQLite and PostgreSQL alike, so together they never exceed what was delivered.
    `claims` only counts the claims; the stock itself is computed from the ledger."""
    __tablename__ = "relief_stocks"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    claims: Mapped[int] = mapped_column(Integer, default=0)
