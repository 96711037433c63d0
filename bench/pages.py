"""Every page on a weak link: bytes over the wire and time to load, first and repeat visit.

    .venv/bin/python -m bench.pages                  (2G: 250 kbit/s, 800 ms round trip, phone)
    .venv/bin/python -m bench.pages --fast --days 2  (no throttling: a quick check that it runs)
    BENCH_DATABASE_URL=postgresql+psycopg://... (PostgreSQL instead of a throw-away SQLite file)

Real Chromium (Debian's /usr/bin/chromium through Playwright) with the network throttled
through the DevTools protocol (Network.emulateNetworkConditions), a phone viewport, against
a live server (the app under gunicorn, as `make run`) on a fresh database seeded like Bão
Matmo: Lạng Sơn's 65 communes, a daily 14:00 schedule, `--days` days of reports, each day
~70 % on time, ~15 % late, ~15 % missing. Bytes are the encoded sizes Chromium received
(headers included); a file served from the browser cache counts 0. "First" is an empty
cache (logged in already), "repeat" the same page opened again in the same browser.
"""
import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coordination import create_app
from coordination.areas.models import Commune
from coordination.auth.accounts import create_user
from coordination.cli import seed_defaults
from coordination.deadlines.flags import run_deadline
from coordination.deadlines.schedules import ensure_default_schedule
from coordination.events import create_event
from coordination.extensions import db
from coordination.indicators import Indicator
from coordination.timeutil import local_today, utcnow

from .synthetic import _reports

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "mat-khau-bench-1"
EVENT = "MATMO-2025"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
TWO_G = {"offline": False, "latency": 800, "downloadThroughput": 250_000 / 8,
         "uploadThroughput": 250_000 / 8}
# page: (user, path, first-visit target KB, repeat-visit target KB or None)
PAGES = {
    "login": (None, "/login", 60, None),
    "report form": ("thatkhe", "/report", 60, 10),
    "province list": ("tinh", "/reports", 120, None),
    "dashboard": ("tinh", f"/events/{EVENT}/dashboard", 120, None),
    "table": ("tinh", f"/events/{EVENT}/table", 120, None),
    "Kỳ Cùng map": ("tinh", f"/events/{EVENT}/map?area=ky-cung", 150, None),
    "compliance board": ("tinh", f"/events/{EVENT}/compliance", 60, None),
}


def seed(url: str, workdir: Path, days: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"},
                     instance_path=str(workdir))
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_defaults()
        start = local_today() - timedelta(days=days - 1)
        event = create_event({"code": EVENT, "name": "Bão số 11 (Matmo) và mưa lũ",
                              "type": "storm_flood", "start_date": start.isoformat()})
        create_user("tinh", PASSWORD, "province", full_name="Văn phòng BCH tỉnh")
        create_user("thatkhe", PASSWORD, "commune", "06040", full_name="Nguyễn Văn An",
                    phone="0912345678")
        db.session.commit()
        communes = list(db.session.scalars(select(Commune.code).order_by(Commune.code)))
        codes = list(db.session.scalars(select(Indicator.code).where(Indicator.is_active.is_(True))))
        # every day but today (the officer is about to file today's report)
        _reports(event.id, communes, codes, days - 1, random.Random(15), start=start)
        schedule = ensure_default_schedule(event)
        db.session.commit()
        run_deadline(schedule, event, utcnow())
        db.session.commit()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:app"], cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=5) as response:
                response.read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the server did not start")
    for _ in range(8):  # warm both workers up (imports, first queries) before measuring
        with urllib.request.urlopen(f"{base}/login", timeout=30) as response:
            response.read()
    return server, base


def log_in(browser, base: str, user: str | None) -> dict | None:
    if user is None:
        return None
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    state = context.storage_state()
    context.close()
    return state


def visit(page, cdp, url: str) -> tuple[int, float, int]:
    """(bytes over the wire, seconds to the load event, requests) of one navigation."""
    sizes: dict[str, int] = {}

    def finished(event):
        sizes[event["requestId"]] = event.get("encodedDataLength", 0)

    cdp.on("Network.loadingFinished", finished)
    t0 = time.perf_counter()
    response = page.goto(url, wait_until="load", timeout=180_000)
    seconds = time.perf_counter() - t0
    page.wait_for_timeout(200)  # late loadingFinished events
    cdp.remove_listener("Network.loadingFinished", finished)
    if response is None or response.status != 200:
        raise RuntimeError(f"{url}: HTTP {response.status if response else '?'}")
    return sum(sizes.values()), seconds, len(sizes)


def measure(browser, base: str, name: str, user: str | None, path: str, throttle: bool,
            states: dict) -> tuple:
    if user not in states:
        states[user] = log_in(browser, base, user)
    context = browser.new_context(**PHONE, storage_state=states[user])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if throttle:
        cdp.send("Network.emulateNetworkConditions", TWO_G)
    first = visit(page, cdp, base + path)
    repeat = visit(page, cdp, base + path)
    context.close()
    return first, repeat


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=20, help="days of reports (≥ 2)")
    parser.add_argument("--fast", action="store_true", help="no throttling (a quick run)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'pages.sqlite'}"
    seed(url, workdir, max(2, args.days))
    server, base = start_server(url, workdir)
    wanted = [p.strip() for p in args.pages.split(",") if p.strip()] or list(PAGES)
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"])
            profile = "no throttling" if args.fast else "2G: 250 kbit/s, 800 ms RTT"
            print(f"{url.split(':')[0]}, {args.days} days of reports, phone 390×844, {profile}")
            print(f"{'page':18} {'first KB':>9} {'s':>6} {'req':>4} {'repeat KB':>10} {'s':>6} "
                  f"{'req':>4}  target KB (first/repeat)")
            states: dict = {}
            for name in wanted:
                user, path, target_first, target_repeat = PAGES[name]
                try:
                    first, repeat = measure(browser, base, name, user, path, not args.fast, states)
                except RuntimeError as exc:
                    print(f"{name:18} skipped ({exc})")
                    continue
                ok = first[0] / 1000 <= target_first and (
                    target_repeat is None or repeat[0] / 1000 <= target_repeat)
                target = f"≤ {target_first}" + (f" / ≤ {target_repeat}" if target_repeat else "")
                print(f"{name:18} {first[0] / 1000:>9.1f} {first[1]:>6.1f} {first[2]:>4} "
                      f"{repeat[0] / 1000:>10.1f} {repeat[1]:>6.1f} {repeat[2]:>4}  {target}"
                      f" {'ok' if ok else 'OVER'}", flush=True)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
