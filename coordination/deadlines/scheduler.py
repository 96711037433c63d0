"""APScheduler 3 set-up: one process of its own (`flask --app app scheduler`).

Jobs are cron triggers in the configured time zone, coalesced, with hours of
misfire grace. On start a one-off job catches up every deadline missed while
the process was down. A reconcile job every few minutes adds, replaces or drops
jobs as administrators attach schedules or close events. Every job is safe to
run twice or in two schedulers at once (idempotent upserts, keyed reminders,
claimed e-mails), so a stray second scheduler never double-flags.
"""
import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from ..timeutil import utcnow
from .jobs import catch_up, deadline_for, live_schedules, reminders_for
from .models import ReportingSchedule
from .jobs import deliver_email

log = logging.getLogger(__name__)
MANAGED = ("deadline:", "remind:")


def _in_context(app: Flask, fn, *args):
    with app.app_context():
        return fn(*args)


def deadline_job(app: Flask, schedule_id: int):
    return _in_context(app, lambda: deadline_for(schedule_id, utcnow()))


def reminder_job(app: Flask, schedule_id: int, slot: str):
    return _in_context(app, lambda: reminders_for(schedule_id, utcnow(), time.fromisoformat(slot)))


def catch_up_job(app: Flask):
    return _in_context(app, lambda: catch_up(utcnow()))


def email_job(app: Flask):
    return _in_context(app, deliver_email)


def _cron(schedule: ReportingSchedule, at, tz) -> CronTrigger:
    day = schedule.due_day if schedule.kind == "monthly" else "*"
    return CronTrigger(day=day, hour=at.hour, minute=at.minute, second=at.second, timezone=tz)


def desired_jobs(app: Flask, tz) -> dict[str, tuple]:
    """{job id: (func, args, trigger, signature)} for the live schedules."""
    wanted = {}
    with app.app_context():
        for schedule, _event in live_schedules():
            sig = f"{schedule.kind}|{schedule.due_day}|"
            wanted[f"deadline:{schedule.id}"] = (
                deadline_job, (app, schedule.id), _cron(schedule, schedule.deadline, tz),
                sig + schedule.deadline.isoformat())
            for slot in schedule.reminders:
                wanted[f"remind:{schedule.id}:{slot:%H%M}"] = (
                    reminder_job, (app, schedule.id, slot.isoformat()),
                    _cron(schedule, slot, tz), sig + slot.isoformat())
    return wanted


def reconcile(app: Flask, scheduler: BaseScheduler) -> dict[str, int]:
    """Bring the scheduler's jobs in line with the database; unchanged jobs keep their timing."""
    wanted = desired_jobs(app, scheduler.timezone)
    current = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(MANAGED)}
    removed = [jid for jid in current if jid not in wanted]
    for jid in removed:
        scheduler.remove_job(jid)
    added = 0
    for jid, (func, args, trigger, sig) in wanted.items():
        if jid in current and current[jid].name == sig:
            continue
        scheduler.add_job(func, trigger, args=args, id=jid, name=sig, replace_existing=True)
        added += 1
    return {"added": added, "removed": len(removed)}


def build(app: Flask, scheduler_class=BlockingScheduler) -> BaseScheduler:
    tz = ZoneInfo(app.config["TIMEZONE"])
    hours = app.config["DEADLINE_MISFIRE_HOURS"]
    scheduler = scheduler_class(
        timezone=tz, executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": hours * 3600})
    scheduler.add_listener(lambda ev: log.error("job %s failed: %r", ev.job_id, ev.exception),
                           EVENT_JOB_ERROR)
    reconcile(app, scheduler)
    minutes = app.config["DEADLINE_RECONCILE_MINUTES"]
    scheduler.add_job(reconcile, "interval", minutes=minutes, args=(app, scheduler), id="reconcile")
    scheduler.add_job(email_job, "interval", minutes=1, args=(app,), id="email")
    # Other features' jobs, registered at app set-up: every N minutes (sms: send the SMS
    # outbox), or the feature's own trigger options (backup: a daily cron at BACKUP_TIME).
    for job_id, (func, when) in app.extensions.get("scheduler_jobs", {}).items():
        options = {"trigger": "interval", "minutes": when} if isinstance(when, int) else when
        scheduler.add_job(func, args=(app,), id=job_id, **options)
    # Catch-up runs in the scheduler's own executor as soon as it starts.
    scheduler.add_job(catch_up_job, "date", run_date=datetime.now(tz), args=(app,), id="catch-up")
    return scheduler
