"""Export time and peak memory: the Lạng Sơn event and a synthetic national one.

    .venv/bin/python -m bench.exports [--days 10] [--national-communes 3300] [--national-days 7]
                                     [--skip-national]

Each scenario is a fresh temporary SQLite database filled through the models
with bulk inserts. Every format is built twice: once timed, once under
tracemalloc for the peak of Python allocations. The process's max RSS is
printed at the end (it includes the data generation).
"""
import argparse
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench import synthetic

from coordination import create_app
from coordination.areas.models import Commune
from coordination.cli import seed_defaults
from coordination.events import create_event, get_event
from coordination.exports.bulletin_pdf import write_bulletin_pdf
from coordination.exports.bulletin_xlsx import write_bulletin_xlsx
from coordination.exports.csv_ import write_csv, write_csv_vi
from coordination.exports.geojson import write_geojson
from coordination.exports.hxl import write_hxl
from coordination.exports.longtable import long_chunks
from coordination.exports.pdf import write_pdf
from coordination.exports.table import build_table
from coordination.exports.xlsx import write_xlsx
from coordination.extensions import db
from coordination.indicators import active_indicators
from coordination.reports.models import Report, ReportFigure, ReportVersion

START = date(2025, 10, 6)
WRITERS = {"xlsx": write_xlsx, "csv": write_csv, "csv-vi": write_csv_vi, "hxl": write_hxl,
           "geojson": write_geojson, "pdf": write_pdf, "bulletin": write_bulletin_pdf,
           "bulletin-xlsx": write_bulletin_xlsx}


def fill_reports(event_id: int, days: int, rng: random.Random) -> int:
    """Every commune reports every day, every indicator, cumulative and growing."""
    codes = list(db.session.scalars(select(Commune.code)))
    indicators = active_indicators()
    reports, versions, figures = [], [], []
    for n_day in range(days):
        day = START + timedelta(days=n_day)
        for code in codes:
            rid = len(reports) + 1
            at = _utc(day, rng)
            reports.append({"id": rid, "event_id": event_id, "commune_code": code, "report_date": day,
                            "latest_version": 1, "first_received_at": at, "on_time": True})
            versions.append({"id": rid, "report_id": rid, "version": 1, "submission_id": f"b-{rid}",
                             "body_hash": "bench", "received_at": at, "on_time": True,
                             "note": "Mưa lớn, sạt lở cục bộ", "channel": "api"})
            figures.extend({"version_id": rid, "indicator_code": i.code,
                            "value": float(rng.randint(0, 500) * (n_day + 1)) if i.whole_number
                            else round(rng.uniform(0, 90) * (n_day + 1), 2)} for i in indicators)
    for model, rows in ((Report, reports), (ReportVersion, versions), (ReportFigure, figures)):
        for start in range(0, len(rows), 50_000):
            db.session.execute(insert(model), rows[start:start + 50_000])
    db.session.commit()
    return len(figures)


def _utc(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(0, 6), rng.randint(0, 59))


def measure(fn):
    """(seconds, peak MiB, result) — timed without tracemalloc, peak measured in a second run."""
    began = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, result


def langson_app(workdir: Path, days: int):
    """Lạng Sơn's 65 communes; every commune reports every day."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'langson.sqlite'}",
                      "SECRET_KEY": "bench"}, instance_path=str(workdir))
    with app.app_context():
        db.create_all()
        seed_defaults()
        event = create_event({"code": "MATMO-2025", "name": "Bão số 11 (Matmo) và mưa lũ",
                              "type": "storm_flood", "start_date": START.isoformat()})
        db.session.commit()
        fill_reports(event.id, days, random.Random(11))
    return app, "MATMO-2025"


def national_app(workdir: Path, communes: int, days: int):
    """The shared synthetic national deployment (bench.synthetic), 40 indicators."""
    app, _ = synthetic.build(communes=communes, days=days, indicators=40, workdir=workdir)
    return app, "NATIONAL-2025"


def run_scenario(name: str, app, event_code: str) -> list[tuple]:
    rows = []
    with app.app_context(), app.test_request_context():
        event = get_event(event_code)
        last = db.session.scalar(select(func.max(Report.report_date)))
        days = (last - event.start_date).days + 1
        table = build_table(event, last)
        figures = sum(len(c.figures) for c in table.rows)
        print(f"{name}: {len(table.rows)} xã × {len(table.indicators)} chỉ tiêu, "
              f"{days} ngày; {figures:,} số liệu trong bảng ngày {last}", flush=True)
        seconds, peak, _ = measure(lambda: build_table(event, last))
        rows.append((name, "summary (1 call)", seconds, peak, 0.0))
        for fmt, writer in WRITERS.items():
            seconds, peak, body = measure(lambda: writer(build_table(event, last)))
            rows.append((name, fmt, seconds, peak, len(body) / 2**20))
        seconds, peak, size = measure(lambda: sum(len(c) for c in long_chunks(event, last)))
        rows.append((name, f"long ({days} days)", seconds, peak, size / 2**20))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national-communes", type=int, default=3300)
    parser.add_argument("--days", type=int, default=10, help="days of reports, Lạng Sơn")
    parser.add_argument("--national-days", type=int, default=7)
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += run_scenario("langson", *langson_app(Path(tmp), args.days))
        if not args.skip_national:
            national = Path(tmp) / "national"
            national.mkdir()
            results += run_scenario("national", *national_app(
                national, args.national_communes, args.national_days))
    print(f"\n{'scenario':<10} {'format':<18} {'time s':>8} {'peak MiB':>9} {'size MiB':>9}")
    for name, fmt, seconds, peak, size in results:
        print(f"{name:<10} {fmt:<18} {seconds:>8.2f} {peak:>9.1f} {size:>9.2f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of the whole run (incl. data generation): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
