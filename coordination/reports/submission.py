"""Submitting a daily report: validation, idempotency, versions.

Errors carry a stable code per field (for the API) and a Vietnamese message
(for the form). A resubmission with the same submission_id is answered with
the stored result and never counted twice.
"""
import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date

from blinker import Namespace
from sqlalchemy import select

from ..areas.models import Commune
from ..auth.models import User
from ..database import retry_on_conflict
from ..errors import InputError
from ..events import Event, date_in_event, get_event, in_scope
from ..extensions import db
from ..indicators import Indicator
from ..timeutil import iso_local, local_deadline_utc, local_today, utcnow
from .models import Report, ReportFigure, ReportVersion

signals = Namespace()
# Sent after a report version is stored (deadline flags listen), with version=ReportVersion.
report_received = signals.signal("report-received")

MAX_VALUE = 1e12
MAX_NOTE = 5000

MESSAGES = {
    "required": "Bắt buộc nhập.",
    "invalid_date": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "future_date": "Không thể báo cáo cho ngày trong tương lai.",
    "outside_event": "Ngày báo cáo nằm ngoài thời gian của sự kiện.",
    "event_closed": "Sự kiện đã kết thúc, không nhận báo cáo mới.",
    "commune_outside_event": "Xã/phường không thuộc phạm vi của sự kiện.",
    "not_a_number": "Phải là một số.",
    "negative": "Không được là số âm.",
    "not_whole_number": "Phải là số nguyên.",
    "too_large": "Giá trị quá lớn.",
    "unknown_indicator": "Chỉ tiêu không có trong danh mục.",
    "decrease_needs_reason": "Thấp hơn số lũy kế đã báo cáo trước đó ({previous}); "
                             "cần ghi lý do điều chỉnh.",
    "too_long": "Nội dung quá dài.",
    "invalid": "Giá trị không hợp lệ.",
}


class SubmissionError(InputError):
    """A refused submission; messages default to the report vocabulary above."""

    def __init__(self, status: int, errors: dict[str, str], messages: dict[str, str] | None = None):
        full = {k: MESSAGES[v] for k, v in errors.items() if v in MESSAGES}
        full.update(messages or {})
        super().__init__(status, errors, full)


@dataclass
class Submission:
    event: str
    commune: str
    date: str
    submission_id: str
    figures: dict = field(default_factory=dict)
    note: str = ""
    correction_reason: str = ""


@dataclass
class Receipt:
    report_id: int
    version: int
    received_at: object  # UTC naive datetime
    on_time: bool
    event: str
    commune: str
    report_date: date
    replayed: bool = False  # True when an identical resubmission was answered from storage

    def as_dict(self) -> dict:
        return {"id": self.report_id, "version": self.version,
                "received_at": iso_local(self.received_at), "on_time": self.on_time,
                "event": self.event, "commune": self.commune,
                "date": self.report_date.isoformat()}


def body_hash(sub: Submission) -> str:
    body = {"event": sub.event, "commune": sub.commune, "date": sub.date,
            "figures": sub.figures, "note": sub.note, "correction_reason": sub.correction_reason}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def from_payload(payload) -> Submission:
    """Shape check of a JSON body; field errors use dotted paths such as figures.x."""
    if not isinstance(payload, dict):
        raise SubmissionError(400, {"body": "invalid"}, {"body": "Nội dung phải là đối tượng JSON."})
    errors = {}
    for name in ("event", "commune", "date", "submission_id"):
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            errors[name] = "required"
    if not isinstance(payload.get("figures", {}), dict):
        errors["figures"] = "invalid"
    for name in ("note", "correction_reason"):
        if not isinstance(payload.get(name) or "", str):
            errors[name] = "invalid"
    if len(str(payload.get("submission_id", ""))) > 80:
        errors["submission_id"] = "too_long"
    if errors:
        raise SubmissionError(422, errors)
    return Submission(event=payload["event"].strip(), commune=payload["commune"].strip(),
                      date=payload["date"].strip(), submission_id=payload["submission_id"].strip(),
                      figures=payload.get("figures") or {}, note=payload.get("note") or "",
                      correction_reason=payload.get("correction_reason") or "")


def _receipt(version: ReportVersion, replayed=False) -> Receipt:
    report = version.report
    return Receipt(report.id, version.version, version.received_at, version.on_time,
                   db.session.get(Event, report.event_id).code, report.commune_code,
                   report.report_date, replayed)


def _parse_figures(raw: dict, catalog: dict[str, Indicator], errors: dict) -> dict[str, float]:
    figures = {}
    for code, value in raw.items():
        key = f"figures.{code}"
        if code not in catalog:
            errors[key] = "unknown_indicator"
            continue
        if value is None or value == "":
            continue  # not reported
        if isinstance(value, bool):
            errors[key] = "not_a_number"
            continue
        try:
            number = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            errors[key] = "not_a_number"
            continue
        if not math.isfinite(number):
            errors[key] = "not_a_number"
        elif number < 0:
            errors[key] = "negative"
        elif number > MAX_VALUE:
            errors[key] = "too_large"
        elif catalog[code].whole_number and number != int(number):
            errors[key] = "not_whole_number"
        else:
            figures[code] = number
    return figures


def previous_figures(event_id: int, commune: str, before: date) -> tuple[date | None, dict]:
    """The commune's latest figures reported for a date before `before`."""
    row = db.session.execute(
        select(Report.report_date, ReportVersion.id)
        .join(ReportVersion, (ReportVersion.report_id == Report.id)
              & (ReportVersion.version == Report.latest_version))
        .where(Report.event_id == event_id, Report.commune_code == commune,
               Report.report_date < before)
        .order_by(Report.report_date.desc()).limit(1)).first()
    if row is None:
        return None, {}
    figures = db.session.execute(select(ReportFigure.indicator_code, ReportFigure.value)
                                 .where(ReportFigure.version_id == row[1]))
    return row[0], dict(figures.all())


def _validate(sub: Submission, event: Event) -> tuple[date, dict[str, float]]:
    errors: dict[str, str] = {}
    messages: dict[str, str] = {}
    day = None
    try:
        day = date.fromisoformat(sub.date)
    except ValueError:
        errors["date"] = "invalid_date"
    if day is not None:
        if day > local_today():
            errors["date"] = "future_date"
        elif not date_in_event(event, day):
            errors["date"] = "outside_event"
    if not event.is_open:
        errors["event"] = "event_closed"
    if not in_scope(event, sub.commune):
        errors["commune"] = "commune_outside_event"
    catalog = {i.code: i for i in db.session.scalars(select(Indicator))}
    figures = _parse_figures(sub.figures, catalog, errors)
    if len(sub.note) > MAX_NOTE:
        errors["note"] = "too_long"
    if len(sub.correction_reason) > MAX_NOTE:
        errors["correction_reason"] = "too_long"
    if day is not None and not errors and not sub.correction_reason.strip():
        _, previous = previous_figures(event.id, sub.commune, day)
        for code, value in figures.items():
            if value < previous.get(code, 0):
                errors[f"figures.{code}"] = "decrease_needs_reason"
                messages[f"figures.{code}"] = MESSAGES["decrease_needs_reason"].format(
                    previous=f"{previous[code]:g}")
        if any(v == "decrease_needs_reason" for v in errors.values()):
            errors["correction_reason"] = "required"
    if errors:
        raise SubmissionError(422, errors, messages)
    return day, figures


def _replay(sub: Submission, user: User) -> Receipt | None:
    """The stored answer to an identical resubmission; 409 if the id was used for another body."""
    version = db.session.scalar(
        select(ReportVersion).where(ReportVersion.submission_id == sub.submission_id))
    if version is None:
        return None
    if version.body_hash != body_hash(sub) or not user.can_write_for(version.report.commune_code):
        raise SubmissionError(409, {"submission_id": "conflict"},
                              {"submission_id": "Mã gửi này đã được dùng cho một báo cáo khác."})
    return _receipt(version, replayed=True)


def submit(user: User, sub: Submission, source: str = "api") -> Receipt:
    event = get_event(sub.event)
    if event is None:
        raise SubmissionError(404, {"event": "not_found"}, {"event": "Không tìm thấy sự kiện."})
    if db.session.get(Commune, sub.commune) is None:
        raise SubmissionError(404, {"commune": "not_found"}, {"commune": "Không tìm thấy xã/phường."})
    if not user.can_write_for(sub.commune):
        raise SubmissionError(403, {"commune": "forbidden"},
                              {"commune": "Bạn chỉ được báo cáo cho xã/phường của mình."})
    replay = _replay(sub, user)
    if replay:
        return replay
    day, figures = _validate(sub, event)

    def store() -> Receipt:
        replay = _replay(sub, user)  # a concurrent retry may have stored it meanwhile
        if replay:
            return replay
        now = utcnow()
        on_time = now <= local_deadline_utc(day, event.deadline)
        report = db.session.scalar(
            select(Report).where(Report.event_id == event.id, Report.commune_code == sub.commune,
                                 Report.report_date == day).with_for_update())
        if report is None:
            report = Report(event_id=event.id, commune_code=sub.commune, report_date=day,
                            latest_version=0, first_received_at=now, on_time=on_time)
            db.session.add(report)
        report.latest_version += 1
        version = ReportVersion(
            report=report, version=report.latest_version, submission_id=sub.submission_id,
            body_hash=body_hash(sub), received_at=now, on_time=on_time, reporter_id=user.id,
            note=sub.note.strip(), correction_reason=sub.correction_reason.strip(), source=source,
            figures=[ReportFigure(indicator_code=k, value=v) for k, v in figures.items()])
        db.session.add(version)
        db.session.flush()
        report_received.send(version)
        return _receipt(version)

    return retry_on_conflict(store)
