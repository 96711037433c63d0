"""One operation per action: every way of creating an event gives it its daily schedule and
its deadline; races on schedules end in one row and 409s; the API speaks one error shape."""
import threading

import pytest
from sqlalchemy import func, select, update

from coordination.database import lock_for_write, write_transaction
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


def test_an_action_cannot_write_before_it_takes_the_write_lock(app, matmo):
    """submit_report validates before lock_for_write(); a write slipped in before it would
    run outside SQLite's writer queue, so it is refused and nothing is kept."""
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("PostgreSQL locks rows as it writes; lock_for_write() does nothing there")
    with pytest.raises(RuntimeError, match="before taking the write lock"):
        with write_transaction(lock_late=True):
            db.session.execute(update(Event).where(Event.code == "MATMO-2025")
                               .values(description="ghi trước khi khoá"))
            lock_for_write()
    db.session.expire_all()
    assert get_event("MATMO-2025").description != "ghi trước khi khoá"
