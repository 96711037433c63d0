"""Web pages: the commune's daily form and receipt, history, the province's list."""
import re
import uuid
from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..areas.models import Commune
from ..auth.access import login_required, provincial_required
from ..events import Event, get_event, in_scope, open_events, scope_codes
from ..extensions import db
from ..indicators import active_indicators, grouped
from ..selection import parse_date, require_event
from ..timeutil import local_today
from .history import reports_query
from .models import Report, ReportVersion
from .submission import Submission, SubmissionError, previous_figures, submit

bp = Blueprint("reports", __name__)


THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")   # 1.234 or 1.234,5
DECIMAL_COMMA = re.compile(r"^\d+,\d+$")                # 12,5


def parse_typed_number(text: str) -> str:
    """A figure as typed on paper in Vietnam ('1.200', '12,5') → '1200', '12.5'.

    Anything else is passed on unchanged for the submission rules to judge.
    """
    text = text.strip().replace(" ", "")
    if THOUSANDS.match(text):
        return text.replace(".", "").replace(",", ".")
    if DECIMAL_COMMA.match(text):
        return text.replace(",", ".")
    return text


def input_text(value) -> str:
    """A stored figure as an input value a phone can edit: 1200 → '1200', 12.5 → '12,5'."""
    if not isinstance(value, (int, float)):
        return value or ""
    return str(int(value)) if value == int(value) else f"{value:g}".replace(".", ",")


def events_for(commune: Commune) -> list[Event]:
    """Open events whose scope includes the commune, newest first."""
    return [e for e in open_events() if in_scope(e, commune.code)]


def _form_context(event: Event | None, commune: Commune, day, values=None, errors=None, **extra):
    previous_date, previous = (previous_figures(event.id, commune.code, day)
                               if event else (None, {}))
    today_report = db.session.scalar(select(Report).where(
        Report.event_id == event.id, Report.commune_code == commune.code,
        Report.report_date == day)) if event else None
    if values is None:  # prefill: today's latest version, else the previous cumulative figures
        values = previous
        if today_report:
            values = {f.indicator_code: f.value for f in today_report.versions[-1].figures}
    return dict(event=event, events=events_for(commune), commune=commune, day=day,
                groups=grouped(active_indicators()),
                values={k: input_text(v) for k, v in values.items()}, previous=previous,
                previous_date=previous_date, today_report=today_report, errors=errors or {},
                submission_id=str(uuid.uuid4()), today=local_today(), **extra)


def _commune_for_form() -> Commune:
    if current_user.role == "province":
        abort(403)
    code = current_user.commune_code if current_user.role == "commune" else request.values.get("commune")
    commune = db.session.get(Commune, code) if code else None
    if commune is None:
        abort(404)
    return commune


def _event_for_form(commune: Commune) -> Event | None:
    code = request.values.get("event")
    if not code:
        events = events_for(commune)
        return events[0] if events else None
    event = get_event(code)
    if event is None:
        abort(404)
    return event


def submission_from_form(form, event: Event | None, commune: Commune) -> Submission:
    figures = {k[2:]: parse_typed_number(v) for k, v in form.items() if k.startswith("f_")}
    return Submission(event=event.code if event else "", commune=commune.code,
                      date=form.get("date", ""),
                      submission_id=form.get("submission_id", "") or str(uuid.uuid4()),
                      figures=figures, note=form.get("note", ""),
                      correction_reason=form.get("correction_reason", ""))


@bp.route("/report", methods=["GET", "POST"])
@login_required
def form():
    """Today's form for the officer's commune and open event; a correction adds a version."""
    commune = _commune_for_form()
    event = _event_for_form(commune)
    if request.method == "GET":
        day = parse_date(request.args.get("date"), local_today())
        return render_template("reports/form.html", **_form_context(event, commune, day))
    sub = submission_from_form(request.form, event, commune)
    try:
        receipt = submit(current_user, sub, source="web")
    except SubmissionError as exc:
        if exc.status == 403:
            abort(403)
        day = _date_or_today(sub.date)
        context = _form_context(event, commune, day, values=sub.figures, errors=exc.messages,
                                note=sub.note, correction_reason=sub.correction_reason)
        return render_template("reports/form.html", **context), exc.status
    return redirect(url_for("reports.receipt", report_id=receipt.report_id, version=receipt.version))


def _date_or_today(text: str):
    """The typed date when it parses (its error is shown beside the field), else today."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return local_today()


def _report_for_reader(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404)
    if not current_user.can_read_commune(report.commune_code):
        abort(403)
    return report


@bp.get("/reports/<int:report_id>/receipt/<int:version>")
@login_required
def receipt(report_id, version):
    report = _report_for_reader(report_id)
    found = [v for v in report.versions if v.version == version]
    if not found:
        abort(404)
    return render_template("reports/receipt.html", report=report, version=found[0],
                           groups=grouped(active_indicators()),
                           event=db.session.get(Event, report.event_id),
                           commune=db.session.get(Commune, report.commune_code))


@bp.get("/reports/<int:report_id>")
@login_required
def detail(report_id):
    report = _report_for_reader(report_id)
    indicators = active_indicators()
    return render_template("reports/detail.html", report=report, groups=grouped(indicators),
                           event=db.session.get(Event, report.event_id),
                           commune=db.session.get(Commune, report.commune_code))


@bp.get("/history")
@login_required
def history():
    """A commune's own reports, newest first, with their versions."""
    if current_user.role != "commune":
        return redirect(url_for("reports.province_list"))
    events = list(db.session.scalars(select(Event).order_by(Event.start_date.desc())))
    reports = [(e, list(db.session.scalars(reports_query(e, commune_code=current_user.commune_code))))
               for e in events]
    return render_template("reports/history.html", reports=[(e, r) for e, r in reports if r])


@bp.get("/reports")
@provincial_required
def province_list():
    events = open_events()
    if not events:
        events = list(db.session.scalars(select(Event).order_by(Event.start_date.desc()).limit(1)))
    if not events:
        return render_template("reports/province_list.html", event=None, day=local_today(),
                               reports=[], names={}, expected=0)
    return redirect(url_for("reports.event_list", code=events[0].code))


@bp.get("/events/<code>/reports")
@provincial_required
def event_list(code):
    event = require_event(code)
    day = parse_date(request.args.get("date"), local_today())
    reports = list(db.session.scalars(reports_query(event, day=day)))
    names = dict(db.session.execute(select(Commune.code, Commune.name)).all())
    expected = len(scope_codes(event))
    events = list(db.session.scalars(select(Event).order_by(Event.closed_at.is_not(None),
                                                            Event.start_date.desc())))
    return render_template("reports/province_list.html", event=event, events=events, day=day,
                           reports=reports, names=names, expected=expected)


@bp.get("/versions/<int:version_id>")
@login_required
def version(version_id):
    v = db.session.get(ReportVersion, version_id)
    if v is None:
        abort(404)
    return redirect(url_for("reports.detail", report_id=v.report_id, _anchor=f"v{v.version}"))
