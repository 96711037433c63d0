"""One operation per action: every way of creating an event gives it its daily schedule and
its deadline; races on schedules end in one row and 409s; the API speaks one error shape."""
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from coordination.database import write_transaction
from coordination.deadlines.jobs import deadline_for
from coordination.deadlines.models import ComplianceFlag, ReportingSchedule
from coordination.events import Event, get_event
from coordination.extensions import db
from coordination.timeutil import utcnow
from conftest import login, post_form

EVENT = {"code": "MUA-LU-2026", "name": "Mưa lũ tháng 11/2026", "type": "flood",
         "start_date": "2025-10-06", "deadline": "16:30"}


def create_by_admin_form(app, client, runner, auth):
    login(client, "admin")
    response = post_form(client, "/admin/events", {**EVENT, "scope": "province"})
    assert response.status_code == 302, response.get_data(as_text=True)


def create_by_api(app, client, runner, auth):
    response = client.post("/api/v1/events", json=EVENT, headers=auth("admin"))
    assert response.status_code == 201 and response.get_json()["deadline"] == "16:30"


def create_by_cli(app, client, runner, auth):
    result = runner.invoke(args=["events", "create", EVENT["code"], EVENT["name"], "--type", "flood",
                                 "--start", EVENT["start_date"], "--deadline", "16:30"])
    assert result.exit_code == 0, result.output
    assert "16:30" in result.output


@pytest.mark.parametrize("create", [create_by_admin_form, create_by_api, create_by_cli],
                         ids=["admin-form", "api", "cli"])
def test_an_event_has_its_daily_schedule_and_deadline_however_it_is_created(
        app, client, runner, auth, create, post_report, at_local):
    create(app, client, runner, auth)
    db.session.commit()
    compliance = client.get(f"/api/v1/events/{EVENT['code']}/compliance?date=2025-10-06",
                            headers=auth("province"))
    assert compliance.status_code == 200
    assert compliance.get_json()["schedule"]["label"] == "Hằng ngày trước 16:30"

    # the deadline given at creation is the one used by on_time and by the flags
    at_local(2025, 10, 6, 16, 15)
    body = {"event": EVENT["code"], "date": "2025-10-06", "no_damage": True}
    first = post_report("thatkhe", **body)
    assert first.status_code == 201 and first.get_json()["on_time"] is True
    at_local(2025, 10, 6, 16, 45)
    late = post_report("other", **body)
    assert late.status_code == 201 and late.get_json()["on_time"] is False
    schedule = get_event(EVENT["code"]).daily_schedule
    deadline_for(schedule.id, utcnow())  # the 14:00-style job, run at 16:45
    db.session.commit()
    statuses = dict(db.session.execute(select(ComplianceFlag.commune_code, ComplianceFlag.status)
                                       .where(ComplianceFlag.period == "2025-10-06")).all())
    assert statuses["06040"] == "on_time" and statuses["06385"] == "late"


def test_ten_identical_schedule_requests_at_once_make_one_schedule(app, tokens, matmo):
    body = {"kind": "monthly", "due_day": 10, "deadline": "14:00", "programme": "Chi trả trợ cấp"}
    barrier = threading.Barrier(10)
    statuses = []

    def post():
        with app.test_client() as client:
            barrier.wait()
            response = client.post("/api/v1/events/MATMO-2025/schedules", json=body,
                                   headers={"Authorization": f"Bearer {tokens['admin']}"})
            statuses.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(s for s, _ in statuses) == [201] + [409] * 9
    assert all(b["errors"] == {"schedule": "exists"} for s, b in statuses if s == 409)
    db.session.commit()
    assert db.session.scalar(select(func.count(ReportingSchedule.id))
                             .where(ReportingSchedule.kind == "monthly")) == 1


def test_double_clicking_the_default_schedule_button_keeps_one_schedule(client, users, matmo):
    login(client, "admin")
    for _ in range(2):
        assert post_form(client, "/events/MATMO-2025/schedule", {"action": "default"}).status_code == 302
    db.session.commit()
    assert db.session.scalar(select(func.count(ReportingSchedule.id))) == 1


ERROR_CASES = [  # (method, path, who, body, status)
    ("get", "/api/v1/events", None, None, 401),
    ("get", "/api/v1/events/MATMO-2025/summary", "thatkhe", None, 403),
    ("get", "/api/v1/khong-co", "province", None, 404),
    ("get", "/api/v1/events/NOPE/summary", "province", None, 404),
    ("delete", "/api/v1/reports", "thatkhe", None, 405),
    ("post", "/api/v1/reports", "thatkhe", "{not json", 400),
    ("post", "/api/v1/reports", "thatkhe", {"figures": []}, 422),
    ("get", "/api/v1/events/MATMO-2025/summary?date=hom-qua", "province", None, 400),
]


@pytest.mark.parametrize("method,path,who,body,status", ERROR_CASES)
def test_every_api_error_has_the_one_shape(client, auth, matmo, method, path, who, body, status):
    headers = auth(who) if who else {}
    if isinstance(body, str):
        response = client.open(path, method=method, data=body,
                               headers={**headers, "Content-Type": "application/json"})
    else:
        response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == status
    answer = response.get_json()
    assert set(answer) == {"errors", "messages"}
    assert answer["errors"] and set(answer["errors"]) == set(answer["messages"])
    assert all(isinstance(v, str) and v for v in answer["messages"].values())
    if status == 405:
        assert set(response.headers["Allow"].split(", ")) >= {"POST"}


def test_an_action_holds_the_write_lock_only_from_its_first_write(app, matmo):
    """An action that reads, then writes: while it only reads, another writer commits (it is
    not made to wait), and its own write then waits its turn instead of failing with
    "database is locked" on the stale snapshot. Nothing either wrote is lost."""
    read_done, other_done = threading.Event(), threading.Event()

    def other_writer():
        with app.app_context():
            read_done.wait(10)
            with write_transaction():
                db.session.execute(update(Event).where(Event.code == "MATMO-2025")
                                   .values(name="Bão số 11 (Matmo)"))
            other_done.set()
            db.session.remove()

    thread = threading.Thread(target=other_writer)
    thread.start()
    with write_transaction():
        assert get_event("MATMO-2025").description == ""  # a read: no lock held yet
        read_done.set()
        assert other_done.wait(10), "the other writer waited for a transaction that only read"
        db.session.execute(update(Event).where(Event.code == "MATMO-2025")
                           .values(description="viết sau khi đọc"))
    thread.join(10)
    db.session.expire_all()
    event = get_event("MATMO-2025")
    assert (event.name, event.description) == ("Bão số 11 (Matmo)", "viết sau khi đọc")


def test_no_operation_handles_locks(app):
    """Only the transaction helper knows about SQLite's write lock."""
    root = Path(__file__).resolve().parents[1] / "coordination"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py") if p.name != "database.py"
                 and re.search(r"BEGIN IMMEDIATE|lock_for_write|_upgrade\(", p.read_text())]
    assert offenders == []


def test_only_a_race_is_tried_again(app, users):
    """retry_on_conflict runs an action again after a unique-key race (the retry answers
    from storage), never after a bug such as a missing row a foreign key names."""
    from sqlalchemy import insert

    from coordination.auth.models import User
    from coordination.database import retry_on_conflict
    from coordination.relief.models import ReliefStock

    calls = []

    def duplicate():
        calls.append("unique")
        if len(calls) == 1:
            db.session.execute(insert(User).values(username="tinh", password_hash="x",
                                                   role="province"))
        return "answered"

    assert retry_on_conflict(duplicate) == "answered" and calls == ["unique", "unique"]

    def broken():
        calls.append("foreign key")
        db.session.execute(insert(ReliefStock.__table__).values(
            event_id=999, commune_code="06040", item="gao", claims=1))

    with pytest.raises(Exception) as caught:
        retry_on_conflict(broken)
    assert "IntegrityError" in type(caught.value).__name__
    assert calls.count("foreign key") == 1
