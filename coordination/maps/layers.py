"""The data behind every map: one row per commune with its value, status and class.

Values come from the one aggregation (`summarize`); communes outside the
selected area (or the event's scope) are kept for context, greyed, unvalued.
"""
import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError, message
from ..extensions import db
from ..indicators import Indicator
from ..reports.aggregation import Summary, summarize
from ..selection import Selection
from .classify import OUTSIDE_COLOR, Classes, classify, colors_for
from .geometry import display_frame

DEFAULT_INDICATOR = "houses_collapsed"


def require_indicator(code: str | None) -> Indicator:
    indicator = db.session.get(Indicator, code or DEFAULT_INDICATOR)
    if indicator is None or not indicator.is_active:
        raise InputError(404, {"indicator": "not_found"},
                         {"indicator": message("indicator_not_found", code=code)})
    return indicator


def selection_summary(selection: Selection) -> Summary:
    return summarize(selection.event, selection.date, selection.area_code)


def status_frame(summary: Summary, indicator_code: str) -> pd.DataFrame:
    """Per commune of the summary: value, status (reported/stale/missing), late, report data."""
    rows = [{"code": c.code, "status": c.status, "stale": c.stale,
             "late": c.status != "missing" and c.on_time is False,
             "value": c.figures.get(indicator_code, 0.0) if c.status != "missing" else np.nan,
             "report_date": c.report_date, "report_id": c.report_id,
             "received_at": c.received_at, "on_time": c.on_time, "note": c.note,
             "figures": c.figures} for c in summary.communes]
    columns = ["code", "status", "stale", "late", "value", "report_date", "report_id",
               "received_at", "on_time", "note", "figures"]
    return pd.DataFrame(rows, columns=columns)


def map_frame(selection: Selection, indicator_code: str,
              summary: Summary | None = None) -> tuple[gpd.GeoDataFrame, Classes]:
    """All communes (display geometry) joined to the selection's figures, classified.

    Columns added: in_area, value, status ("outside" beyond the selection),
    class (-1 missing, 0 zero, 1.. positive), color.
    """
    summary = summary or selection_summary(selection)
    figures = status_frame(summary, indicator_code)
    frame = display_frame().merge(figures, on="code", how="left")
    frame["in_area"] = frame["code"].isin(figures["code"])
    frame["status"] = frame["status"].fillna("outside")
    classes, index = classify(frame["value"].where(frame["in_area"]).to_numpy())
    frame["class"] = index
    frame["color"] = np.where(frame["in_area"], colors_for(index, classes), OUTSIDE_COLOR)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326), classes
