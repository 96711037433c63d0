"""Benchmark of SMS reporting: the parser, and inbound SMS end to end (gateway endpoint:
token, officer lookup by phone, parse, submit_report, stored row, queued reply).

    .venv/bin/python -m bench.sms [--communes 3300 --messages 500]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (PostgreSQL)
"""
import argparse
import os
import statistics
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, insert, select

from coordination.auth.accounts import create_user, issue_token
from coordination.auth.models import User
from coordination.extensions import db
from coordination.sms.inbound import sms_codes
from coordination.sms.parser import parse_sms

from .synthetic import START, build


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[round(0.95 * (len(samples) - 1))]
    return f"{statistics.mean(samples) * 1000:>8.2f} {p95 * 1000:>8.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    app, _ = build(os.environ.get("BENCH_DATABASE_URL"), args.communes, args.days)
    with app.app_context():
        ids = [f"9{n:05d}" for n in range(args.communes)]
        password_hash = create_user("mau", "mat-khau-bench", "commune", ids[0]).password_hash
        db.session.execute(insert(User), [dict(
            username=f"xa{n}", password_hash=password_hash, role="commune", commune_code=c,
            phone=f"09{n:08d}", full_name="", email="", active=True)
            for n, c in enumerate(ids)])
        token = issue_token(create_user("cong", "mat-khau-bench", "gateway"))
        db.session.commit()
        codes, whole = sms_codes()
        texts = [f"BC CH {n % 3} MT {n % 5} NN {n % 200} LUA {n % 7},5 GN {n * 10}"
                 for n in range(10_000)]
        t0 = time.perf_counter()
        for text in texts:
            parse_sms(text, codes, date(2025, 10, 9), whole)
        parse_us = (time.perf_counter() - t0) / len(texts) * 1e6
    day = START + timedelta(days=args.days)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    n = min(args.messages, args.communes)
    timings: dict[str, list[float]] = {"accepted": [], "duplicate": [], "unknown number": []}
    eleven = datetime.combine(day, datetime.min.time()).replace(
        hour=11, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(eleven, tick=True):
        for i in range(n):
            body = {"from": f"+849{i:08d}",
                    "text": f"BC CH {i % 3} MT {i % 5} NN {i % 200} GN {i * 10}",
                    "message_id": f"m{i}"}
            for case, payload in (("accepted", body), ("duplicate", body),
                                  ("unknown number", {**body, "from": f"+8470{i:07d}"})):
                t0 = time.perf_counter()
                response = client.post("/api/v1/sms/inbound", json=payload, headers=headers)
                timings[case].append(time.perf_counter() - t0)
                assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        accounts = db.session.scalar(select(func.count()).select_from(User))
    print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: {args.communes} + Lạng Sơn "
          f"communes, {accounts} accounts, {n} SMS per case")
    print(f"{'case':42} {'mean ms':>8} {'p95 ms':>8}")
    print(f"{'parse one SMS (µs)':42} {parse_us:>8.1f}")
    for case, samples in timings.items():
        print(f"{'POST /api/v1/sms/inbound: ' + case:42} {ms(samples)}")


if __name__ == "__main__":
    main()
