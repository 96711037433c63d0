"""Benchmark of the deadline job and the compliance board at national scale.

    .venv/bin/python -m bench.deadlines [--communes 3300 --days 60]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (PostgreSQL)
"""
import argparse
import os
import time
from datetime import datetime, timedelta

from coordination.deadlines.board import day_board, matrix
from coordination.deadlines.flags import run_deadline
from coordination.deadlines.schedules import ensure_default_schedule
from coordination.events import get_event
from coordination.extensions import db
from coordination.timeutil import to_utc_naive

from .synthetic import START, build


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    app, _ = build(os.environ.get("BENCH_DATABASE_URL"), args.communes, args.days)
    with app.app_context():
        event = get_event("NATIONAL-2025")
        schedule = ensure_default_schedule(event)
        db.session.commit()
        last = START + timedelta(days=args.days - 1)

        def at_15h(day):
            return to_utc_naive(datetime.combine(day, datetime.min.time()).replace(hour=15))

        now = at_15h(last)
        # The scheduler was down until the day before the last one: catch-up flags every
        # period; then the last day's 14:00 run meets communes on time, late and missing.
        cases = {
            "catch-up: every period (first start)":
                lambda: run_deadline(schedule, event, at_15h(last - timedelta(days=1))),
            "daily run: a realistic day": lambda: run_deadline(schedule, event, now),
            "daily run again, nothing changes": lambda: run_deadline(schedule, event, now),
            "full recompute, nothing changes": lambda: run_deadline(schedule, event, now, full=True),
        }
        print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: "
              f"{args.communes} + Lạng Sơn communes × {args.days} days")
        print(f"{'case':40} {'periods':>7} {'changed':>8} {'on time/late/missing':>22} {'s':>7}")
        for name, fn in cases.items():
            result, seconds = timed(fn)
            counts = "/".join(str(result.counts.get(k, 0)) for k in ("on_time", "late", "missing"))
            print(f"{name:40} {len(result.periods):>7} {result.changed:>8} {counts:>22} "
                  f"{seconds:>7.2f}")
        for name, fn in {"board: one day": lambda: day_board(schedule, event, last, now),
                         "board: matrix + rates": lambda: matrix(schedule, event, now)}.items():
            _, seconds = timed(fn)
            print(f"{name:40} {'':>7} {'':>8} {'':>22} {seconds:>7.2f}")


if __name__ == "__main__":
    main()
