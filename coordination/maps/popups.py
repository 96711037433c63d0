"""Tooltip and popup HTML. Leaflet inserts these as raw HTML: every user or data text is escaped here."""
from flask import url_for
from markupsafe import Markup, escape

from ..indicators import Indicator, grouped
from ..reports.aggregation import CommuneFigures
from ..timeutil import fmt_local
from ..formatting import vn_number
from .incidents import FACILITY_KINDS, INCIDENT_KINDS

STATUS_LABELS = {"reported": "Đã báo cáo", "stale": "Chưa báo cáo trong ngày",
                 "missing": "Chưa báo cáo", "outside": "Ngoài vùng chọn"}


def stale_label(report_date) -> str:
    return f"Số liệu ngày {report_date:%d/%m}"


def value_text(row, indicator: Indicator) -> str:
    if row.status == "missing":
        return STATUS_LABELS["missing"]
    text = f"{vn_number(row.value)} {indicator.unit}"
    return f"{text} ({stale_label(row.report_date)})" if row.stale else text


def commune_tooltip(row, indicator: Indicator) -> str:
    """Built for every commune of the page: plain escape() + f-string, cheap at 3,300."""
    if row.status == "outside":
        return f"{escape(row.name)} · {STATUS_LABELS['outside']}"
    return f"<b>{escape(row.name)}</b>: {escape(value_text(row, indicator))}"


def _figure_rows(figures: dict, indicators: list[Indicator], selected: str) -> Markup:
    shown = [i for i in indicators if figures.get(i.code) or i.code == selected]
    out = Markup()
    for group, members in grouped(shown):
        out += Markup('<tr><th colspan="2">{}</th></tr>').format(group)
        for ind in members:
            out += Markup('<tr><td>{}</td><td class="num">{} {}</td></tr>').format(
                ind.label, vn_number(figures.get(ind.code, 0)), ind.unit)
    return out


def commune_popup(row: CommuneFigures, indicators: list[Indicator], selected: str) -> str:
    """A commune's figures for the date, fetched when its popup opens (keeps pages small)."""
    if row.status == "missing":
        return str(Markup('<div class="maps-popup"><h6>{}</h6><p class="status-missing">{}</p></div>')
                   .format(row.name, STATUS_LABELS["missing"]))
    timing = ("Đúng hạn", "status-on_time") if row.on_time else ("Muộn", "status-late")
    head = Markup('<h6>{}</h6><p class="small mb-1">Báo cáo ngày {} · nhận lúc {} · '
                  '<span class="{}">{}</span></p>').format(
        row.name, f"{row.report_date:%d/%m/%Y}", fmt_local(row.received_at), timing[1], timing[0])
    if row.stale:
        head += Markup('<p class="maps-stale small mb-1">{}</p>').format(stale_label(row.report_date))
    note = Markup('<p class="small mb-1">Ghi chú: {}</p>').format(row.note) if row.note else ""
    link = Markup('<a href="{}">Xem báo cáo và lịch sử sửa đổi</a>').format(
        url_for("reports.detail", report_id=int(row.report_id)))
    table = Markup('<table class="table table-sm mb-1">{}</table>').format(
        _figure_rows(row.figures, indicators, selected))
    return str(Markup('<div class="maps-popup">{}{}{}{}</div>').format(head, table, note, link))


def incident_html(item: dict) -> tuple[str, str]:
    incident = item["incident"]
    where = item["commune_name"] + (" (vị trí gần đúng: trung tâm xã)" if item["approximate"] else "")
    tip = Markup("<b>{}</b> · {}").format(INCIDENT_KINDS[incident.kind], item["commune_name"])
    popup = Markup('<div class="maps-popup"><h6>{}</h6><p class="mb-1">{}</p>'
                   '<p class="small mb-0">{} · {}</p></div>').format(
        INCIDENT_KINDS[incident.kind], incident.description, where, fmt_local(incident.created_at))
    return str(tip), str(popup)


def facility_html(facility) -> tuple[str, str]:
    tip = Markup("<b>{}</b> · {}").format(facility.name, FACILITY_KINDS[facility.kind])
    popup = Markup('<div class="maps-popup"><h6>{}</h6><p class="mb-0">{}</p>'
                   '<p class="small mb-0">{}</p></div>').format(
        facility.name, FACILITY_KINDS[facility.kind], facility.detail)
    return str(tip), str(popup)
