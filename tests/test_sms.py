"""Commune officers report by SMS when the data network is down: through the generic gateway
endpoint and the capcom6 "SMS Gateway for Android" webhook, counted exactly like the form."""
import hashlib
import hmac
import io
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from coordination.auth.models import User
from coordination.deadlines.models import Notification
from coordination.extensions import db
from coordination.reports.models import Report, ReportVersion
from coordination.sms.models import InboundSms
from coordination.sms.outbox import deliver_sms
from conftest import login, post_form

THATKHE_PHONE = "+84912345678"   # registered as 0912345678 (Thất Khê officer)
HUULUNG_PHONE = "84987654321"    # registered as 0987654321 (Hữu Lũng officer)
SIGNING_KEY = "khoa-ky-webhook"


@pytest.fixture
def sms(client, gateway):
    """sms(text, sender=..., message_id=..., received_at=...) → the gateway endpoint's response."""
    count = iter(range(1, 10_000))

    def send(text, sender=THATKHE_PHONE, message_id=None, received_at=None, headers=None):
        body = {"from": sender, "text": text,
                "message_id": message_id or f"gw-{next(count)}"}
        if received_at:
            body["received_at"] = received_at
        return client.post("/api/v1/sms/inbound", json=body,
                           headers=headers or gateway["headers"])
    return send


def count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def replies() -> list[Notification]:
    db.session.commit()
    return list(db.session.scalars(select(Notification).where(
        Notification.key.like("sms-reply:%")).order_by(Notification.id)))


def test_commune_officer_reports_by_sms_and_gets_one_ascii_reply(app, client, auth, users,
                                                                  matmo, sms, at_local):
    at_local(2025, 10, 8, 13, 0)
    response = sms("BC 0810 CH 0 MT 1 BT 2 NS 3 NN 120 GN 5000",
                   received_at="2025-10-08T12:58:00+07:00")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["reply"] == "Da nhan BC 08/10 xa That Khe: CH 0 MT 1 BT 2 NS 3 NN 120 GN 5000 (v1)"
    assert answer["errors"] == {}
    report = answer["report"]
    assert (report["commune"], report["date"], report["version"], report["on_time"]) == (
        "06040", "2025-10-08", 1, True)
    assert report["received_at"] == "2025-10-08T12:58:00+07:00"  # the gateway's time, trusted
    version = db.session.scalar(select(ReportVersion))
    assert version.channel == "sms" and version.reporter_id == users["thatkhe"].id
    assert {f.indicator_code: f.value for f in version.figures} == {
        "people_dead": 0, "people_missing": 1, "people_injured": 2, "houses_collapsed": 3,
        "houses_flooded": 120, "rice_received_kg": 5000}
    [note] = replies()
    assert (note.channel, note.recipient, note.message, note.commune_code) == (
        "sms", THATKHE_PHONE, answer["reply"], "06040")
    assert note.message.isascii() and len(note.message) <= 160
    listed = client.get("/api/v1/events/MATMO-2025/reports?date=2025-10-08",
                        headers=auth("province")).get_json()["reports"]
    assert [r["commune"] for r in listed] == ["06040"]


def test_a_correction_by_sms_echoes_the_new_version(app, users, matmo, sms, at_local):
    at_local(2025, 10, 8, 15, 0)
    assert sms("BC 0810 CH 0 MT 1").get_json()["report"]["on_time"] is False
    second = sms("bc 0810 mt=2;bt=1").get_json()
    assert second["reply"] == "Da nhan BC 08/10 xa That Khe: MT 2 BT 1 (v2) - tre han"
    assert second["report"]["version"] == 2


def test_the_same_sms_delivered_twice_is_stored_and_answered_once(app, users, matmo, sms,
                                                                  at_local):
    at_local(2025, 10, 8, 11, 0)
    first = sms("BC 0810 CH 0 MT 1", message_id="abc")
    again = sms("BC 0810 CH 0 MT 1", message_id="abc")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert count(InboundSms) == 1 and count(ReportVersion) == 1 and len(replies()) == 1
    # The same words sent again later (another message id) are a new SMS: a new version.
    later = sms("BC 0810 CH 0 MT 1", message_id="abd").get_json()
    assert later["report"]["version"] == 2 and len(replies()) == 2


def test_an_unregistered_number_gets_one_reply_and_no_report(app, client, users, matmo, sms,
                                                             at_local):
    at_local(2025, 10, 8, 11, 0)
    answer = sms("BC 0810 CH 5", sender="+84900000001", message_id="x1").get_json()
    assert answer["report"] is None and list(answer["errors"]) == ["unknown_sender"]
    assert answer["reply"].startswith("So dien thoai nay chua dang ky")
    assert count(Report) == 0
    [note] = replies()
    assert (note.recipient, note.commune_code, note.message) == (
        "+84900000001", None, answer["reply"])
    assert sms("BC 0810 CH 5", sender="+84900000001", message_id="x1").get_json() == answer
    assert len(replies()) == 1


def test_a_number_registered_to_commune_a_cannot_report_for_commune_b(app, client, auth, users,
                                                                       matmo, sms, at_local):
    at_local(2025, 10, 8, 11, 0)
    # Hữu Lũng's officer reports: the report is Hữu Lũng's, whatever the text says.
    answer = sms("BC 0810 CH 1", sender=HUULUNG_PHONE).get_json()
    assert answer["report"]["commune"] == "06385"
    assert "xa Huu Lung" in answer["reply"]
    # There is no way to name another commune in an SMS: a commune code is not a date.
    refused = sms("BC 06040 CH 1", sender=HUULUNG_PHONE).get_json()
    assert refused["report"] is None and list(refused["errors"]) == ["bad_sms_date"]
    assert count(Report, Report.commune_code == "06040") == 0
    # A number written down for two communes is refused rather than guessed.
    users["other"].phone = "0912 345 678"
    db.session.commit()
    both = sms("BC 0810 CH 2", sender=THATKHE_PHONE).get_json()
    assert both["report"] is None and list(both["errors"]) == ["ambiguous_sender"]
    assert count(Report, Report.commune_code == "06040") == 0


def test_the_summary_after_an_sms_equals_the_one_after_the_same_figures_by_api(
        app, client, auth, users, matmo, sms, post_report, at_local):
    at_local(2025, 10, 8, 13, 0)
    figures = {"people_dead": 0, "people_missing": 1, "houses_flooded": 120,
               "rice_damaged_ha": 1.5, "rice_received_kg": 5000}
    assert sms("BC 0810 CH 0 MT 1 NN 120 LUA 1,5 GN 5000").get_json()["report"]
    assert post_report("other", figures=figures).status_code == 201
    summary = client.get("/api/v1/events/MATMO-2025/summary?date=2025-10-08",
                         headers=auth("province")).get_json()
    rows = {c["code"]: c for c in summary["communes"]}
    by_sms, by_api = rows["06040"], rows["06385"]
    assert by_sms["figures"] == by_api["figures"] == figures
    for key in ("status", "version", "on_time", "stale", "report_date"):
        assert by_sms[key] == by_api[key]
    assert summary["totals"]["houses_flooded"] == 240


def test_lowering_a_figure_needs_the_ld_reason(app, users, matmo, sms, at_local):
    at_local(2025, 10, 8, 11, 0)
    sms("BC 0710 CH 2 MT 3")  # yesterday's cumulative figures
    refused = sms("BC 0810 CH 1").get_json()
    assert refused["report"] is None and "decrease_needs_reason" in refused["errors"]
    assert refused["reply"].startswith("Loi: 'CH 1' Thap hon so da bao cao truoc do (2).")
    assert "them cuoi tin LD <ly do>" in refused["reply"]
    accepted = sms("BC 0810 CH 1 LD dem lai, 1 nguoi tim thay").get_json()
    assert accepted["report"]["date"] == "2025-10-08"
    version = db.session.scalar(select(ReportVersion).where(
        ReportVersion.submission_id.like("sms-%"), ReportVersion.correction_reason != ""))
    assert version.correction_reason == "dem lai, 1 nguoi tim thay"


@pytest.mark.parametrize("text, token", [
    ("BC 0810 CH 0 XX 1", "'XX'"), ("BC 0810 CH 1,5", "'CH 1,5'"), ("BC 3102 CH 1", "'3102'"),
    ("Bao cao xa That Khe", "'Bao'"), ("BC 0810 GN 5.000", "'GN 5.000'"),
    ("BC 1210 CH 1", "'1210' Khong the bao cao cho ngay trong tuong lai."),
])
def test_a_refused_sms_names_the_first_bad_token_and_how_to_fix_it(app, users, matmo, sms,
                                                                   at_local, text, token):
    at_local(2025, 10, 8, 11, 0)
    answer = sms(text).get_json()
    assert answer["report"] is None and answer["errors"]
    assert answer["reply"].startswith("Loi: " + token)
    assert answer["reply"].isascii() and len(answer["reply"]) <= 160
    assert count(Report) == 0 and len(replies()) == 1
    assert db.session.scalar(select(InboundSms.outcome)) == "refused"


def test_timeliness_uses_the_gateway_time_only_within_two_hours_of_the_server(
        app, users, matmo, sms, at_local):
    at_local(2025, 10, 8, 15, 30)  # the SMS waited in the gateway; it arrived at 13:55
    trusted = sms("BC 0810 CH 0", received_at="2025-10-08T13:55:00+07:00").get_json()
    assert trusted["report"]["on_time"] is True
    at_local(2025, 10, 9, 16, 30)
    stale_claim = sms("BC 0910 CH 0", received_at="2025-10-09T13:00:00+07:00").get_json()
    assert stale_claim["report"]["on_time"] is False
    assert stale_claim["report"]["received_at"] == "2025-10-09T16:30:00+07:00"


def test_a_phone_that_floods_the_gateway_is_told_once_then_ignored(app, users, matmo, sms,
                                                                    at_local):
    app.config["SMS_RATE_LIMIT_PER_HOUR"] = 2
    at_local(2025, 10, 8, 11, 0)
    assert sms("BC 0810 CH 0")["report"] if False else True
    sms("BC 0810 CH 0")
    sms("BC 0810 MT 1")
    limited = sms("BC 0810 MT 2").get_json()
    assert list(limited["errors"]) == ["rate_limited"] and limited["reply"].startswith("Ban da gui qua 2")
    silent = sms("BC 0810 MT 3").get_json()
    assert silent["reply"] == "" and list(silent["errors"]) == ["rate_limited"]
    assert len(replies()) == 3 and count(ReportVersion) == 2
    at_local(2025, 10, 8, 12, 1)  # an hour later the number may report again
    assert sms("BC 0810 MT 4").get_json()["report"]["version"] == 3


def test_only_the_gateway_account_may_post_inbound_sms(app, client, auth, users, gateway, matmo):
    body = {"from": THATKHE_PHONE, "text": "BC CH 1", "message_id": "m"}
    for who in ("province", "thatkhe", "admin"):
        assert client.post("/api/v1/sms/inbound", json=body,
                           headers=auth(who)).status_code == 403
    assert client.post("/api/v1/sms/inbound", json=body).status_code == 401
    assert count(InboundSms) == 0
    # The gateway account is for the API only: no page, no report API.
    assert client.get("/api/v1/events", headers=gateway["headers"]).status_code == 403


@pytest.mark.parametrize("body, field, code", [
    ({"text": "BC CH 1"}, "from", "required"),
    ({"from": THATKHE_PHONE}, "text", "required"),
    ({"from": THATKHE_PHONE, "text": "BC", "received_at": "08/10/2025"}, "received_at",
     "bad_received_at"),
    ({"from": THATKHE_PHONE, "text": "BC", "received_at": "2025-10-08T13:00:00"}, "received_at",
     "bad_received_at"),
    ({"from": THATKHE_PHONE, "text": "x" * 1601}, "text", "too_long"),
    ({"from": THATKHE_PHONE, "text": "BC", "message_id": 5}, "message_id", "invalid"),
])
def test_a_malformed_gateway_call_is_refused_field_by_field(client, gateway, body, field, code):
    response = client.post("/api/v1/sms/inbound", json=body, headers=gateway["headers"])
    assert response.status_code == 422 and response.get_json()["errors"] == {field: code}


# --- capcom6 SMS Gateway for Android ------------------------------------------------------

def capcom6(client, payload, key=SIGNING_KEY, timestamp=None, event="sms:received"):
    """Post as the Android app does: raw JSON body signed with HMAC-SHA256(body + timestamp)."""
    raw = json.dumps({"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": event,
                      "id": "Ey6ECgOkVVFjz3CL48B8C", "payload": payload,
                      "webhookId": "wh-1"}).encode()
    stamp = str(int(timestamp if timestamp is not None else time.time()))
    signature = hmac.new(key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()
    return client.post("/api/v1/sms/capcom6", data=raw, content_type="application/json",
                       headers={"X-Signature": signature, "X-Timestamp": stamp})


def received(text, phone="+84912345678", at="2025-10-08T13:40:11.000+07:00", mid="abc123"):
    return {"messageId": mid, "message": text, "phoneNumber": phone, "simNumber": 1,
            "receivedAt": at}


def test_the_android_gateway_webhook_files_a_report_when_signed(app, client, users, matmo,
                                                                at_local):
    app.config["SMS_WEBHOOK_SIGNING_KEY"] = SIGNING_KEY
    at_local(2025, 10, 8, 13, 45)
    response = capcom6(client, received("BC 0810 CH 0 MT 1"))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["reply"] == "Da nhan BC 08/10 xa That Khe: CH 0 MT 1 (v1)"
    assert answer["report"]["received_at"] == "2025-10-08T13:40:11+07:00"
    assert db.session.scalar(select(InboundSms.via)) == "capcom6"
    # The app retries a delivery it thinks failed: nothing new, the same answer.
    assert capcom6(client, received("BC 0810 CH 0 MT 1")).get_json() == answer
    assert count(InboundSms) == 1 and len(replies()) == 1
    # capcom6's messageId comes from the content: the same words received later are new.
    later = capcom6(client, received("BC 0810 CH 0 MT 1", at="2025-10-08T13:44:00.000+07:00"))
    assert later.get_json()["report"]["version"] == 2


def test_the_webhook_refuses_bad_old_or_missing_signatures(app, client, users, matmo, at_local):
    at_local(2025, 10, 8, 13, 45)
    unconfigured = capcom6(client, received("BC 0810 CH 9"))
    assert unconfigured.status_code == 401
    assert unconfigured.get_json()["errors"] == {"request": "bad_signature"}
    app.config["SMS_WEBHOOK_SIGNING_KEY"] = SIGNING_KEY
    assert capcom6(client, received("BC 0810 CH 9"), key="another-key").status_code == 401
    assert capcom6(client, received("BC 0810 CH 9"),
                   timestamp=time.time() - 600).status_code == 401
    assert client.post("/api/v1/sms/capcom6", json={"event": "sms:received",
                                                    "payload": received("BC 0810 CH 9")}
                       ).status_code == 401
    assert count(InboundSms) == 0 and count(Report) == 0
    other = capcom6(client, {"messageId": "x", "phoneNumber": "+1", "sentAt": "now"},
                    event="sms:sent")
    assert other.status_code == 200 and other.get_json() == {"ignored": "sms:sent"}


# --- replies leave through the gateway's API -------------------------------------------------

class _Capcom6Api(BaseHTTPRequestHandler):
    """Just enough of the app's local server: POST /messages with basic auth."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append((self.path, self.headers.get("Authorization"), body))
        if body["textMessage"]["text"].startswith("Loi"):  # pretend the SIM has no credit
            self.send_response(500)
            self.end_headers()
            return
        answer = json.dumps({"id": "m1", "state": "Pending", "recipients": [
            {"phoneNumber": body["phoneNumbers"][0], "state": "Pending"}]}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def capcom6_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capcom6Api)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_replies_are_sent_through_the_gateway_api_by_the_job(app, users, matmo, sms, at_local,
                                                             capcom6_api, runner):
    at_local(2025, 10, 8, 11, 0)
    ok = sms("BC 0810 CH 0").get_json()["reply"]
    sms("BC 0810 XX 1")
    assert deliver_sms() == {"sent": 0, "failed": 0}  # not configured: a gateway polls instead
    app.config.update(SMS_GATEWAY_API_URL=f"http://127.0.0.1:{capcom6_api.server_address[1]}",
                      SMS_GATEWAY_LOGIN="sms", SMS_GATEWAY_PASSWORD="mat-khau")
    result = runner.invoke(args=["sms", "send"])
    assert result.exit_code == 0 and "Đã gửi 1, lỗi 1." in result.output
    path, authorization, body = capcom6_api.calls[0]
    assert path == "/messages" and authorization.startswith("Basic ")
    assert body["phoneNumbers"] == [THATKHE_PHONE] and body["textMessage"]["text"] == ok
    sent, failed = replies()
    assert sent.sent_at is not None and sent.attempts == 1
    assert failed.sent_at is None and failed.attempts == 1 and failed.next_attempt_at
    assert deliver_sms() == {"sent": 0, "failed": 0}  # the failure waits for its backoff


# --- pages ---------------------------------------------------------------------------------

def test_admin_sees_every_inbound_sms_with_its_reply_escaped(app, client, users, matmo, sms,
                                                             at_local):
    at_local(2025, 10, 8, 11, 0)
    sms("BC 0810 CH 0")
    sms("<script>alert(1)</script>", sender="+84900000002")
    login(client, "admin")
    page = client.get("/admin/sms").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Da nhan BC 08/10 xa That Khe: CH 0 (v1)" in page
    assert "Số chưa đăng ký" in page and "Đã nhận báo cáo" in page
    only = client.get("/admin/sms?outcome=unknown_sender").get_data(as_text=True)
    assert "+84900000002" in only and "Da nhan" not in only
    province = app.test_client()
    login(province, "tinh")
    assert province.get("/admin/sms").status_code == 403


def test_each_commune_has_a_printable_sms_card_with_an_example_from_its_last_report(
        app, client, users, matmo, post_report, at_local):
    app.config["SMS_GATEWAY_NUMBER"] = "0988 123 456"
    at_local(2025, 10, 8, 11, 0)
    post_report("thatkhe", figures={"people_missing": 2, "houses_flooded": 40,
                                    "rice_damaged_ha": 1.5})
    login(client, "thatkhe")
    assert 'href="/sms/card"' in client.get("/reports/history").get_data(as_text=True)
    page = client.get("/sms/card").get_data(as_text=True)
    assert "Hướng dẫn nhắn tin báo cáo" in page and "Xã Thất Khê" in page
    assert "0988 123 456" in page
    assert "BC 0810 MT 2 NN 40 LUA 1,5" in page
    assert "<td class=\"code\">CH</td><td>Số người chết</td>" in page
    assert client.get("/sms/card/06385").status_code == 403
    pdf = client.get("/sms/card/06040.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1 and "Xã Thất Khê" in text and "0988 123 456" in text
    assert "BC 0810 MT 2 NN 40 LUA 1,5" in text
    assert client.get("/sms/card/06385.pdf").status_code == 403
    province = app.test_client()
    login(province, "tinh")
    other = province.get("/sms/card?commune=06385").get_data(as_text=True)
    assert "Xã Hữu Lũng" in other and "BC 0810 CH 0 MT 0 BT 0 HST 0" in other


def test_admin_edits_sms_codes_and_the_api_returns_them(app, client, auth, users):
    indicators = client.get("/api/v1/indicators", headers=auth("thatkhe")).get_json()["indicators"]
    codes = {i["code"]: i["sms_code"] for i in indicators}
    assert codes["people_dead"] == "CH" and codes["houses_flooded"] == "NN"
    assert len(set(codes.values())) == len(codes) == 28
    login(client, "admin")
    changed = post_form(client, "/admin/indicators/people_dead/sms", {"sms_code": "chx"},
                        page="/admin/indicators")
    assert changed.status_code == 302
    for bad, says in [("MT", "đã dùng cho chỉ tiêu khác"), ("B1", "2–3 chữ cái"),
                      ("LD", "dành riêng")]:
        refused = post_form(client, "/admin/indicators/people_dead/sms", {"sms_code": bad},
                            page="/admin/indicators")
        assert refused.status_code == 422 and says in refused.get_data(as_text=True)
    cleared = post_form(client, "/admin/indicators/people_injured/sms", {"sms_code": ""},
                        page="/admin/indicators")
    assert cleared.status_code == 302
    codes = {i["code"]: i["sms_code"] for i in client.get(
        "/api/v1/indicators", headers=auth("thatkhe")).get_json()["indicators"]}
    assert codes["people_dead"] == "CHX" and codes["people_injured"] is None


def test_a_gateway_account_is_created_from_the_command_line(app, runner):
    result = runner.invoke(args=["users", "create", "gw", "--role", "gateway",
                                 "--password-stdin"], input="mat-khau-cong-sms\n")
    assert result.exit_code == 0, result.output
    assert "(Cổng SMS)" in result.output


def test_admin_creates_a_gateway_account_and_gives_it_a_token(app, client, users, matmo, at_local):
    login(client, "admin")
    assert "Cổng SMS" in client.get("/admin/users").get_data(as_text=True)
    created = post_form(client, "/admin/users", {
        "username": "cong-sms-tinh", "role": "gateway", "commune": "06040",
        "password": "mat-khau-cong-1", "password_confirm": "mat-khau-cong-1"})
    assert created.status_code == 302
    gateway = db.session.scalar(select(User).where(User.username == "cong-sms-tinh"))
    assert (gateway.role, gateway.commune_code) == ("gateway", None)
    token_page = post_form(client, f"/admin/users/{gateway.id}/token", {}, page="/admin/users")
    found = re.search(r'id="secret" value="([^"]+)"', token_page.get_data(as_text=True))
    assert token_page.status_code == 200 and found
    token = found.group(1)
    at_local(2025, 10, 8, 11, 0)
    answer = app.test_client().post("/api/v1/sms/inbound", json={
        "from": THATKHE_PHONE, "text": "BC CH 0", "message_id": "t"},
        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.get_json()["report"]["commune"] == "06040"
