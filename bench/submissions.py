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
"""
import argparse
import http.client
import json
import os
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


def run_wrk(base: str, path: str, clients: int, seconds: int, officers, figures, start_day,
            workdir: Path, salt: int) -> dict:
    from datetime import date, datetime, timezone
    epoch = int(datetime.combine(date.fromisoformat(start_day), datetime.min.time(),
                                 tzinfo=timezone.utc).timestamp()) + 12 * 3600
    threads = min(2, clients)
    script = workdir / f"post-{salt}.lua"
    script.write_text(LUA % {
        "officers": ", ".join(f'{{"{c}", "{t}"}}' for c, t in officers),
        "figures": json.dumps({code: i + 1 for i, code in enumerate(figures)}),
        "path": path, "start": epoch, "threads": threads, "days": DAYS, "event": EVENT,
        "salt": salt})
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


def run_python(base: str, path: str, clients: int, seconds: int, officers, figures,
               start_day, workdir: Path, salt: int) -> dict:
    make = bodies(officers, figures, start_day)
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    counts = {"non2xx": 0, "errors": 0}
    lock = threading.Lock()
    counter = iter(range(salt * 10_000_000, (salt + 1) * 10_000_000))
    deadline = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="alternate ceiling/app this many times")
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
    print(f"{url.split(':')[0]}, {args.clients} clients, {args.seconds} s each, {args.generator}, "
          f"gunicorn 2 workers × 4 threads")
    print(f"{'target':34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'non-2xx':>7} {'errors':>6}")
    rates: dict[str, list[float]] = {"ceiling": [], "app": []}
    salt = 0
    for _ in range(args.rounds):
        for name, target, db_url, path, warm in (
                ("ceiling", "bench.ceiling:app", ceiling_url, "/rows", "/rows"),
                ("app", "app:app", url, "/api/v1/reports", "/healthz")):
            server, base = start(target, db_url, warm)
            try:
                salt += 1
                run_python(base, path, min(4, args.clients), 1, officers, figures, start_day,
                           workdir, 1000 + salt)  # warm-up (first requests of each worker)
                r = load(base, path, args.clients, args.seconds, officers, figures, start_day,
                         workdir, salt)
            finally:
                stop(server)
            rate = r["requests"] / r["seconds"]
            rates[name].append(rate)
            label = ("bare insert (bench/ceiling.py)" if name == "ceiling"
                     else "POST /api/v1/reports")
            print(f"{label:34} {rate:>7.0f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} "
                  f"{r['max']:>7.1f} {r['non2xx']:>7} {r['errors']:>6}", flush=True)
    ratio = sum(rates["app"]) / max(1e-9, sum(rates["ceiling"]))
    print(f"ratio app / ceiling: {ratio:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
