"""Benchmark of the relief ledger: the pipeline with flags, and the one aggregation
with the rice figures overlaid from the ledger (against the same summary without one).

    .venv/bin/python -m bench.relief [--communes 3300 --days 20 --batches 10]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (PostgreSQL)
"""
import argparse
import os
from datetime import timedelta

from sqlalchemy import insert, select, text

from coordination.areas.models import Commune
from coordination.events import get_event
from coordination.extensions import db
from coordination.relief.models import (ReliefAllocation, ReliefAllocationLine, ReliefDelivery,
                                        ReliefDistribution)
from coordination.relief.pipeline import compute
from coordination.reports.aggregation import summarize

from .aggregation import timed
from .synthetic import START, build


def ledger(event, communes: list[str], batches: int) -> None:
    """One decision for every commune, two hand-overs each, `batches` village batches each."""
    allocation = ReliefAllocation(event_id=event.id, decision_no="1/QĐ-BENCH", decision_date=START,
                                  item="gao", unit="kg", deadline=START + timedelta(days=3))
    db.session.add(allocation)
    db.session.flush()
    db.session.execute(insert(ReliefAllocationLine), [
        dict(allocation_id=allocation.id, commune_code=c, quantity=100_000.0) for c in communes])
    db.session.execute(insert(ReliefDelivery), [
        dict(event_id=event.id, commune_code=c, item="gao", quantity=50_000.0,
             delivered_on=START + timedelta(days=1 + trip), document_no=f"BB-{n}-{trip}",
             shortfall_reason="") for n, c in enumerate(communes) for trip in range(2)])
    db.session.execute(insert(ReliefDistribution), [
        dict(event_id=event.id, commune_code=c, item="gao", distributed_on=START + timedelta(days=2 + b),
             village=f"Thôn {b}", households=160, people=600, quantity=9_000.0, reason="",
             submission_id=f"{c}-{b}", body_hash="x" * 64)
        for c in communes for b in range(batches)])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    app, _ = build(os.environ.get("BENCH_DATABASE_URL"), args.communes, args.days, 30)
    print(f"{args.communes} communes × {args.days} days of reports, "
          f"{args.batches} batches per commune ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
    with app.app_context():
        event = get_event("NATIONAL-2025")
        last = START + timedelta(days=args.days - 1)
        _, before, _ = timed(lambda: summarize(event, last))
        communes = list(db.session.scalars(select(Commune.code)))
        ledger(event, communes, args.batches)
        print(f"{'case':40} {'communes':>8} {'best s':>8} {'peak MiB':>9}")
        print(f"{'summary, no ledger':40} {len(communes):>8} {before:>8.3f} {'':>9}")
        cases = {"summary with ledger overlay": lambda: summarize(event, last),
                 "pipeline with flags, whole country": lambda: compute(event, "gao", last),
                 "pipeline, one commune": lambda: compute(event, "gao", last, [communes[0]])}
        for name, fn in cases.items():
            result, seconds, peak = timed(fn)
            print(f"{name:40} {len(result.communes):>8} {seconds:>8.3f} {peak / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
