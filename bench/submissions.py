"""Submissions under load, side by side with the bare-insert ceiling, in one run.

    .venv/bin/python -m bench.submissions                       (SQLite, 50 clients, 20 s each)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.submissions
    .venv/bin/python -m bench.submissions --seconds 2 --clients 4   (a quick check)

Both servers run under gunicorn with 2 workers × 4 threads on loopback, one after the
other on the same machine and database, driven by the same load generator: wrk (Debian
package `wrk`) when installed, else a Python generator with one keep-alive connection
per client thread (`--generator python`). Our app gets `POST /api/v1/reports` as the 65
Lạng Sơn commune officers (one bearer token each) filing a new day's report with ten
figures; the ceiling (bench/ceiling.py) stores the same JSON body as one row.
Prints requests/s, latency p50/p95/p99/max, non-2xx answers and the ratio app/ceiling.

Then latency at a pace: the same 50 clients, each waiting about 50/rate seconds (jittered)
between an answer and its next request, rate being half the ceiling's measured throughput
unless `--rate` says otherwise. Closed-loop clients that never pause measure throughput;
their latency is only clients/throughput (the ceiling's own p95 is over 100 ms that way),
so the latency target is read at the paced load.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from coordination import create_app
from coordination.areas.models import Commune
from coordination.auth.accounts import create_user, issue_token
from coordination.cli import seed_defaults
from coordination.events import create_event
from coordination.extensions import db
from coordination.indicators import Indicator
from coordination.timeutil import local_today

ROOT = Path(__file__).resolve().parent.parent
EVENT = "LOAD-2025"
DAYS = 365  # each request files a new (commune, day) report: 65 × 365 distinct reports


def seed(url: str, workdir: Path) -> tuple[list[tuple[str, str]], list[str], str]:
    """Fresh database: Lạng Sơn, an event over the past year, one officer + token per commune."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"},
                     instance_path=str(workdir))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS ceiling_rows"))
        db.create_all()
        seed_defaults()
        start = local_today() - timedelta(days=DAYS - 1)
        create_event({"code": EVENT, "name": "Bão thử tải", "type": "storm_flood",
                      "start_date": start.isoformat()})
        officers = []
        for code in db.session.scalars(select(Commune.code).order_by(Commune.code)):
            user = create_user(f"xa{code}", "mat-khau-bench-1", "commune", code)
            db.session.flush()
            officers.append((code, issue_token(user)))
        figures = list(db.session.scalars(select(Indicator.code).where(Indicator.is_active.is_(True))
                                          .order_by(Indicator.group_order, Indicator.position)
                                          .limit(10)))
        db.session.commit()
        db.engine.dispose()
    return officers, figures, start.isoformat()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(target: str, url: str, warm: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "--backlog", "2048", target],
        cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + warm, timeout=5):
                break
        except urllib.error.HTTPError:
            break  # it answers
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"{target} did not start")
    return server, base


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


LUA = r"""
local officers = {%(officers)s}
local figures = '%(figures)s'
local path = '%(path)s'
local start = %(start)d
local threads, counter, total = {}, 0, %(threads)d
function setup(thread) thread:set("index", #threads); table.insert(threads, thread) end
request = function()
  local n = counter * total + index
  counter = counter + 1
  local officer = officers[(n %% #officers) + 1]
  local day = os.date("!%%Y-%%m-%%d", start + math.floor(n / #officers) %% %(days)d * 86400)
  local body = string.format('{"event":"%(event)s","commune":"%%s","date":"%%s",' ..
    '"submission_id":"b-%%d-%%d-%%d","figures":%%s}', officer[1], day, index, counter, %(salt)d, figures)
  return wrk.format("POST", path, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. officer[2]}, body)
end
%(delay)s
function done(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "non2xx": %%d, "errors": %%d, ' ..
    '"p50": %%d, "p95": %%d, "p99": %%d, "max": %%d}\n', summary.requests, summary.duration / 1e6,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def bodies(officers, figures, start_day):
    """The n-th request: (headers, body) — the same sequence as the Lua script."""
    from datetime import date
    first = date.fromisoformat(start_day)
    values = json.dumps({code: i + 1 for i, code in enumerate(figures)})

    def make(n: int, path: str) -> tuple[dict, bytes]:
        code, token = officers[n % len(officers)]
        day = first + timedelta(days=(n // len(officers)) % DAYS)
        body = (f'{{"event":"{EVENT}","commune":"{code}","date":"{day.isoformat()}",'
                f'"submission_id":"p-{n}-{uuid.uuid4().hex[:8]}","figures":{values}}}')
        return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}, body.encode()
    return make


def pace_ms(clients: int, rate: float | None) -> int:
    """Each client's mean wait between its requests for `clients` to offer `rate` req/s."""
    return round(clients * 1000 / rate) if rate else 0


def run_wrk(base: str, path: str, clients: int, seconds: int, officers, figures, start_day,
            workdir: Path, salt: int, rate: float | None = None) -> dict:
    from datetime import date, datetime, timezone
    epoch = int(datetime.combine(date.fromisoformat(start_day), datetime.min.time(),
                                 tzinfo=timezone.utc).timestamp()) + 12 * 3600
    threads = min(2, clients)
    script = workdir / f"post-{salt}.lua"
    script.write_text(LUA % {
        "officers": ", ".join(f'{{"{c}", "{t}"}}' for c, t in officers),
        "figures": json.dumps({code: i + 1 for i, code in enumerate(figures)}),
        "path": path, "start": epoch, "threads": threads, "days": DAYS, "event": EVENT,
        "salt": salt, "delay": _lua_delay(pace_ms(clients, rate))})
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s",
                           "--timeout", "10s", "-s", str(script), base], capture_output=True,
                          text=True, timeout=seconds + 60)
    match = re.search(r"RESULT (\{.*\})", done.stdout)
    if not match:
        raise RuntimeError(done.stdout + done.stderr)
    result = json.loads(match.group(1))
    for key in ("p50", "p95", "p99", "max"):
        result[key] /= 1000.0  # µs → ms
    return result


def _lua_delay(pace: int) -> str:
    """wrk waits delay() ms on a connection after each answer; uniform jitter around the
    pace keeps the clients from sending in step."""
    if not pace:
        return ""
    return f"function delay() return math.random({pace // 2}, {pace + pace // 2}) end"


def run_python(base: str, path: str, clients: int, seconds: int, officers, figures,
               start_day, workdir: Path, salt: int, rate: float | None = None) -> dict:
    make = bodies(officers, figures, start_day)
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    counts = {"non2xx": 0, "errors": 0}
    lock = threading.Lock()
    counter = iter(range(salt * 10_000_000, (salt + 1) * 10_000_000))
    deadline = time.perf_counter() + seconds
    pace = pace_ms(clients, rate) / 1000

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
            if pace:
                time.sleep(random.uniform(pace / 2, pace * 1.5))
            with lock:
                n = next(counter)
            headers, body = make(n, path)
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                with lock:
                    counts["errors"] += 1
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                counts["non2xx"] += not ok

    t0 = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    duration = time.perf_counter() - t0
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else 0
    return {"requests": len(latencies), "seconds": duration, **counts, "p50": pct(50),
            "p95": pct(95), "p99": pct(99), "max": latencies[-1] if latencies else 0}


TARGETS = (("ceiling", "bench.ceiling:app", "/rows", "/rows", "bare insert (bench/ceiling.py)"),
           ("app", "app:app", "/api/v1/reports", "/healthz", "POST /api/v1/reports"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="alternate ceiling/app this many times")
    parser.add_argument("--rate", type=float, default=None,
                        help="req/s the paced clients offer together (default: half the "
                             "ceiling's measured throughput; 0 skips the paced run)")
    parser.add_argument("--generator", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-submissions-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'load.sqlite'}"
    ceiling_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'ceiling.sqlite'}"
    officers, figures, start_day = seed(url, workdir)
    subprocess.run([sys.executable, "-c", "import bench.ceiling"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": ceiling_url})  # its table, once
    load = run_wrk if args.generator == "wrk" else run_python
    urls = {"ceiling": ceiling_url, "app": url}
    salt = 0

    def measure(rate: float | None) -> dict[str, float]:
        nonlocal salt
        rates = {}
        for name, target, path, warm, label in TARGETS:
            server, base = start(target, urls[name], warm)
            try:
                salt += 1
                run_python(base, path, min(4, args.clients), 1, officers, figures, start_day,
                           workdir, 1000 + salt)  # warm-up (first requests of each worker)
                r = load(base, path, args.clients, args.seconds, officers, figures, start_day,
                         workdir, salt, rate)
            finally:
                stop(server)
            rates[name] = r["requests"] / r["seconds"]
            print(f"{label:34} {rates[name]:>7.0f} {r['p50']:>7.1f} {r['p95']:>7.1f} "
                  f"{r['p99']:>7.1f} {r['max']:>7.1f} {r['non2xx']:>7} {r['errors']:>6}",
                  flush=True)
        return rates

    print(f"{url.split(':')[0]}, {args.clients} clients, {args.seconds} s each, {args.generator}, "
          f"gunicorn 2 workers × 4 threads")
    header = (f"{'target':34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
              f"{'max ms':>7} {'non-2xx':>7} {'errors':>6}")
    print("Throughput: every client sends its next request as soon as it has the answer")
    print(header)
    runs = [measure(None) for _ in range(args.rounds)]
    ceiling = sum(r["ceiling"] for r in runs) / len(runs)
    ratio = sum(r["app"] for r in runs) / max(1e-9, sum(r["ceiling"] for r in runs))
    print(f"ratio app / ceiling: {ratio:.2f}×")
    rate = ceiling / 2 if args.rate is None else args.rate
    if rate:
        print(f"\nLatency, paced: each client waits about {pace_ms(args.clients, rate)} ms "
              f"between an answer and its next request ({rate:.0f} req/s if answers took no time)")
        print(header)
        measure(rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
