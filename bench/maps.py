"""Map page size and server time: Lạng Sơn (65 communes) and a synthetic national map (~3,300).

    .venv/bin/python -m bench.maps [--communes 3300] [--repeat 3]

The national case builds Voronoi communes over Vietnam's extent in a temporary
SQLite database, files a report for 80 % of them, then times the map page, the
GeoJSON API and the PNG through the test client (geometry cache warm after
the first request, as in a running server).
"""
import argparse
import gzip
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import shapely

from coordination import create_app
from coordination.areas.geometry import clear_cache
from coordination.areas.loading import set_area
from coordination.areas.models import Commune
from coordination.auth.accounts import create_user
from coordination.cli import seed_defaults
from coordination.events import create_event
from coordination.extensions import db
from coordination.reports.models import Report, ReportFigure, ReportVersion

VIETNAM = (102.2, 8.6, 109.5, 23.4)  # lon/lat extent
DAY = date(2025, 10, 8)


def synthetic_communes(n: int, seed: int = 7) -> list[Commune]:
    """n Voronoi cells over Vietnam's bounding box, clipped to it (a clean coverage)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = VIETNAM
    points = shapely.points(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n))
    box = shapely.box(*VIETNAM)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = shapely.segmentize(cells, 0.005)  # real boundaries have many vertices, like ours
    labels = shapely.point_on_surface(cells)
    wkb = shapely.to_wkb(cells)
    return [Commune(code=f"S{i:05d}", name=f"Xã Thử {i}", short_name=f"Thử {i}", kind="Xã",
                    label_lon=float(shapely.get_x(p)), label_lat=float(shapely.get_y(p)),
                    geom_wkb=g) for i, (p, g) in enumerate(zip(labels, wkb))]


def file_reports(event, codes: list[str], user_id: int, share: float = 0.8) -> None:
    rng = np.random.default_rng(1)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for code in codes[: int(len(codes) * share)]:
        report = Report(event_id=event.id, commune_code=code, report_date=DAY, latest_version=1,
                        first_received_at=now, on_time=bool(rng.random() < 0.9))
        figures = [ReportFigure(indicator_code=k, value=float(v)) for k, v in (
            ("houses_collapsed", rng.poisson(0.5) * rng.integers(1, 40)),
            ("houses_flooded", rng.poisson(3) * 10), ("people_evacuated", rng.integers(0, 500)))]
        db.session.add(report)
        db.session.add(ReportVersion(report=report, version=1, submission_id=str(uuid.uuid4()),
                                     body_hash="", received_at=now, on_time=report.on_time,
                                     reporter_id=user_id, figures=figures))
    db.session.commit()


def measure(client, url: str, repeat: int) -> tuple[int, int, float]:
    client.get(url)  # warm the geometry caches, as a running server has them
    times, body = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        body = response.data
    return len(body), len(gzip.compress(body)), float(np.median(times))


def build(workdir: Path, communes: int | None):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}, instance_path=str(workdir))
    with app.app_context():
        db.create_all()
        if communes:
            db.session.add_all(synthetic_communes(communes))
            db.session.commit()
        seed_defaults()
        codes = list(db.session.scalars(db.select(Commune.code).order_by(Commune.code)))
        set_area("half", "Nửa phía bắc", codes[: len(codes) // 2])
        user = create_user("bench", "mat-khau-bench-1", "admin")
        event = create_event({"code": "BENCH", "name": "Bão thử", "start_date": "2025-10-06"})
        db.session.commit()
        file_reports(event, codes, user.id)
        clear_cache()
    return app, len(codes)


def run(label: str, communes: int | None, repeat: int) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        app, count = build(Path(tmp), communes)
        with app.app_context():
            client = app.test_client()
            client.post("/login", data={"username": "bench", "password": "mat-khau-bench-1"})
            for name, url in (
                    ("map page", "/events/BENCH/map?date=2025-10-08"),
                    ("map page, area", "/events/BENCH/map?date=2025-10-08&area=half"),
                    ("map.geojson", "/api/v1/events/BENCH/map.geojson?date=2025-10-08"),
                    ("map.png", "/events/BENCH/map.png?date=2025-10-08")):
                size, gz, seconds = measure(client, url, repeat)
                rows.append((label, count, name, size, gz, seconds))
            db.session.remove()
            db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = run("Lạng Sơn", None, args.repeat) + run("synthetic national", args.communes, args.repeat)
    print(f"{'data set':<20} {'communes':>8} {'request':<16} {'bytes':>10} {'gzip':>9} {'server s':>9}")
    for label, count, name, size, gz, seconds in rows:
        print(f"{label:<20} {count:>8} {name:<16} {size:>10,} {gz:>9,} {seconds:>9.2f}")


if __name__ == "__main__":
    main()
