"""Reminders before 14:00 (banner, outbox for the SMS gateway, e-mail with retries), the
compliance board and its API, the admin's schedule page, and the board in a real browser."""
import socketserver
import threading

import pytest
from sqlalchemy import select

from coordination.deadlines.models import Notification
from coordination.deadlines.jobs import deliver_email
from coordination.deadlines.scheduler import deadline_job, reminder_job
from coordination.extensions import db
from coordination.timeutil import utcnow
from conftest import PASSWORD, csrf_from, login
from conftest import HUULUNG, THATKHE


def run(job, app, *args):
    """Run a real scheduler job (own app context and session), then end our read transaction
    so this test's session sees what it wrote (requests in tests share our session)."""
    job(app, *args)
    db.session.commit()


def outbox(channel=None) -> list[Notification]:
    db.session.commit()
    query = select(Notification).order_by(Notification.id)
    if channel:
        query = query.where(Notification.channel == channel)
    return list(db.session.scalars(query))


def test_10h_reminder_goes_to_communes_that_have_not_reported_once(app, daily, post_report,
                                                                    at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe")
    at_local(2025, 10, 8, 10, 0)
    run(reminder_job, app, daily.id, "10:00")
    run(reminder_job, app, daily.id, "10:00")  # a second scheduler, or a re-run: nothing new
    sms = outbox("sms")
    assert [(n.commune_code, n.recipient) for n in sms] == [(HUULUNG, "0987654321")]
    assert "chưa gửi báo cáo ngày 08/10/2025" in sms[0].message and "14:00" in sms[0].message
    in_app = {n.commune_code for n in outbox("in_app")}
    assert HUULUNG in in_app and THATKHE not in in_app
    assert outbox("email") == []  # no SMTP configured


def test_commune_sees_the_reminder_banner_until_it_reports(app, client, daily, post_report,
                                                          at_local):
    at_local(2025, 10, 8, 13, 0)
    run(reminder_job, app, daily.id, "13:00")
    login(client, "huulung")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'id="deadline-banner"' in page and "Nhắc báo cáo" in page
    at_local(2025, 10, 8, 13, 20)
    assert post_report("other").status_code == 201
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'id="deadline-banner"' not in page


def test_after_the_deadline_the_banner_says_the_report_is_overdue(app, client, daily, at_local):
    at_local(2025, 10, 8, 14, 0)
    run(deadline_job, app, daily.id)
    login(client, "huulung")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Quá hạn: chưa gửi báo cáo kỳ 2025-10-08" in page


def test_sms_gateway_reads_the_outbox_and_marks_rows_sent(app, client, auth, gateway, daily,
                                                         at_local):
    at_local(2025, 10, 8, 10, 0)
    run(reminder_job, app, daily.id, "10:00")
    gw = gateway["headers"]
    pending = client.get("/api/v1/notifications?status=pending&channel=sms",
                         headers=gw).get_json()["notifications"]
    phones = {n["recipient"] for n in pending}
    assert phones == {"0912345678", "0987654321"}
    first = pending[0]["id"]
    failed = client.post(f"/api/v1/notifications/{first}/failed", json={"error": "timeout"},
                         headers=gw)
    assert failed.get_json()["attempts"] == 1 and failed.get_json()["last_error"] == "timeout"
    sent = client.post(f"/api/v1/notifications/{first}/sent", headers=gw).get_json()
    assert sent["sent_at"] == "2025-10-08T10:00:00+07:00"
    left = client.get("/api/v1/notifications?channel=sms", headers=gw).get_json()
    assert first not in {n["id"] for n in left["notifications"]}
    assert client.get("/api/v1/notifications", headers=auth("thatkhe")).status_code == 403
    # Only the gateway drains the outbox: province and admin accounts no longer mark rows.
    for who in ("province", "admin"):
        assert client.get("/api/v1/notifications", headers=auth(who)).status_code == 403
        assert client.post(f"/api/v1/notifications/{first}/sent",
                           headers=auth(who)).status_code == 403
        assert client.post(f"/api/v1/notifications/{first}/failed",
                           headers=auth(who)).status_code == 403
    assert client.get("/api/v1/notifications?status=bogus",
                      headers=gw).get_json()["errors"] == {"status": "invalid"}


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept a message."""

    def handle(self):
        self.wfile.write(b"220 test\r\n")
        data = False
        for line in self.rfile:
            if data:
                self.server.lines.append(line)
                if line == b".\r\n":
                    data = False
                    self.wfile.write(b"250 queued\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = True
                self.wfile.write(b"354 go\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_reminders_are_retried_by_the_scheduler_until_the_server_answers(
        app, users, daily, at_local):
    users["other"].email = "huulung@example.vn"
    db.session.commit()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.lines = []
    port = server.server_address[1]
    server.server_close()  # nothing listens yet: the first attempt fails
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    at_local(2025, 10, 8, 10, 0)
    run(reminder_job, app, daily.id, "10:00")
    assert deliver_email() == {"sent": 0, "failed": 1}
    note = outbox("email")[0]
    assert note.attempts == 1 and note.last_error and note.next_attempt_at > utcnow()
    assert deliver_email() == {"sent": 0, "failed": 0}  # backing off
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Smtp)
    server.lines = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        at_local(2025, 10, 8, 10, 5)
        assert deliver_email() == {"sent": 1, "failed": 0}
    finally:
        server.shutdown()
        server.server_close()
    assert outbox("email")[0].sent_at is not None
    assert any(b"huulung@example.vn" in line for line in server.lines) or server.lines


def test_compliance_api_gives_each_communes_status_and_the_counts(app, client, auth, daily,
                                                                  post_report, at_local):
    at_local(2025, 10, 8, 13, 0)
    post_report("thatkhe")
    at_local(2025, 10, 8, 15, 0)
    post_report("other")
    run(deadline_job, app, daily.id)
    body = client.get("/api/v1/events/MATMO-2025/compliance?date=2025-10-08",
                      headers=auth("province")).get_json()
    statuses = {c["code"]: c["status"] for c in body["communes"]}
    assert statuses[THATKHE] == "on_time" and statuses[HUULUNG] == "late"
    assert body["counts"] == {"on_time": 1, "late": 1, "missing": len(statuses) - 2, "pending": 0}
    before = client.get("/api/v1/events/MATMO-2025/compliance?date=2025-10-09",
                        headers=auth("province"))
    assert before.status_code == 200  # tomorrow: everyone pending, nothing missing yet
    assert before.get_json()["counts"]["missing"] == 0
    bad = client.get("/api/v1/events/MATMO-2025/compliance?date=8-10-2025", headers=auth("admin"))
    assert bad.status_code == 400 and bad.get_json()["errors"] == {"date": "invalid_date"}
    early = client.get("/api/v1/events/MATMO-2025/compliance?date=2025-10-01",
                       headers=auth("admin"))
    assert early.status_code == 422 and early.get_json()["errors"] == {"date": "outside_schedule"}
    assert client.get("/api/v1/events/NOPE/compliance", headers=auth("admin")).status_code == 404
    assert client.get("/api/v1/events/MATMO-2025/compliance",
                      headers=auth("thatkhe")).status_code == 403


def test_province_sees_who_has_not_reported_in_the_ky_cung_basin(app, client, auth, daily,
                                                                 post_report, at_local):
    at_local(2025, 10, 8, 13, 0)
    post_report("thatkhe")
    at_local(2025, 10, 8, 14, 5)
    run(deadline_job, app, daily.id)
    body = client.get("/api/v1/events/MATMO-2025/compliance?date=2025-10-08&area=ky-cung",
                      headers=auth("province")).get_json()
    statuses = {c["code"]: c["status"] for c in body["communes"]}
    assert body["area"] == "ky-cung" and len(statuses) == 43
    assert statuses[THATKHE] == "on_time" and HUULUNG not in statuses  # Hữu Lũng: sông Thương
    assert body["counts"] == {"on_time": 1, "late": 0, "missing": 42, "pending": 0}
    login(client, "tinh")
    page = client.get("/events/MATMO-2025/compliance?date=2025-10-08&area=huu-lung")
    html = page.get_data(as_text=True)
    assert f'<tr data-code="{HUULUNG}">' in html and f'<tr data-code="{THATKHE}">' not in html
    assert client.get("/events/MATMO-2025/compliance?area=khong-co").status_code == 404


def test_sms_gateway_mistakes_get_clear_errors(app, client, gateway, daily, at_local):
    at_local(2025, 10, 8, 10, 0)
    run(reminder_job, app, daily.id, "10:00")
    first = outbox("sms")[0].id
    gw = gateway["headers"]
    odd = client.post(f"/api/v1/notifications/{first}/failed", json=[1], headers=gw)
    assert odd.status_code == 400 and odd.get_json()["errors"] == {"body": "invalid_json"}
    blank = client.post(f"/api/v1/notifications/{first}/failed", json={"error": None},
                        headers=gw).get_json()
    assert blank["attempts"] == 1 and blank["last_error"] == ""
    assert client.post("/api/v1/notifications/999999/sent", headers=gw).status_code == 404


@pytest.mark.parametrize("due_day", [[1], {"x": 1}, True, "²", "29", 0])
def test_odd_monthly_due_days_are_refused_field_by_field(client, auth, matmo, due_day):
    response = client.post("/api/v1/events/MATMO-2025/schedules", headers=auth("admin"),
                           json={"kind": "monthly", "due_day": due_day, "deadline": "14:00"})
    assert response.status_code == 422 and response.get_json()["errors"] == {"due_day": "invalid"}


def test_the_same_schedule_cannot_be_attached_twice(client, auth, matmo):
    daily_14h = {"kind": "daily", "deadline": "14:00"}  # the event got it when it was created
    again = client.post("/api/v1/events/MATMO-2025/schedules", json=daily_14h, headers=auth("admin"))
    assert again.status_code == 409 and again.get_json()["errors"] == {"schedule": "exists"}
    body = {"kind": "daily", "deadline": "17:00", "reminder_times": "16:00"}
    first = client.post("/api/v1/events/MATMO-2025/schedules", json=body, headers=auth("admin"))
    twice = client.post("/api/v1/events/MATMO-2025/schedules", json=body, headers=auth("admin"))
    assert first.status_code == 201
    assert twice.status_code == 409 and twice.get_json()["errors"] == {"schedule": "exists"}


def test_board_lists_missing_communes_with_officer_and_rates(app, client, daily, post_report,
                                                             at_local):
    at_local(2025, 10, 7, 16, 0)
    post_report("thatkhe", date="2025-10-07")  # late on the 7th
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe")
    at_local(2025, 10, 8, 14, 30)
    run(deadline_job, app, daily.id)
    login(client, "tinh")
    page = client.get("/events/MATMO-2025/compliance")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Trần Thị Bình" in html and 'href="tel:0987654321"' in html
    row = html[html.index(f'<tr data-code="{THATKHE}"><th'):]
    row = row[:row.index("</tr>")]
    assert row.count('data-status="missing"') == 1  # the 6th
    assert 'data-status="late"' in row and 'data-status="on_time"' in row
    assert "66,7%" in row and "33,3%" in row  # reported 2 of 3, on time 1 of 3
    commune = app.test_client()
    login(commune, "thatkhe")
    assert commune.get("/events/MATMO-2025/compliance").status_code == 403


def test_admin_attaches_the_default_schedule_from_the_event_page(app, client, matmo, users):
    login(client, "admin")
    page = client.get("/events/MATMO-2025/schedule")
    response = client.post("/events/MATMO-2025/schedule", data={
        "action": "default", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert "Hằng ngày trước 14:00" in client.get("/events/MATMO-2025/schedule").get_data(as_text=True)
    bad = client.post("/events/MATMO-2025/schedule", data={
        "kind": "monthly", "due_day": "31", "deadline": "25:00", "reminder_times": "10:00",
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert bad.status_code == 422 and "Ngày hạn trong tháng phải từ 1 đến 28." in bad.get_data(as_text=True)
    no_token = client.post("/events/MATMO-2025/schedule", data={"action": "default"})
    assert no_token.status_code == 400
    province = app.test_client()
    login(province, "tinh")
    assert province.get("/events/MATMO-2025/schedule").status_code == 403


@pytest.mark.browser
def test_province_officer_reads_the_board_in_a_browser(app, daily, post_report, at_local,
                                                        offline_page, live_server):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe")
    at_local(2025, 10, 8, 14, 10)
    run(deadline_job, app, daily.id)
    page = offline_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Tình hình báo cáo")
    page.wait_for_selector("#matrix")
    assert page.locator("#counts [data-status=on_time] .fs-4").inner_text() == "1"
    assert page.locator("#missing").get_by_text("Trần Thị Bình").is_visible()
    cell = page.locator(f'#matrix tr[data-code="{THATKHE}"] td[data-status="on_time"]').first
    colour = cell.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(25, 135, 84)"  # green
    assert page.blocked_requests == []
