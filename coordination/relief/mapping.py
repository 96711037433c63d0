"""A static map of the pipeline: communes coloured by the share of their allocation
already distributed (geopandas + matplotlib, like maps/static.py; no tiles, no JS)."""
import io
import math

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..areas.geometry import commune_frame  # noqa: E402

EDGE = "#555555"
NONE_COLOR = "#eeeeee"  # no allocation
# share distributed: <25 %, 25–50 %, 50–75 %, 75–<100 %, ≥100 %
CLASSES = [(0.25, "#d7301f", "Dưới 25%"), (0.5, "#fc8d59", "25% – dưới 50%"),
           (0.75, "#fdcc8a", "50% – dưới 75%"), (1.0, "#a1d99b", "75% – dưới 100%"),
           (math.inf, "#238b45", "Đã phát hết (≥ 100%)")]


def share_color(share: float | None) -> str:
    if share is None:
        return NONE_COLOR
    for upper, color, _ in CLASSES:
        if share < upper:
            return color
    return CLASSES[-1][1]


def render_share_png(selection, pipeline, dpi: int = 110) -> bytes:
    frame = commune_frame()
    shares = {c.code: c.share_distributed for c in pipeline.communes}
    fig = Figure(figsize=(7, 7.4), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.01, 0.01, 0.98, 0.88])
    if not frame.empty:
        colors = [share_color(shares.get(code)) for code in frame["code"]]
        frame.plot(ax=ax, color=colors, edgecolor=EDGE, linewidth=0.4)
        for row in frame[frame["code"].isin(list(shares))][
                ["short_name", "label_lon", "label_lat"]].itertuples():
            if row.label_lon is not None and row.label_lat is not None:
                ax.annotate(row.short_name, (row.label_lon, row.label_lat), fontsize=7,
                            ha="center", va="center", color="#111111")
        shown = frame[frame["code"].isin(list(shares))]
        minx, miny, maxx, maxy = (shown if not shown.empty else frame).total_bounds
        pad = max(maxx - minx, maxy - miny) * 0.08
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad * 2.5, maxy + pad)  # room for the legend below
        ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_axis_off()
    handles = [Patch(facecolor=color, edgecolor=EDGE, label=label) for _, color, label in CLASSES]
    handles.append(Patch(facecolor=NONE_COLOR, edgecolor=EDGE, label="Không được phân bổ"))
    ax.legend(handles=handles, title="Tỷ lệ đã phát / phân bổ", loc="lower left", fontsize=9,
              title_fontsize=10, framealpha=0.9)
    fig.suptitle(f"{selection.event.name}\n{pipeline.item_label}: tỷ lệ đã phát đến dân · "
                 f"ngày {selection.date:%d/%m/%Y}", fontsize=12, y=0.97)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, facecolor="white")
    return out.getvalue()
