"""A synthetic national deployment: ~3,300 communes with reports, in a throw-away database.

Shared by the benchmarks. Communes are squares on a grid over Vietnam's
extent (the geometry shape does not matter for aggregation or page size
beyond vertex count, which is kept close to the real data's).
"""
import random
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import insert, text

from coordination import create_app
from coordination.areas.models import Area, AreaCommune, Commune
from coordination.cli import seed_defaults
from coordination.events import Event
from coordination.extensions import db
from coordination.indicators import Indicator
from coordination.reports.models import Report, ReportFigure, ReportVersion
from coordination.timeutil import utcnow

START = date(2025, 10, 1)


def _polygons(count: int, vertices: int = 40) -> list:
    side = int(np.ceil(np.sqrt(count)))
    size = 8.0 / side
    polys = []
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    for i in range(count):
        x0, y0 = 102.5 + (i % side) * size, 9.0 + (i // side) * size * 1.6
        r = size / 2 * (0.9 + 0.1 * np.sin(angles * 5))
        ring = np.column_stack([x0 + size / 2 + r * np.cos(angles), y0 + size / 2 + r * np.sin(angles)])
        polys.append(shapely.Polygon(ring))
    return polys


def build(url: str | None = None, communes: int = 3300, days: int = 60, indicators: int = 30,
          workdir: Path | None = None):
    """Create the app on a fresh database filled with synthetic communes and reports."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bench-"))
    url = url or f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"},
                     instance_path=str(workdir))
    rng = random.Random(11)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_defaults()  # Lạng Sơn + catalog; the synthetic communes come on top
        catalog = [i.code for i in db.session.query(Indicator).all()]
        extra = [f"synthetic_{n}" for n in range(max(0, indicators - len(catalog)))]
        db.session.execute(insert(Indicator), [dict(
            code=c, label=c, unit="cái", group_code="khac", group_label="Khác", group_order=99,
            position=n, hxl="", whole_number=True, is_active=True) for n, c in enumerate(extra)])
        codes = (catalog + extra)[:indicators]
        wkb = shapely.to_wkb(_polygons(communes))
        ids = [f"9{n:05d}" for n in range(communes)]
        db.session.execute(insert(Commune), [dict(
            code=c, name=f"Xã Tổng Hợp {n}", short_name=f"Tổng Hợp {n}", kind="Xã",
            province_code="99", province_name="Toàn quốc", label_lat=0.0, label_lon=0.0,
            geom_wkb=g, updated_at=utcnow()) for n, (c, g) in enumerate(zip(ids, wkb))])
        db.session.add(Area(code="mien-bac", name="Miền Bắc (tổng hợp)"))
        db.session.flush()
        db.session.execute(insert(AreaCommune), [dict(area_code="mien-bac", commune_code=c)
                                                  for c in ids[: communes // 10]])
        event = Event(code="NATIONAL-2025", name="Bão tổng hợp toàn quốc", type="storm",
                      start_date=START, whole_province=True)
        db.session.add(event)
        db.session.commit()
        _reports(event.id, ids, codes, days, rng)
        # Planner statistics, as autovacuum would have them on a live database: without them
        # PostgreSQL scans all 5M figures for a 330-commune area (0.56 s instead of 0.04 s).
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return app, workdir


def received_time(day: date, rng) -> tuple[datetime, bool] | None:
    """A realistic day: ~70 % of communes report before the 14:00 deadline (local, UTC+7),
    ~15 % late the same afternoon or evening, ~15 % not at all (stale figures)."""
    draw = rng.random()
    if draw < 0.15:
        return None
    deadline = datetime.combine(day, time(7, 0))  # 14:00 in Asia/Ho_Chi_Minh, naive UTC
    if draw < 0.85:
        return deadline - timedelta(minutes=rng.randint(0, 7 * 60)), True
    return deadline + timedelta(minutes=rng.randint(1, 8 * 60)), False


def _reports(event_id: int, communes: list[str], codes: list[str], days: int, rng,
             start: date = START, first_id: int = 0) -> None:
    report_id = version_id = first_id
    for day in range(days):
        d = start + timedelta(days=day)
        reports, versions, figures = [], [], []
        for commune in communes:
            receipt = received_time(d, rng)
            if receipt is None:  # some communes skip a day: stale figures
                continue
            received, on_time = receipt
            report_id += 1
            version_id += 1
            reports.append(dict(id=report_id, event_id=event_id, commune_code=commune,
                                report_date=d, latest_version=1, first_received_at=received,
                                on_time=on_time))
            versions.append(dict(id=version_id, report_id=report_id, version=1,
                                 submission_id=f"s{version_id}", body_hash="", received_at=received,
                                 on_time=on_time, note="", correction_reason="", channel="api"))
            figures.extend(dict(version_id=version_id, indicator_code=c, value=float(day + i))
                           for i, c in enumerate(codes))
        db.session.execute(insert(Report), reports)
        db.session.execute(insert(ReportVersion), versions)
        for chunk in range(0, len(figures), 50_000):
            db.session.execute(insert(ReportFigure), figures[chunk:chunk + 50_000])
        db.session.commit()
