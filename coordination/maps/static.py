"""A static PNG of the map (geopandas + matplotlib, no tiles) for bulletins and exports.

Same data and classes as the web map: zero class, natural breaks, hatched
"Chưa báo cáo", greyed communes outside the selected area.
"""
import io
import math

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display on servers; set before any pyplot import elsewhere

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..reports.aggregation import Summary  # noqa: E402
from ..selection import Selection  # noqa: E402
from ..web import vn_number  # noqa: E402
from .classify import MISSING_LABEL, OUTSIDE_COLOR  # noqa: E402
from .geometry import outline  # noqa: E402
from .layers import map_frame, require_indicator  # noqa: E402

EDGE = "#555555"


def render_map_png(selection: Selection, indicator_code: str, summary: Summary | None = None,
                   dpi: int = 150) -> bytes:
    """The choropleth of one indicator for the selection, as PNG bytes."""
    indicator = require_indicator(indicator_code)
    frame, classes = map_frame(selection, indicator.code, summary)
    fig = Figure(figsize=(8.3, 8.3), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.02, 0.02, 0.96, 0.86])
    _draw(ax, frame)
    _frame_view(ax, frame)
    _legend(ax, classes, indicator, selection, has_stale=(frame["status"] == "stale").any())
    fig.suptitle(f"{selection.event.name}\n{indicator.label} ({indicator.unit}) · "
                 f"{selection.area_name} · ngày {selection.date:%d/%m/%Y}",
                 fontsize=11, y=0.97)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, facecolor="white")
    return out.getvalue()


def _draw(ax, frame) -> None:
    inside = frame[frame["in_area"]]
    outside = frame[~frame["in_area"]]
    if not outside.empty:
        outside.plot(ax=ax, color=OUTSIDE_COLOR, edgecolor="white", linewidth=0.4)
    valued = inside[inside["status"] != "missing"]
    if not valued.empty:
        valued.plot(ax=ax, color=valued["color"], edgecolor=EDGE, linewidth=0.4)
    stale = inside[inside["status"] == "stale"]
    if not stale.empty:
        stale.plot(ax=ax, facecolor="none", edgecolor=EDGE, hatch="...", linewidth=0.4)
    missing = inside[inside["status"] == "missing"]
    if not missing.empty:
        missing.plot(ax=ax, facecolor="white", edgecolor=EDGE, hatch="////", linewidth=0.4)
    if not inside.empty:
        gpd.GeoSeries([outline(inside.geometry.values)]).plot(ax=ax, color="#222222",
                                                              linewidth=1.2)
        if len(inside) <= 120:  # names stay legible up to a province
            for row in inside[["short_name", "label_lon", "label_lat"]].itertuples():
                ax.annotate(row.short_name, (row.label_lon, row.label_lat), fontsize=4.5,
                            ha="center", va="center", color="#222222")


def _frame_view(ax, frame) -> None:
    inside = frame[frame["in_area"]]
    minx, miny, maxx, maxy = (inside if not inside.empty else frame).total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.04
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))  # degrees look square
    ax.set_axis_off()


def _legend(ax, classes, indicator, selection, has_stale: bool) -> None:
    handles = [Patch(facecolor=color, edgecolor=EDGE, label=label)
               for color, label in classes.legend(vn_number)]
    if has_stale:
        handles.append(Patch(facecolor="white", edgecolor=EDGE, hatch="...",
                             label=f"Số liệu trước ngày {selection.date:%d/%m}"))
    handles.append(Patch(facecolor="white", edgecolor=EDGE, hatch="////", label=MISSING_LABEL))
    if selection.area:
        handles.append(Patch(facecolor=OUTSIDE_COLOR, edgecolor="white", label="Ngoài vùng chọn"))
    ax.legend(handles=handles, title=f"Đơn vị: {indicator.unit}", loc="lower left",
              fontsize=7, title_fontsize=8, framealpha=0.9)
