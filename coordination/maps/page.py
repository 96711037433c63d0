"""Everything the map page shows, computed from one selection and one summary."""
from urllib.parse import quote, urlencode

from flask import url_for
from flask_login import current_user

from ..areas.lookup import all_areas
from ..auth.access import is_admin
from ..errors import InputError, message
from ..indicators import active_indicators
from ..reports.aggregation import summarize
from ..formatting import vn_number
from .classify import MISSING_LABEL, OUTSIDE_COLOR
from .folium_map import build_map, page_parts, points_geojson
from .incidents import event_incidents, facilities
from .layers import map_frame, require_indicator, selection_summary
from .popups import commune_popup, commune_tooltip, facility_html, incident_html

MAIN_INDICATORS = ["people_dead", "people_missing", "people_injured", "households_evacuated",
                   "houses_collapsed", "houses_damaged_heavy", "houses_damaged_partial",
                   "houses_flooded", "villages_isolated", "landslide_points",
                   "rice_damaged_ha", "economic_loss_million_vnd"]


def with_tooltips(frame, indicator):
    """Tooltip HTML per commune (rows, not polygons); popups load on click (popup_html)."""
    rows = frame.itertuples(index=False)
    return frame.assign(fill=frame["color"], tip=[commune_tooltip(r, indicator) for r in rows],
                        lazy=frame["in_area"])


def popup_html(selection, indicator_code: str, commune_code: str) -> str:
    """The popup of one commune of the selection; 404 outside it."""
    indicator = require_indicator(indicator_code)
    summary = summarize(selection.event, selection.date, selection.area_code, [commune_code])
    if not summary.communes:
        raise InputError(404, {"commune": "not_found"},
                         {"commune": message("commune_not_in_view", code=commune_code)})
    return commune_popup(summary.communes[0], active_indicators(), indicator.code)


def point_layers(selection, area_codes: set[str]) -> dict:
    incidents = []
    for item in event_incidents(selection.event):
        if selection.area is None or item["incident"].commune_code in area_codes:
            tip, popup = incident_html(item)
            incidents.append({"lat": item["lat"], "lon": item["lon"],
                              "kind": item["incident"].kind, "tip": tip, "popup": popup})
    infra = []
    for facility in facilities():
        tip, popup = facility_html(facility)
        infra.append({"lat": facility.lat, "lon": facility.lon, "kind": facility.kind,
                      "tip": tip, "popup": popup})
    return {"Sự cố": points_geojson(incidents, "incident"),
            "Công trình (nhà máy điện, hồ đập)": points_geojson(infra, "facility")}


def summary_panel(summary, indicators, selected) -> dict:
    codes = [c for c in MAIN_INDICATORS if c != selected.code]
    by_code = {i.code: i for i in indicators}
    shown = [selected] + [by_code[c] for c in codes if c in by_code]
    reported = [c for c in summary.communes if c.status == "reported"]
    return {"totals": [(i, summary.totals.get(i.code, 0)) for i in shown],
            "expected": len(summary.communes), "reported": len(reported),
            "late": sum(1 for c in reported if c.on_time is False),
            "stale": summary.stale, "missing": summary.missing,
            "never": summary.missing - summary.stale}


def legend(classes, selection, frame) -> list[dict]:
    items = [{"color": color, "label": label, "css": "class"}
             for color, label in classes.legend(vn_number)]
    if (frame["status"] == "stale").any():
        items.append({"color": "#ffffff", "css": "stale",
                      "label": f"Số liệu cũ (chưa báo cáo ngày {selection.date:%d/%m})"})
    items.append({"color": "#ffffff", "label": MISSING_LABEL, "css": "missing"})
    if selection.area is not None:
        items.append({"color": OUTSIDE_COLOR, "label": "Ngoài vùng chọn", "css": "outside"})
    return items


def table_link(selection) -> str:
    """The exports helper's table of the same selection (its own blueprint builds the page)."""
    query = urlencode({"date": selection.date.isoformat(), "area": selection.area_code or ""})
    return f"/events/{quote(selection.event.code)}/table?{query}"


def map_page_context(selection, indicator_code, tiles: str = "", attribution: str = "") -> dict:
    indicator = require_indicator(indicator_code)
    indicators = active_indicators()
    summary = selection_summary(selection)
    frame, classes = map_frame(selection, indicator.code, summary)
    frame = with_tooltips(frame, indicator)
    points = point_layers(selection, {c.code for c in summary.communes})
    m = build_map(frame, selection, indicator, points, tiles, attribution)
    args = {"code": selection.event.code, "date": selection.date.isoformat(),
            "area": selection.area_code or ""}
    return {"selection": selection, "indicator": indicator, "indicators": indicators,
            "areas": all_areas(),
            "map": page_parts(m), "legend": legend(classes, selection, frame),
            "panel": summary_panel(summary, indicators, indicator),
            "links": {"table": table_link(selection),
                      "png": url_for("maps.event_map_png", indicator=indicator.code, **args),
                      "geojson": url_for("maps_api.map_geojson", indicator=indicator.code, **args)},
            "popup_url": url_for("maps.commune_popup_fragment", commune="__CODE__",
                                 indicator=indicator.code, **args),
            "can_add_facility": is_admin(current_user)}
