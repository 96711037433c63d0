"""Reporting deadlines: the 14:00 scheduler, reminders and the compliance board."""
from flask import Flask
from flask_login import current_user

from ..auth.access import is_officer
from ..reports.submission import report_received
from .flags import on_report
from .models import ComplianceFlag, Notification, ReportingSchedule  # noqa: F401 (create_all)
from .reminders import BANNER_WINDOW, banner_items, close_in_app
from .schedules import ensure_default_schedule, period_of, schedules_of  # noqa: F401 (public)


def on_report_received(receipt, event) -> None:
    """A first receipt: move flags of periods already past their deadline (late report), and
    take the commune's reminders for that period off the banner. Runs in the submission's
    write transaction."""
    if receipt.version != 1:
        return  # status depends on the first receipt only
    schedules = [s for s in event.schedules if s.active]  # loaded already for the deadline
    on_report(receipt.commune, receipt.report_date, event, schedules, receipt.received_at)
    for schedule in schedules:
        period = period_of(schedule, receipt.report_date)
        # reminders are made on the due day, before the deadline: those of a period due
        # longer ago than the banner looks back are not shown (spares a late report a write)
        if period.deadline_utc >= receipt.received_at - BANNER_WINDOW:
            close_in_app(schedule.id, period.key, receipt.commune)


def banner_context() -> dict:
    if not is_officer(current_user):
        return {}
    return {"deadline_banner": banner_items(current_user.commune_code)}


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and hooks."""
    from ..web import add_feature
    from .api import bp as api_bp
    from .cli import deadlines, scheduler_command
    from .views import bp

    add_feature(app, bp, api_bp, nav=("Tình hình báo cáo", "deadlines.compliance"),
                commands=(deadlines, scheduler_command))
    app.context_processor(banner_context)
    report_received.connect(on_report_received)
