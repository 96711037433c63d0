"""Web pages: the commune's daily form and receipt, history, the province's list."""
import os
import uuid
from datetime import date

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from ..areas.models import Commune
from ..auth.access import (commune_scope, entry_channel, is_officer, is_staff, login_required,
                           may_read, provincial_required)
from ..auth.access import allows, declared
from ..derived import derived_codes, derived_figures
from ..events import Event, get_event, in_scope, open_events, scope_codes
from ..errors import InputError
from ..extensions import csrf, db
from ..http import api_error, json_body
from ..indicators import active_indicators, grouped
from ..selection import parse_date, require_event
from ..timeutil import iso_local, local_deadline_utc, local_today
from .history import reports_query
from .models import CHANNELS, Report, ReportVersion
from .store import Known, latest_known
from .submission import Submission, from_payload, submit

bp = Blueprint("reports", __name__)


def input_text(value) -> str:
    """A stored figure as an input value a phone can edit: 1200 → '1200', 12.5 → '12,5'."""
    if not isinstance(value, (int, float)):
        return value or ""
    return str(int(value)) if value == int(value) else f"{value:g}".replace(".", ",")


def events_for(commune: Commune) -> list[Event]:
    """Open events whose scope includes the commune, newest first."""
    return [e for e in open_events() if in_scope(e, commune.code)]


def _form_context(event: Event | None, commune: Commune, day, values=None, errors=None, **extra):
    """Prefilled with the commune's latest known cumulative figures (today's latest version,
    else the latest earlier day), so an unchanged day is one tap."""
    known = latest_known(event.id, commune.code, day) if event else Known(None, {})
    today_report = db.session.scalar(select(Report).where(
        Report.event_id == event.id, Report.commune_code == commune.code,
        Report.report_date == day)) if event else None
    # figures a feature derives (the relief ledger's rice) are shown read-only, not typed
    extra.setdefault("ledger_codes", derived_codes(event))
    extra.setdefault("ledger", derived_figures(event, day, [commune.code]).get(commune.code, {})
                     if extra["ledger_codes"] else {})
    if values is None:
        values = {k: v for k, v in known.figures.items() if k not in extra["ledger_codes"]}
    values = {k: input_text(v) for k, v in values.items()}
    return dict(event=event, events=events_for(commune), commune=commune, day=day,
                groups=grouped(active_indicators()),
                values=values, filled_codes=[k for k, v in values.items() if v != ""],
                previous=known.figures, previous_date=known.report_date,
                today_report=today_report, errors=errors or {},
                submission_id=str(uuid.uuid4()), today=local_today(),
                channel=form_channel(), sms_number=sms_gateway_number(),
                deadline_at=iso_local(local_deadline_utc(day, event.deadline)) if event else "",
                **extra)


def sms_gateway_number() -> str:
    return current_app.config.get("SMS_GATEWAY_NUMBER") or os.environ.get("SMS_GATEWAY_NUMBER", "")


def _commune_for_form() -> Commune:
    """The officer's own commune; province and admin staff choose one (a commune that phoned)."""
    code = commune_scope(current_user, request.values.get("commune"))
    if code is None:
        abort(403)  # staff read reports; they file one only for a commune they name
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
    no_damage = form.get("no_damage") == "1"  # the button "Không có thiệt hại phát sinh"
    # figures as typed ('1.200', '12,5'): the submission reads them with the one parser
    figures = {} if no_damage else {k[2:]: v for k, v in form.items() if k.startswith("f_")}
    return Submission(event=event.code if event else "", commune=commune.code,
                      date=form.get("date", ""),
                      submission_id=form.get("submission_id", "") or str(uuid.uuid4()),
                      figures=figures, note=form.get("note", ""),
                      correction_reason=form.get("correction_reason", ""),
                      no_damage=no_damage, captured_at=form.get("captured_at") or None)


def form_channel() -> str:
    """Officers file their own report on the web; staff typing what a commune phoned in
    are entering it by phone, and it is labelled so everywhere."""
    return entry_channel(current_user, "web")


@bp.route("/report", methods=["GET", "POST"])
@login_required
def form():
    """Today's form for the officer's commune and open event; a correction adds a version."""
    commune = _commune_for_form()
    event = _event_for_form(commune)
    if request.method == "GET":
        # a cleared date field (date=) on a page means "today", as before
        raw = request.args.get("date") or None
        try:
            day = parse_date(raw, local_today(), event)
        except InputError:
            day = _date_or_today(raw or "")
            if day <= local_today():
                raise
            # a future date is refused before the form opens, in words an officer reads
            return render_template("reports/future.html", commune=commune, event=event, day=day,
                                   today=local_today()), 422
        return render_template("reports/form.html", **_form_context(event, commune, day))
    sub = submission_from_form(request.form, event, commune)
    try:
        receipt = submit(current_user, sub, channel=form_channel())
    except InputError as exc:
        if exc.status == 403:
            abort(403)
        day = _date_or_today(sub.date)
        context = _form_context(event, commune, day, values=sub.figures, errors=exc.messages,
                                note=sub.note, correction_reason=sub.correction_reason)
        return render_template("reports/form.html", **context), exc.status
    return redirect(url_for("reports.receipt", report_id=receipt.report_id, version=receipt.version))


# Channels the form's JSON endpoint accepts: sent at once, sent later from the phone's
# outbox, or entered by province staff for a commune that phoned in.
FORM_CHANNELS = ("web", "offline", "phone")


@bp.post("/report/submit")
@csrf.exempt  # checked below, after the log-in check, so each failure gets its JSON answer
@declared("reader")  # the log-in check is below: a phone gets its JSON 401, never a redirect
def submit_json():
    """The form's JSON entry point (session cookie + X-CSRFToken), used by the phone's outbox.

    Answers like POST /api/v1/reports: the receipt (201 new, 200 replay of the same
    submission_id) or {"errors", "messages"} (401 login_again, 400 csrf_failed, 403,
    409 with the stored version when the user may read it, 422).
    """
    if not current_user.is_authenticated:
        return api_error(401, code="login_again")
    if not allows("reader", current_user):
        return api_error(403)
    try:
        csrf.protect()
    except CSRFError:
        return api_error(400, code="csrf_failed")
    sub = None
    try:
        channel, sub = _json_submission()
        receipt = submit(current_user, sub, channel=channel)
    except InputError as exc:
        answer = exc.as_json()
        if exc.status == 409 and sub is not None:
            answer["stored"] = _stored_version(sub.submission_id)
        return jsonify(answer), exc.status
    answer = receipt.as_dict()
    answer["receipt_url"] = url_for("reports.receipt", report_id=receipt.report_id,
                                    version=receipt.version)
    return jsonify(answer), 200 if receipt.replayed else 201


def _json_submission() -> tuple[str, Submission]:
    """The channel and the submission of the form's JSON body (figures as typed)."""
    body = json_body()
    channel = body.pop("channel", None) or form_channel()
    if channel not in FORM_CHANNELS:
        raise InputError.one(422, "channel", "bad_channel")
    staff = is_staff(current_user)
    if channel == "phone" and not staff:
        raise InputError.one(403, "channel", "phone_channel_province_only")
    if staff and channel != "phone":
        raise InputError.one(422, "channel", "bad_channel")
    return channel, from_payload(body)


def _stored_version(submission_id: str) -> dict | None:
    """What is stored under a submission_id, for a 409 the officer can look at."""
    version = db.session.scalar(select(ReportVersion).where(
        ReportVersion.submission_id == submission_id))
    if version is None or not may_read(current_user, version.report.commune_code):
        return None  # (another commune's submission: say nothing about it)
    return {"version": version.version, "received_at": iso_local(version.received_at),
            "url": url_for("reports.detail", report_id=version.report_id, _anchor=f"v{version.version}")}


@bp.get("/report/phone")
@provincial_required
def phone_entry():
    """Province staff enter the figures a commune phoned in: choose the commune, open its form."""
    event = _event_for_phone()
    codes = set(scope_codes(event)) if event else None
    communes = [c for c in db.session.scalars(select(Commune).order_by(Commune.name))
                if codes is None or c.code in codes]
    return render_template("reports/phone_entry.html", event=event, communes=communes)


def _event_for_phone() -> Event | None:
    events = open_events()
    return events[0] if events else None


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
    commune_scope(current_user, report.commune_code)
    return report


@bp.get("/reports/<id:report_id>/receipt/<id:version>")
@login_required
def receipt(report_id, version):
    report = _report_for_reader(report_id)
    found = [v for v in report.versions if v.version == version]
    if not found:
        abort(404)
    return render_template("reports/receipt.html", report=report, version=found[0],
                           groups=grouped(active_indicators()), event=report.event,
                           commune=report.commune)


@bp.get("/reports/<id:report_id>")
@login_required
def detail(report_id):
    report = _report_for_reader(report_id)
    indicators = active_indicators()
    return render_template("reports/detail.html", report=report, groups=grouped(indicators),
                           event=report.event, commune=report.commune, CHANNELS=CHANNELS)


@bp.get("/history")
@login_required
def history():
    """A commune's own reports, newest first, with their versions."""
    if not is_officer(current_user):
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
    day = parse_date(request.args.get("date") or None, local_today(), event)
    reports = list(db.session.scalars(reports_query(event, day=day)))
    names = dict(db.session.execute(select(Commune.code, Commune.name)).all())
    expected = len(scope_codes(event))
    events = list(db.session.scalars(select(Event).order_by(Event.closed_at.is_not(None),
                                                            Event.start_date.desc())))
    return render_template("reports/province_list.html", event=event, events=events, day=day,
                           reports=reports, names=names, expected=expected)


@bp.get("/versions/<id:version_id>")
@login_required
def version(version_id):
    v = db.session.get(ReportVersion, version_id)
    if v is None:
        abort(404)
    return redirect(url_for("reports.detail", report_id=v.report_id, _anchor=f"v{v.version}"))
