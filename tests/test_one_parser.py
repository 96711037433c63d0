"""One reader of numbers for every way a figure arrives (issue 20): the form, the phone's
outbox, the API, SMS and the relief ledger read the same text as the same number, or
refuse it with the same code. A Vietnamese officer writes 1.200 for one thousand two
hundred; where decimals are allowed (ha, kg) '5.000' could be five, so it is refused with
a hint instead of being guessed."""

import json
import uuid

import pytest
from markupsafe import escape
from sqlalchemy import select

from conftest import csrf_from, login
from coordination.errors import message
from coordination.extensions import db
from coordination.numbers import NumberError, parse_number
from coordination.reports.models import ReportVersion

# (typed, meaning in a count such as houses or people, meaning where decimals are allowed)
CASES = [
    ("1.200", 1200, "ambiguous_number"),
    ("1.234.567", 1234567, 1234567),
    ("12,5", "not_whole_number", 12.5),
    ("1.234,5", "not_whole_number", 1234.5),
    ("2.75", "not_whole_number", 2.75),
    ("1,500", "ambiguous_number", "ambiguous_number"),
    ("5 000", 5000, 5000),
    ("7", 7, 7),
    ("0", 0, 0),
    ("abc", "not_a_number", "not_a_number"),
    ("-3", "negative", "negative"),
    ("1e5", "not_a_number", "not_a_number"),
]
WHOLE, DECIMAL = "houses_flooded", "rice_damaged_ha"   # NN, LUA by SMS
NO_SPACES = [c for c in CASES if " " not in c[0]]      # an SMS splits "5 000" into two tokens


def expected(case, whole: bool):
    return case[1] if whole else case[2]


def test_the_parser_itself(app):
    for typed, in_count, in_decimal in CASES:
        for whole, meant in ((True, in_count), (False, in_decimal)):
            if isinstance(meant, str):
                with pytest.raises(NumberError) as caught:
                    parse_number(typed, whole=whole)
                assert caught.value.code == meant, (typed, whole)
            else:
                assert parse_number(typed, whole=whole) == meant, (typed, whole)


def _stored(submission_id: str) -> dict:
    db.session.commit()
    version = db.session.scalar(select(ReportVersion).where(
        ReportVersion.submission_id == submission_id))
    return version.sent if version else {}


def _report_body(code, typed, sid):
    return {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": sid,
            "figures": {code: typed}, "correction_reason": "nhập lại để thử"}


def _outcome(status, errors: dict, field: str, stored: dict, code: str):
    if status in (200, 201):
        return stored[code]
    return errors.get(field)


def via_api(client, auth, code, typed):
    sid = str(uuid.uuid4())
    r = client.post("/api/v1/reports", json=_report_body(code, typed, sid), headers=auth("thatkhe"))
    return _outcome(r.status_code, (r.get_json() or {}).get("errors", {}), f"figures.{code}",
                    _stored(sid) if r.status_code < 300 else {}, code)


def via_outbox(client, code, typed):
    sid = str(uuid.uuid4())
    token = csrf_from(client.get("/report").get_data(as_text=True))
    r = client.post("/report/submit", data=json.dumps({**_report_body(code, typed, sid),
                                                      "channel": "offline"}),
                    headers={"Content-Type": "application/json", "X-CSRFToken": token})
    return _outcome(r.status_code, (r.get_json() or {}).get("errors", {}), f"figures.{code}",
                    _stored(sid) if r.status_code < 300 else {}, code)


def via_form(client, code, typed):
    page = client.get("/report").get_data(as_text=True)
    sid = str(uuid.uuid4())
    r = client.post("/report", data={"csrf_token": csrf_from(page), "date": "2025-10-08",
                                     "submission_id": sid, f"f_{code}": typed,
                                     "correction_reason": "nhập lại để thử"})
    if r.status_code == 302:
        return _stored(sid)[code]
    shown = r.get_data(as_text=True)
    token = typed.replace(" ", "")
    return next((c for c in ("ambiguous_number", "not_whole_number", "not_a_number", "negative")
                 if str(escape(message(c, token=token))) in shown), f"status {r.status_code}")


def via_sms(client, gateway, code, typed):
    sms_code = {WHOLE: "NN", DECIMAL: "LUA"}[code]
    r = client.post("/api/v1/sms/inbound", headers=gateway["headers"], json={
        "from": "+84912345678", "text": f"BC 0810 {sms_code} {typed} LD thu",
        "message_id": str(uuid.uuid4())})
    answer = r.get_json()
    if answer["report"]:
        db.session.commit()
        version = db.session.scalar(select(ReportVersion).order_by(ReportVersion.id.desc()))
        return version.sent[code]
    return next(iter(answer["errors"]))


@pytest.fixture
def reporting(app, users, matmo, at_local):
    at_local(2025, 10, 8, 11, 0)
    app.config["SMS_RATE_LIMIT_PER_HOUR"] = 100  # one officer sends the whole table


def test_every_report_channel_reads_the_same_number(client, auth, gateway, reporting):
    officer_page = client.application.test_client()
    login(officer_page, "thatkhe")
    for case in CASES:
        for code, whole in ((WHOLE, True), (DECIMAL, False)):
            want = expected(case, whole)
            got = {"api": via_api(client, auth, code, case[0]),
                   "outbox": via_outbox(officer_page, code, case[0]),
                   "form": via_form(officer_page, code, case[0])}
            if case in NO_SPACES:
                got["sms"] = via_sms(client, gateway, code, case[0])
            assert got == dict.fromkeys(got, want), (case[0], code)


def test_the_relief_ledger_reads_the_same_number(client, auth, reporting):
    url = "/api/v1/events/MATMO-2025/relief"
    assert client.post(url + "/allocations", headers=auth("province"), json={
        "decision_no": "1/QĐ", "decision_date": "2025-10-08", "item": "gao", "unit": "kg",
        "lines": [{"commune": "06040", "quantity": 1000}]}).status_code == 201
    for typed, in_count, in_kg in CASES:
        people = client.post(url + "/distributions", headers=auth("thatkhe"), json={
            "commune": "06040", "item": "gao", "date": "2025-10-08", "village": "Bản Rẹ",
            "households": 1, "people": typed, "quantity": 1, "reason": "thử",
            "submission_id": str(uuid.uuid4())})
        kg = client.post(url + "/deliveries", headers=auth("province"), json={
            "commune": "06040", "item": "gao", "quantity": typed, "date": "2025-10-08",
            "document_no": "BB-1"})
        for response, field, want in ((people, "people", in_count), (kg, "quantity", in_kg)):
            if isinstance(want, str) or want == 0:  # 0 people or kg: not_positive
                errors = response.get_json()["errors"]
                assert errors.get(field) == (want if want else "not_positive"), (typed, field)
            else:
                assert response.status_code == 201, (typed, field, response.get_json())
                assert response.get_json()[field] == want, (typed, field)
