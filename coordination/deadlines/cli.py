"""`flask --app app scheduler` and `flask --app app deadlines ...`."""
from datetime import datetime

import click
from flask import current_app

from ..database import retry_on_conflict
from ..selection import require_event
from ..errors import InputError
from ..timeutil import to_utc_naive, utcnow
from . import jobs, scheduler as sched
from .schedules import ensure_default_schedule

deadlines = click.Group("deadlines", help="Reporting deadlines: flags, reminders, e-mail.")


def _moment(value: str | None) -> datetime:
    """A local ISO moment (e.g. 2025-10-08T14:00) as naive UTC; never in the future."""
    if not value:
        return utcnow()
    try:
        moment = to_utc_naive(datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter(f"'{value}' không phải thời điểm ISO (YYYY-MM-DDTHH:MM).") from None
    if moment > utcnow():
        raise click.BadParameter("Thời điểm ở tương lai: chỉ chạy được cho hạn đã qua.")
    return moment


@deadlines.command("run")
@click.option("--at", "at", help="Local moment to run the deadline job for (default: now).")
@click.option("--event", "event_code", help="Only this event.")
@click.option("--full", is_flag=True, help="Recompute every due period, not only unflagged ones.")
def run(at, event_code, full):
    """Run the deadline job by hand (after an outage); running it twice changes nothing."""
    results = jobs.run_deadlines(_moment(at), event_code, full)
    if not results:
        click.echo("Không có lịch báo cáo nào đang hoạt động.")
    for schedule_id, result in results.items():
        if result is None or not result.periods:
            click.echo(f"Lịch #{schedule_id}: chưa có kỳ nào đến hạn.")
            continue
        c = result.counts
        click.echo(f"Lịch #{schedule_id}: kỳ {result.periods[-1]} — đúng hạn {c['on_time']}, "
                   f"muộn {c['late']}, chưa báo cáo {c['missing']}; "
                   f"{len(result.periods)} kỳ xét, {result.changed} dòng thay đổi.")


@deadlines.command("attach")
@click.argument("event_code")
def attach(event_code):
    """Give an event the default daily schedule (deadline 14:00, reminders 10:00 and 13:00)."""
    try:
        event = require_event(event_code)
    except InputError as exc:
        raise click.ClickException(exc.messages["event"]) from exc
    schedule = retry_on_conflict(lambda: ensure_default_schedule(event))
    click.echo(f"Lịch #{schedule.id}: {schedule.label}.")


@deadlines.command("send-email")
def send_email():
    """Send due reminder e-mails now (the scheduler does this every minute)."""
    result = jobs.deliver_email()
    click.echo(f"Đã gửi {result['sent']}, lỗi {result['failed']}.")


@click.command("scheduler")
def scheduler_command():
    """Run the deadline scheduler (one process; started by `make run`)."""
    app = current_app._get_current_object()
    scheduler = sched.build(app)
    click.echo(f"Bộ lập lịch hạn báo cáo chạy theo giờ {app.config['TIMEZONE']} (Ctrl-C để dừng).")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
