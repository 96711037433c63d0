"""The commander opens the dashboard in a real browser, on a desktop and on a phone, offline."""
import random
import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from coordination.areas.models import Commune
from coordination.auth.accounts import create_user
from coordination.database import retry_on_conflict
from coordination.extensions import db
from coordination.reports.submission import Submission, submit_report
from conftest import PASSWORD, PHONE

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN",
           "timezone_id": "Asia/Ho_Chi_Minh"}


def seed_twelve_days(users, at_local):
    """Twenty communes report most days from 6/10 to 17/10, figures growing; 17/10 10:00 is now."""
    rng = random.Random(13)
    codes = list(db.session.scalars(select(Commune.code).order_by(Commune.code)))[:20]
    db.session.execute(update(Commune).where(Commune.code == codes[3]).values(name="Xã <b>Ải</b> Chi Lăng"))
    db.session.commit()
    running = {c: {"people_dead": 0, "people_missing": 0, "houses_collapsed": 0, "people_evacuated": 0,
                   "houses_damaged_heavy": 0, "houses_flooded": 0, "landslide_points": 0,
                   "villages_isolated": 0, "rice_distributed_kg": 0} for c in codes}
    for n in range(12):
        day = date(2025, 10, 6) + timedelta(days=n)
        at_local(day.year, day.month, day.day, 9 if n < 11 else 8, 0)
        for code in codes:
            if rng.random() < (0.25 if n < 11 else 0.7):
                continue  # silent today
            f = running[code]
            if n < 5:
                f["people_dead"] += rng.random() < 0.15
                f["people_missing"] += rng.random() < 0.1
                f["houses_collapsed"] += rng.randint(0, 4)
                f["houses_flooded"] += rng.randint(0, 40)
                f["people_evacuated"] += rng.randint(0, 120)
                f["landslide_points"] += rng.randint(0, 2)
            f["houses_damaged_heavy"] += rng.randint(0, 3)
            f["villages_isolated"] = max(0, f["villages_isolated"] + rng.randint(-1, 2) if n < 6 else 0)
            f["rice_distributed_kg"] += rng.randint(0, 900) if n > 3 else 0
            sub = Submission(event="MATMO-2025", commune=code, date=day.isoformat(),
                             submission_id=f"{code}-{day}", figures=dict(f),
                             note=XSS if code == codes[3] else "", correction_reason="Cập nhật theo thực tế")
            retry_on_conflict(lambda: submit_report(users["admin"], sub, channel="api"))
    at_local(2025, 10, 17, 10, 0)


def log_in(page, live_server):
    page.goto(live_server + "/")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#headline")


def weigh(page) -> dict:
    """Bytes the page pulled over the wire, by URL (the app does not compress)."""
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    return sizes


@pytest.mark.browser
def test_the_commander_reads_the_dashboard_on_a_desktop(users, matmo, at_local, offline_page,
                                                       live_server, tmp_path):
    seed_twelve_days(users, at_local)
    page = offline_page(**DESKTOP)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sizes = weigh(page)
    log_in(page, live_server)  # the landing page is the dashboard
    assert page.url.endswith("/events/MATMO-2025/dashboard")
    assert page.locator("#headline .dash-card").count() == 10
    assert page.locator("svg.trend-chart").count() == 6
    assert page.locator('#chart-dead').get_attribute("data-points") == "12"
    assert page.locator("#waiting a[href='tel:0912345678']").is_visible()  # Thất Khê's officer
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert "Xã <b>Ải</b> Chi Lăng" in page.inner_text("body")  # a name is text, not markup
    assert page.locator("main b").count() == 0
    assert "<script>window.__xss = 1</script>" in page.inner_text("#affected")  # the note, as text
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page_bytes = sum(v for k, v in sizes.items() if "/dashboard" in k or "dashboard.css" in k)
    assert page_bytes <= 120_000, sizes
    shot = tmp_path / "dashboard-desktop.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, "/tmp/dash-dashboard-desktop.png")
    assert page.blocked_requests == []


@pytest.mark.browser
def test_the_commander_reads_the_dashboard_on_a_phone(users, matmo, at_local, offline_page,
                                                     live_server, tmp_path):
    seed_twelve_days(users, at_local)
    code = db.session.scalars(select(Commune.code).order_by(Commune.code)).all()[30]
    create_user("canbo30", PASSWORD, "commune", code, full_name="Hoàng Thị Dung", phone="0203 812 345")
    db.session.commit()
    page = offline_page(**PHONE)
    log_in(page, live_server)
    # nothing sticks out sideways on a 390px screen; the headline fits two cards a row
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first, second = (page.locator("#headline .dash-card").nth(i).bounding_box() for i in (0, 1))
    assert first["y"] == second["y"] and first["width"] > 150
    call = page.locator(f'#waiting li[data-code="{code}"] a[href="tel:0203812345"]')
    assert call.is_visible() and call.bounding_box()["height"] >= 36  # a thumb can hit it
    chart = page.locator("#chart-houses_collapsed").bounding_box()
    assert chart["width"] > 300
    shot = tmp_path / "dashboard-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, "/tmp/dash-dashboard-phone.png")
    assert page.blocked_requests == []
