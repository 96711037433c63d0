"""Small server-side SVG charts: no JavaScript library, nothing from a CDN.

A chart is a fixed viewBox scaled to its box by the browser (width 100 %),
so it reads the same on a phone and a desktop. Every text in it is escaped.
"""
from datetime import date

from markupsafe import Markup, escape

from ..formatting import vn_number

W, H = 320, 132
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 20


def nice_ceiling(value: float) -> float:
    """A round axis maximum ≥ value whose half is a whole number too: 2, 4, 6, 8, 10 × 10^n."""
    if value <= 2:
        return 2
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (2, 4, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _label(day: date) -> str:
    return day.strftime("%d/%m")


def svg_chart(key: str, title: str, unit: str, points: list[tuple[date, float]],
              ceiling: float | None = None, bars: bool = False) -> Markup:
    """A line (cumulative figures) or bar (daily counts) chart of (day, value) points."""
    title_text = f"{title} theo ngày"
    if points:
        last_day, last = points[-1]
        title_text += f": {vn_number(last)} {unit} ngày {last_day:%d/%m/%Y}"
    top = nice_ceiling(max([ceiling or 0] + [v for _, v in points]))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(points)

    def x(i: float) -> float:
        if bars:
            return LEFT + (i + 0.5) * plot_w / max(n, 1)
        return LEFT + (i * plot_w / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - v / top * plot_h

    parts = [f'<svg class="trend-chart" id="chart-{escape(key)}" data-points="{n}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title_text)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title_text)}</title>']
    for v in (0, top / 2, top):  # grid and y labels
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                     f'<text class="ylab" x="{LEFT - 4}" y="{y(v) + 3.5:.1f}">{escape(vn_number(v))}</text>')
    if ceiling is not None:
        parts.append(f'<line class="ceiling" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(ceiling):.1f}" '
                     f'y2="{y(ceiling):.1f}"/>')
    if n:
        if bars:
            width = max(plot_w / n * 0.7, 1)
            parts += [f'<rect class="bar" x="{x(i) - width / 2:.1f}" y="{y(v):.1f}" width="{width:.1f}" '
                      f'height="{TOP + plot_h - y(v):.1f}"><title>{_label(d)}: {escape(vn_number(v))}'
                      f'</title></rect>' for i, (d, v) in enumerate(points)]
        else:
            line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
            base = TOP + plot_h
            parts.append(f'<polygon class="area" points="{x(0):.1f},{base} {line} {x(n - 1):.1f},{base}"/>'
                         f'<polyline class="line" points="{line}"/>')
        parts.append(f'<circle class="dot" cx="{x(n - 1):.1f}" cy="{y(points[-1][1]):.1f}" r="3"/>')
        labels = [0, n - 1] if n > 1 else [0]
        if n > 4:
            labels.insert(1, (n - 1) // 2)
        for i in labels:
            anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
            x_text = LEFT if anchor == "start" else W - RIGHT if anchor == "end" else x(i)
            parts.append(f'<text class="xlab" x="{x_text:.1f}" y="{H - 5}" text-anchor="{anchor}">'
                         f'{_label(points[i][0])}</text>')
    else:
        parts.append(f'<text class="empty" x="{W / 2}" y="{H / 2}" text-anchor="middle">Chưa có số liệu</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
