"""A static PNG of the map (geopandas + matplotlib, no tiles) for bulletins and exports.

Same data and classes as the web map: zero class, natural breaks, hatched
"Chưa báo cáo", greyed communes outside the selected area. A map for print:
the province and "tính đến 14 giờ ngày …" in the title, a north arrow, a scale
bar under the map, the legend in a panel beside the map (never over a
commune), only the classes some commune falls in, commune names with a white
halo (a name that would overlap one already placed is left out; the most
affected communes are placed first), and a source line.
"""
import io
import math
import textwrap

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display on servers; set before any pyplot import elsewhere

from matplotlib import patheffects  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from sqlalchemy import select  # noqa: E402

from ..areas.models import Commune  # noqa: E402
from ..extensions import db  # noqa: E402
from ..formatting import vn_number  # noqa: E402
from ..reports.aggregation import Summary  # noqa: E402
from ..selection import Selection  # noqa: E402
from ..timeutil import fmt_local, utcnow  # noqa: E402
from .classify import MISSING_LABEL, OUTSIDE_COLOR  # noqa: E402
from .geometry import outline  # noqa: E402
from .layers import map_frame, require_indicator  # noqa: E402

EDGE = "#555555"
HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
MAP_BOX = [0.02, 0.07, 0.68, 0.80]   # left, bottom, width, height (figure fraction)
PANEL_X = 0.72                        # the legend panel starts here
KM_PER_DEGREE = 111.32
SOURCE = ("Nguồn: báo cáo thiệt hại của các xã, phường (số liệu lũy kế, phiên bản mới nhất); "
          "ranh giới hành chính cấp xã sau 01/7/2025 (đã giản lược).")


def province_name() -> str:
    name = db.session.scalar(select(Commune.province_name).where(Commune.province_name != "")
                             .limit(1))
    if not name:
        return "Toàn tỉnh"
    return name if name.lower().startswith(("tỉnh", "thành phố")) else f"Tỉnh {name}"


def map_title(selection: Selection, indicator) -> str:
    """'Bão số 11 …\\nNhà bị sập đổ … (cái) – Tỉnh Lạng Sơn\\ntính đến 14 giờ ngày 08/10/2025'."""
    at = selection.event.deadline
    hour = f"{at.hour} giờ" + (f" {at.minute:02d}" if at.minute else "")
    where = province_name() + (f" – {selection.area.name}" if selection.area else "")
    return (f"{selection.event.name}\n{indicator.label} ({indicator.unit}) – {where}\n"
            f"tính đến {hour} ngày {selection.date:%d/%m/%Y}")


def render_map_png(selection: Selection, indicator_code: str, summary: Summary | None = None,
                   dpi: int = 150) -> bytes:
    """The choropleth of one indicator for the selection, as PNG bytes."""
    fig = map_figure(selection, indicator_code, summary, dpi)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, facecolor="white")
    return out.getvalue()


def map_figure(selection: Selection, indicator_code: str, summary: Summary | None = None,
               dpi: int = 150) -> Figure:
    """The drawn figure (title, map, scale bar, north arrow, legend panel, labels, source)."""
    indicator = require_indicator(indicator_code)
    frame, classes = map_frame(selection, indicator.code, summary)
    fig = Figure(figsize=(10.0, 8.3), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes(MAP_BOX)
    _draw(ax, frame)
    _frame_view(ax, frame)
    _scale_bar(ax)
    fig.suptitle(map_title(selection, indicator), fontsize=12, y=0.975, linespacing=1.4)
    _north_arrow(fig)
    _legend(fig, frame, classes, indicator, selection)
    fig.text(0.02, 0.015, f"{SOURCE} Lập lúc {fmt_local(utcnow())}.", fontsize=6.5,
             color="#444444")
    ax.apply_aspect()  # the final axes box, so label extents are measured where they land
    _labels(ax, frame, canvas.get_renderer())  # no full draw: savefig draws once
    return fig


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


def _labels(ax, frame, renderer) -> list[str]:
    """Commune names with a white halo; one that would overlap a placed name is left out."""
    inside = frame[frame["in_area"]]
    if inside.empty or len(inside) > 120:  # names stay legible up to a province
        return []
    ordered = inside.assign(_v=inside["value"].fillna(-1)).sort_values("_v", ascending=False)
    placed, boxes = [], []
    for row in ordered[["short_name", "label_lon", "label_lat"]].itertuples():
        if row.label_lon is None or math.isnan(row.label_lon):
            continue
        text = ax.annotate(row.short_name, (row.label_lon, row.label_lat), fontsize=5.5,
                           ha="center", va="center", color="#111111", path_effects=HALO)
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        if any(box.overlaps(other) for other in boxes):
            text.remove()
            continue
        boxes.append(box)
        placed.append(row.short_name)
    return placed


def _frame_view(ax, frame) -> None:
    """Zoom to the area; room below the map for the scale bar; degrees look square."""
    inside = frame[frame["in_area"]]
    minx, miny, maxx, maxy = (inside if not inside.empty else frame).total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.03
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad - (maxy - miny) * 0.07, maxy + pad)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_axis_off()


def nice_length(km: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ km not above `km`."""
    power = 10 ** math.floor(math.log10(km))
    return max(m * power for m in (1, 2, 5) if m * power <= km)


def _scale_bar(ax) -> float:
    """A two-segment scale bar in km at the bottom left, below the communes."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lat = (y0 + y1) / 2
    km_per_deg = KM_PER_DEGREE * math.cos(math.radians(lat))
    length = nice_length((x1 - x0) * km_per_deg / 4)
    width = length / km_per_deg
    height = (y1 - y0) * 0.008
    left, bottom = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.025
    for n, color in enumerate(("#222222", "white")):
        ax.add_patch(Rectangle((left + n * width / 2, bottom), width / 2, height,
                               facecolor=color, edgecolor="#222222", linewidth=0.6))
    for fraction, text in ((0, "0"), (0.5, vn_number(length / 2)), (1, f"{vn_number(length)} km")):
        ax.text(left + fraction * width, bottom + height * 2.2, text, fontsize=6.5,
                ha="center", va="bottom", path_effects=HALO)
    return length


def _north_arrow(fig) -> None:
    fig.text(PANEL_X + 0.02, 0.835, "B", fontsize=11, fontweight="bold", ha="center")
    fig.patches.append(matplotlib.patches.FancyArrow(
        PANEL_X + 0.02, 0.755, 0, 0.07, width=0.008, head_width=0.022, head_length=0.03,
        length_includes_head=True, color="#222222", transform=fig.transFigure, figure=fig))
    fig.text(PANEL_X + 0.045, 0.78, "Hướng Bắc", fontsize=7, va="center", color="#444444")


def _legend(fig, frame, classes, indicator, selection) -> None:
    """Only classes some commune of the area falls in: no '0' when no commune is 0."""
    inside = frame[frame["in_area"]]
    present = set(inside["class"].tolist())
    statuses = set(inside["status"].tolist())
    handles = [Patch(facecolor=color, edgecolor=EDGE, label=label)
               for n, (color, label) in enumerate(classes.legend(vn_number))
               if n in present]
    if "stale" in statuses:
        handles.append(Patch(facecolor="white", edgecolor=EDGE, hatch="...",
                             label=f"Số liệu trước ngày {selection.date:%d/%m}"))
    if "missing" in statuses:
        handles.append(Patch(facecolor="white", edgecolor=EDGE, hatch="////",
                             label=MISSING_LABEL))
    if selection.area or (~frame["in_area"]).any():
        handles.append(Patch(facecolor=OUTSIDE_COLOR, edgecolor="white", label="Ngoài vùng chọn"))
    title = textwrap.fill(indicator.label, 34) + f"\n(đơn vị: {indicator.unit})"
    fig.legend(handles=handles, title=title,
               loc="upper left", bbox_to_anchor=(PANEL_X, 0.72), fontsize=8, title_fontsize=8,
               frameon=False, alignment="left")
