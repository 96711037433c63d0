"""The 14:00 deadline: flags on time / late / missing, the boundary, catch-up, concurrency,
the monthly "before the 10th" schedule, the operator's hand run, scope and closing."""
import threading
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from coordination.areas.models import Commune
from coordination.deadlines.jobs import deadline_for
from coordination.deadlines.models import ComplianceFlag
from coordination.deadlines.scheduler import build, deadline_job, reconcile
from coordination.deadlines.schedules import create_schedule, ensure_default_schedule
from coordination.events import close_event, create_event, scope_codes
from coordination.database import write_transaction
from coordination.extensions import db
from coordination.timeutil import utcnow
from conftest import HUULUNG, THATKHE



def flags(schedule_id=None) -> dict:
    query = select(ComplianceFlag)
    if schedule_id:
        query = query.where(ComplianceFlag.schedule_id == schedule_id)
    db.session.commit()  # end our read transaction: the jobs wrote in their own sessions
    return {(f.commune_code, f.period): f.status for f in db.session.scalars(query)}


def flag_rows(schedule_id) -> list[tuple]:
    db.session.commit()
    return sorted((f.commune_code, f.period, f.status, f.received_at, f.deadline_at)
                  for f in db.session.scalars(select(ComplianceFlag)
                                              .where(ComplianceFlag.schedule_id == schedule_id)))


def communes_in(event) -> int:
    return len(scope_codes(event))


def test_the_14h_job_flags_on_time_reporters_and_missing_communes(app, daily, matmo,
                                                                  post_report, at_local):
    at_local(2025, 10, 8, 13, 30)
    assert post_report("thatkhe").status_code == 201
    at_local(2025, 10, 8, 14, 0)
    deadline_job(app, daily.id)  # the APScheduler job function itself
    found = flags()
    assert found[(THATKHE, "2025-10-08")] == "on_time"
    assert found[(HUULUNG, "2025-10-08")] == "missing"
    day = {k: v for k, v in found.items() if k[1] == "2025-10-08"}
    assert len(day) == communes_in(matmo)


def test_a_late_report_after_the_job_turns_missing_into_late(app, daily, post_report, at_local):
    at_local(2025, 10, 8, 14, 0)
    deadline_job(app, daily.id)
    assert flags()[(HUULUNG, "2025-10-08")] == "missing"
    at_local(2025, 10, 8, 16, 45)
    assert post_report("other").status_code == 201
    flag = db.session.scalar(select(ComplianceFlag).where(
        ComplianceFlag.commune_code == HUULUNG, ComplianceFlag.period == "2025-10-08"))
    assert flag.status == "late"
    assert flag.received_at == datetime(2025, 10, 8, 9, 45)  # 16:45 local, stored UTC
    deadline_job(app, daily.id)  # running again keeps it late
    assert flags()[(HUULUNG, "2025-10-08")] == "late"


def test_received_at_14h00m00s_is_on_time_and_14h00m01s_late(app, daily, post_report, at_local):
    at_local(2025, 10, 8, 14, 0, 0)
    post_report("thatkhe")
    at_local(2025, 10, 8, 14, 0, 1)
    post_report("other")
    at_local(2025, 10, 8, 14, 5)
    deadline_job(app, daily.id)
    found = flags()
    assert found[(THATKHE, "2025-10-08")] == "on_time"
    assert found[(HUULUNG, "2025-10-08")] == "late"


def test_the_period_is_the_local_date_not_the_utc_date(app, daily, post_report, at_local):
    at_local(2025, 10, 9, 6, 30)  # still 8 October in UTC
    post_report("thatkhe", date="2025-10-09")
    at_local(2025, 10, 9, 14, 0)
    deadline_job(app, daily.id)
    assert flags()[(THATKHE, "2025-10-09")] == "on_time"


def _start(app, count=1):
    """Start real scheduler objects; return them once each has run its start-up catch-up."""
    errors, done = [], threading.Semaphore(0)
    schedulers = []
    for _ in range(count):
        scheduler = build(app, BackgroundScheduler)
        scheduler.add_listener(lambda ev: errors.append(ev.exception), EVENT_JOB_ERROR)
        scheduler.add_listener(lambda ev: ev.job_id == "catch-up" and done.release(),
                               EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        schedulers.append(scheduler)
    for scheduler in schedulers:
        scheduler.start()
    for _ in schedulers:
        assert done.acquire(timeout=60), "catch-up did not run"
    for scheduler in schedulers:
        scheduler.shutdown()
    assert errors == []
    return schedulers


def test_scheduler_started_after_downtime_catches_up_as_an_on_time_run_would(
        app, matmo, users, post_report, at_local):
    on_time_run = ensure_default_schedule(matmo)
    caught_up = create_schedule(matmo, {"kind": "daily", "deadline": "14:00", "programme": "Kiểm tra"})
    db.session.commit()
    # 6 Oct: Thất Khê on time; 7 Oct: late; 8 Oct: nobody. Only one schedule is run at
    # each deadline; the other waits for a scheduler that was down all along.
    timeline = [((6, 9), "report"), ((6, 14), "run"), ((7, 14), "run"), ((7, 16), "report"),
                ((8, 14), "run")]
    for (day, hour), what in timeline:
        at_local(2025, 10, day, hour, 0)
        if what == "report":
            post_report("thatkhe", date=f"2025-10-{day:02d}")
        else:
            deadline_for(on_time_run.id, utcnow())
    at_local(2025, 10, 8, 15, 30)
    # only the late report's own update reached it (that is the report, not a scheduler)
    assert flags(caught_up.id) == {(THATKHE, "2025-10-07"): "late"}
    _start(app)
    assert [r[:4] for r in flag_rows(caught_up.id)] == [r[:4] for r in flag_rows(on_time_run.id)]
    found = flags(caught_up.id)
    assert [found[(THATKHE, f"2025-10-0{d}")] for d in (6, 7, 8)] == ["on_time", "late", "missing"]
    assert len(found) == 3 * communes_in(matmo)


def test_two_schedulers_catching_up_at_once_flag_each_commune_once(app, daily, matmo,
                                                                    post_report, at_local):
    at_local(2025, 10, 7, 10, 0)
    post_report("thatkhe", date="2025-10-07")
    at_local(2025, 10, 8, 15, 0)
    _start(app, count=2)
    db.session.commit()
    count = db.session.scalar(select(func.count(ComplianceFlag.id)))
    assert count == 3 * communes_in(matmo)  # 6, 7 and 8 October
    assert flags()[(THATKHE, "2025-10-07")] == "on_time"


def test_the_same_deadline_run_in_four_threads_at_once_writes_one_flag_each(app, daily, matmo,
                                                                             at_local):
    at_local(2025, 10, 6, 14, 0)
    barrier, errors, schedule_id = threading.Barrier(4), [], daily.id

    def worker():
        try:
            barrier.wait(timeout=10)
            deadline_job(app, schedule_id)  # its own app context, session and connection
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.commit()
    rows = db.session.execute(select(ComplianceFlag.commune_code, func.count())
                              .group_by(ComplianceFlag.commune_code)).all()
    assert len(rows) == communes_in(matmo) and {n for _, n in rows} == {1}


def test_monthly_programme_report_is_due_before_the_10th(app, users, client, auth, at_local):
    third = db.session.scalar(select(Commune.code).where(
        Commune.code.not_in([THATKHE, HUULUNG])).order_by(Commune.code))
    event = create_event({"code": "ANSINH-2023", "name": "Chi trả an sinh xã hội không dùng tiền mặt",
                          "start_date": "2023-01-01", "communes": [THATKHE, HUULUNG, third]})
    schedule = create_schedule(event, {"kind": "monthly", "due_day": "10", "deadline": "14:00",
                                       "programme": "Chi trả an sinh xã hội không dùng tiền mặt 2023"})
    db.session.commit()

    def report(who, day):
        return client.post("/api/v1/reports", headers=auth(who), json={
            "event": "ANSINH-2023", "commune": {"thatkhe": THATKHE, "other": HUULUNG}[who],
            "date": day, "submission_id": f"{who}-{day}", "figures": {}, "no_damage": True})

    at_local(2023, 2, 8, 9, 0)
    assert report("thatkhe", "2023-02-08").status_code == 201
    at_local(2023, 2, 10, 14, 0)
    deadline_job(app, schedule.id)
    found = flags(schedule.id)
    assert found[(THATKHE, "2023-02")] == "on_time"
    assert found[(HUULUNG, "2023-02")] == "missing"
    assert found[(third, "2023-02")] == "missing"
    assert found[(THATKHE, "2023-01")] == "missing"  # January was due on 10 January
    assert len(found) == 6
    at_local(2023, 2, 13, 8, 0)
    report("other", "2023-02-13")
    assert flags(schedule.id)[(HUULUNG, "2023-02")] == "late"
    at_local(2023, 3, 10, 14, 0, 1)
    deadline_job(app, schedule.id)
    assert flags(schedule.id)[(THATKHE, "2023-03")] == "missing"


def test_operator_runs_the_deadline_by_hand_twice_and_nothing_changes(app, runner, daily, matmo,
                                                                      post_report, at_local):
    at_local(2025, 10, 8, 11, 0)
    post_report("thatkhe")
    at_local(2025, 10, 9, 8, 0)  # the scheduler was down over the deadline
    first = runner.invoke(args=["deadlines", "run", "--at", "2025-10-08T14:00"])
    assert first.exit_code == 0, first.output
    assert f"kỳ 2025-10-08 — đúng hạn 1, muộn 0, chưa báo cáo {communes_in(matmo) - 1}" in first.output
    before = flag_rows(daily.id)
    stamps = sorted(db.session.execute(select(ComplianceFlag.id, ComplianceFlag.updated_at)).all())
    second = runner.invoke(args=["deadlines", "run", "--at", "2025-10-08T14:00"])
    assert second.exit_code == 0 and "0 dòng thay đổi" in second.output
    assert flag_rows(daily.id) == before
    assert sorted(db.session.execute(select(ComplianceFlag.id, ComplianceFlag.updated_at)).all()) == stamps
    future = runner.invoke(args=["deadlines", "run", "--at", "2025-10-10T14:00"])
    assert future.exit_code != 0 and "tương lai" in future.output


def test_closing_an_event_stops_its_schedule(app, daily, matmo, at_local):
    at_local(2025, 10, 7, 14, 0)
    deadline_job(app, daily.id)
    scheduler = build(app, BackgroundScheduler)
    assert scheduler.get_job(f"deadline:{daily.id}") is not None
    at_local(2025, 10, 8, 10, 0)
    with write_transaction():
        close_event(matmo)
    at_local(2025, 10, 8, 14, 0)
    deadline_job(app, daily.id)
    assert {p for _, p in flags()} == {"2025-10-06", "2025-10-07"}
    reconcile(app, scheduler)
    assert scheduler.get_job(f"deadline:{daily.id}") is None


def test_a_commune_outside_the_event_is_never_flagged(app, users, at_local):
    event = create_event({"code": "LU-THATKHE", "name": "Lũ Thất Khê", "type": "flood",
                          "start_date": "2025-10-06", "communes": [THATKHE]})
    schedule = ensure_default_schedule(event)
    db.session.commit()
    at_local(2025, 10, 8, 15, 0)
    _start(app)
    assert set(flags(schedule.id)) == {(THATKHE, f"2025-10-0{d}") for d in (6, 7, 8)}


def test_inactive_schedule_is_not_run(app, daily, at_local):
    daily.active = False
    db.session.commit()
    at_local(2025, 10, 8, 14, 0)
    deadline_job(app, daily.id)
    assert flags() == {}
