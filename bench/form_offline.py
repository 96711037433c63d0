"""The phone form's cost on a thin network and its recovery after an outage.

    .venv/bin/python -m bench.form_offline [--outages 3,20] [--runs 2]

Runs the app in its own process (bench/app_process.py) behind a byte-counting TCP proxy,
drives Debian's chromium on a phone-sized screen, and prints:
- bytes over the wire (both directions, headers included) for the form's first visit
  (log-in page, form, service worker install) and for a repeat visit, with the service
  worker and, for comparison, without one (HTTP cache only);
- for each outage length: the seconds from the server answering again to the report
  being stored and the page showing "Đang chờ gửi (0)", without a tap.
Database: BENCH_DATABASE_URL (PostgreSQL) or a temporary SQLite file.
"""
import argparse
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.app_process import AppProcess, free_port
from bench.browser import open_report_form, wait_until

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "mat-khau-an-toan-1"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


class CountingProxy:
    """127.0.0.1:port → upstream port; counts every byte in both directions."""

    def __init__(self, upstream: int):
        self.upstream = upstream
        self.bytes = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> int:
        with self.lock:
            value, self.bytes = self.bytes, 0
        return value

    def _accept(self):
        while True:
            client, _ = self.server.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, target):
        try:
            while chunk := source.recv(65536):
                with self.lock:
                    self.bytes += len(chunk)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def prepare_database(workdir: Path) -> str:
    from sqlalchemy import text

    from coordination import create_app
    from coordination.auth.accounts import create_user
    from coordination.cli import seed_defaults
    from coordination.events import create_event
    from coordination.extensions import db

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"},
                     instance_path=str(workdir / "instance"))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        seed_defaults()
        create_user("thatkhe", PASSWORD, "commune", "06040", full_name="Nguyễn Văn An")
        create_event({"code": "MATMO-2025", "name": "Bão số 11 (Matmo) và mưa lũ",
                      "type": "storm_flood", "start_date": "2025-10-06"})
        db.session.commit()
        db.engine.dispose()
    return url


def versions(url: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM report_versions")).scalar()
    engine.dispose()
    return count


def log_in(page, base):
    open_report_form(page, base, "thatkhe", PASSWORD)


def wait_for_worker(page):
    wait_until(page, "navigator.serviceWorker.controller !== null", timeout=20000)
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_load_state("networkidle")


def measure_bytes(browser, base, proxy) -> dict:
    sizes = {}
    context = browser.new_context(**PHONE)
    page = context.new_page()
    proxy.reset()
    log_in(page, base)
    wait_for_worker(page)
    page.wait_for_timeout(500)
    sizes["first visit (log-in + form + service worker install)"] = proxy.reset()
    for i in range(2):
        page.goto(base + "/report")
        page.wait_for_selector("#report-form")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        sizes[f"repeat visit {i + 1}, service worker"] = proxy.reset()
    context.close()

    context = browser.new_context(service_workers="block", **PHONE)
    page = context.new_page()
    log_in(page, base)
    page.wait_for_load_state("networkidle")
    proxy.reset()
    page.goto(base + "/report")
    page.wait_for_selector("#report-form")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    sizes["repeat visit, no service worker (HTTP cache only)"] = proxy.reset()
    context.close()
    return sizes


def measure_recovery(browser, app: AppProcess, url: str, outage: float) -> float:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, app.url)
    wait_for_worker(page)
    before = versions(url)
    app.stop()
    page.fill("#f_houses_collapsed", str(before + 1))
    page.click("#submit-report")
    wait_until(page, "document.getElementById('outbox-count').textContent === 'Đang chờ gửi (1)'",
               timeout=20000)
    time.sleep(outage)
    app.start()  # returns when /healthz answers: the server is back
    back = time.monotonic()
    wait_until(page, "document.getElementById('outbox-count').textContent === 'Đang chờ gửi (0)'",
               timeout=60000, every=0.05)  # the time to "sent" is what is measured
    seconds = time.monotonic() - back
    assert versions(url) == before + 1, "exactly one version per report"
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", default="3,20", help="outage lengths in seconds")
    parser.add_argument("--runs", type=int, default=2, help="recoveries per outage length")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = prepare_database(workdir)
        app = AppProcess(url, workdir / "instance", port=free_port()).start()
        proxy = CountingProxy(app.port)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update"])
                print(f"database: {url.split('@')[-1]}")
                for label, size in measure_bytes(browser, f"http://127.0.0.1:{proxy.port}",
                                                 proxy).items():
                    print(f"{label:55s} {size / 1024:8.1f} KiB")
                for outage in [float(x) for x in args.outages.split(",")]:
                    times = [measure_recovery(browser, app, url, outage) for _ in range(args.runs)]
                    print(f"server back → receipt, after {outage:g} s down: "
                          + ", ".join(f"{t:.1f} s" for t in times))
                browser.close()
        finally:
            app.stop()


if __name__ == "__main__":
    main()
