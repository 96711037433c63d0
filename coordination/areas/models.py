"""Communes (xã/phường), their former names, and named areas (sets of communes)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Commune(db.Model):
    __tablename__ = "communes"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # ma_xa, leading zeros kept
    name: Mapped[str] = mapped_column(String(160))                  # "Xã Tân Tiến"
    short_name: Mapped[str] = mapped_column(String(120), default="")  # "Tân Tiến"
    kind: Mapped[str] = mapped_column(String(40), default="")        # Xã / Phường
    province_code: Mapped[str] = mapped_column(String(8), default="")
    province_name: Mapped[str] = mapped_column(String(120), default="")
    area_km2: Mapped[float | None] = mapped_column(Float)            # official area (dtich_km2)
    population: Mapped[int | None] = mapped_column(Integer)
    label_lat: Mapped[float | None] = mapped_column(Float)
    label_lon: Mapped[float | None] = mapped_column(Float)
    geom_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)      # EPSG:4326
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class FormerCommune(db.Model):
    """A pre-July-2025 unit and the current commune it became part of."""
    __tablename__ = "former_communes"
    id: Mapped[int] = mapped_column(primary_key=True)
    old_code: Mapped[str] = mapped_column(String(16), index=True)
    old_name: Mapped[str] = mapped_column(String(160), index=True)
    old_district_code: Mapped[str] = mapped_column(String(8), default="")
    old_district_name: Mapped[str] = mapped_column(String(160), default="")
    partly_merged: Mapped[bool] = mapped_column(Boolean, default=False)
    new_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="CASCADE"), index=True)


class Area(db.Model):
    """A named area such as the Kỳ Cùng basin: data an administrator can redefine."""
    __tablename__ = "areas"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class AreaCommune(db.Model):
    __tablename__ = "area_communes"
    area_code: Mapped[str] = mapped_column(
        ForeignKey("areas.code", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(
        ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True)
