"""Benchmark of the trend (one sweep vs one summary per day) and the dashboard page.

    .venv/bin/python -m bench.dashboard [--communes 65 --days 60 --indicators 30 --repeat 3]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (PostgreSQL)

The synthetic event covers the reporting communes plus the 65 seeded Lạng Sơn
communes (never reporting), so `expected` is communes + 65.
"""
import argparse
import gzip
import math
import os
import time
from datetime import timedelta

from coordination.auth.accounts import create_user
from coordination.dashboard.board import build as build_board
from coordination.reports.aggregation import daily_totals
from coordination.events import get_event
from coordination.extensions import db
from coordination.reports.aggregation import summarize

from .synthetic import START, build


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=65)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--indicators", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    app, _ = build(os.environ.get("BENCH_DATABASE_URL"), args.communes, args.days, args.indicators)
    backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"built {args.communes} communes × {args.days} days × {args.indicators} indicators "
          f"in {time.perf_counter() - t0:.0f} s ({backend})")
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        event = get_event("NATIONAL-2025")
        last = START + timedelta(days=args.days - 1)
        create_user("bench-tinh", "mat-khau-bench-1", "province", full_name="Bench")
        db.session.commit()

        def loop():
            return [summarize(event, START + timedelta(days=n)) for n in range(args.days)]

        print(f"{'case':44} {'best s':>8}")
        swept, sweep_s = best(lambda: daily_totals(event, last, None, ["houses_collapsed"]), args.repeat)
        print(f"{'trend, one indicator (grouped query)':44} {sweep_s:>8.3f}")
        _, all_s = best(lambda: daily_totals(event, last), args.repeat)
        print(f"{'trend, every indicator (grouped query)':44} {all_s:>8.3f}")
        summaries, loop_s = best(loop, args.repeat)
        print(f"{'trend, one summarize per day (naive)':44} {loop_s:>8.3f}")
        for day, summary in zip(swept, summaries):  # the contract, checked here too
            assert math.isclose(day.totals.get("houses_collapsed", 0),
                                summary.totals.get("houses_collapsed", 0), abs_tol=1e-9)
            assert day.reported == summary.reported
        _, board_s = best(lambda: build_board(event, last, None), args.repeat)
        print(f"{'dashboard data (2 summaries + 1 trend query)':44} {board_s:>8.3f}")
        client = app.test_client()
        client.post("/login", data={"username": "bench-tinh", "password": "mat-khau-bench-1"})
        url = f"/events/NATIONAL-2025/dashboard?date={last.isoformat()}"
        response, page_s = best(lambda: client.get(url), args.repeat)
        assert response.status_code == 200, response.status_code
        body = response.get_data()
        print(f"{'dashboard page (HTTP, server time)':44} {page_s:>8.3f}")
        print(f"dashboard page: {len(body) / 1024:.1f} KB HTML, {len(gzip.compress(body)) / 1024:.1f} KB gzipped; "
              f"expected communes per day: {swept[-1].expected}")


if __name__ == "__main__":
    main()
