"""Benchmark of the one aggregation (latest report on or before D) at national scale.

    .venv/bin/python -m bench.aggregation [--communes 3300 --days 60 --indicators 30]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (PostgreSQL)
"""
import argparse
import os
import time
import tracemalloc
from datetime import timedelta

from coordination.events import get_event
from coordination.reports.aggregation import summarize

from .synthetic import START, build


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, best, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--indicators", type=int, default=30)
    args = parser.parse_args()
    t0 = time.perf_counter()
    app, _ = build(os.environ.get("BENCH_DATABASE_URL"), args.communes, args.days, args.indicators)
    print(f"built {args.communes} communes × {args.days} days × {args.indicators} indicators "
          f"in {time.perf_counter() - t0:.0f} s ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
    with app.app_context():
        event = get_event("NATIONAL-2025")
        last = START + timedelta(days=args.days - 1)
        cases = {"whole country, last day": lambda: summarize(event, last),
                 "whole country, mid event": lambda: summarize(event, START + timedelta(days=args.days // 2)),
                 "one area (10 %), last day": lambda: summarize(event, last, "mien-bac")}
        print(f"{'case':32} {'communes':>8} {'best s':>8} {'peak MiB':>9}")
        for name, fn in cases.items():
            summary, seconds, peak = timed(fn)
            print(f"{name:32} {len(summary.communes):>8} {seconds:>8.3f} {peak / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
