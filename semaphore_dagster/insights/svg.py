"""Tiny inline-SVG charts for the self-contained HTML report: line charts, horizontal bars, sparklines.

Hand-written because the report must open with no network and no JavaScript: chart libraries render in the
browser from a CDN; these are plain SVG strings built in Python.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
FONT = "font-family:system-ui,-apple-system,Segoe UI,sans-serif"
Fmt = Callable[[float], str]


def fmt_duration(seconds: float) -> str:
    if seconds is None:
        return "–"
    s = abs(seconds)
    if s < 90:
        return f"{seconds:.0f}s"
    if s < 90 * 60:
        return f"{seconds / 60:.1f}m"
    if s < 36 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def fmt_percent(value: float) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def fmt_number(value: float) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5, 5 x 10^n steps)."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [math.floor(lo / step) * step]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def _text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = 11,
    fill: str = "#374151",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
        f'font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" style="{FONT}">'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def empty_chart(title: str, message: str = "no data yet", width: int = 660, height: int = 120) -> str:
    body = [
        _text(12, 22, title, size=14, weight="600", fill="#111827"),
        f'<rect x="12" y="36" width="{width - 24}" height="{height - 48}" fill="#f9fafb" stroke="#e5e7eb"/>',
        _text(width / 2, height / 2 + 16, message, anchor="middle", fill="#6b7280"),
    ]
    return _svg(width, height, body, f"{title}: {message}")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    points: Sequence[tuple[date, float]]  # (day, value); None values are skipped


def line_chart(
    title: str,
    series: Sequence[Series],
    fmt: Fmt,
    width: int = 660,
    height: int = 280,
    y_max: float | None = None,
    tick_unit: float = 1.0,
) -> str:
    """Lines over days, one per series, with dots, gridlines, date and value ticks and a legend.

    `tick_unit` makes the value ticks round in that unit (e.g. 60 for minutes on a seconds axis)."""
    points = [(d, v) for s in series for d, v in s.points if v is not None]
    if not points:
        return empty_chart(title, width=width)
    left, right, top, bottom = 64, 16, 48, 36
    x0 = min(d for d, _ in points).toordinal()
    x1 = max(d for d, _ in points).toordinal()
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    top_value = y_max if y_max is not None else max(v for _, v in points) or 1.0
    ticks = [t * tick_unit for t in nice_ticks(0.0, top_value / tick_unit)]
    y_top = ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(d: date) -> float:
        return left + (d.toordinal() - x0) / (x1 - x0) * plot_w

    def py(v: float) -> float:
        return top + plot_h - (v / y_top) * plot_h if y_top else top + plot_h

    body = [_text(12, 22, title, size=14, weight="600", fill="#111827")]
    for t in ticks:
        y = py(t)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        body.append(_text(left - 6, y + 4, fmt(t), anchor="end", size=10, fill="#6b7280"))
    days = sorted({d for d, _ in points})
    stride = max(1, math.ceil(len(days) / 8))
    for d in days[::stride]:
        body.append(
            _text(px(d), height - bottom + 16, d.strftime("%m-%d"), anchor="middle", size=10, fill="#6b7280")
        )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#9ca3af"/>'
    )
    legend_x = left
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        pts = [(px(d), py(v)) for d, v in sorted(s.points) if v is not None]
        if not pts:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        body.append(
            f'<polyline class="series" data-series="{escape(s.name)}" points="{coords}" fill="none" '
            f'stroke="{color}" stroke-width="2" stroke-linejoin="round"/>'
        )
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in pts]
        body.append(f'<rect x="{legend_x}" y="31" width="10" height="10" fill="{color}"/>')
        body.append(_text(legend_x + 14, 40, s.name, size=11))
        legend_x += 24 + 7 * len(s.name)
    return _svg(width, height, body, title)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    note: str = ""


def bar_chart(title: str, bars: Sequence[Bar], fmt: Fmt, width: int = 660, x_max: float | None = None) -> str:
    """Horizontal bars, largest scale = `x_max` (default: the largest value), labelled on the left."""
    if not bars:
        return empty_chart(title, width=width)
    label_w, right, top, row_h = 200, 220, 40, 26
    height = top + row_h * len(bars) + 12
    top_value = x_max if x_max is not None else max(b.value for b in bars) or 1.0
    plot_w = width - label_w - right
    body = [_text(12, 22, title, size=14, weight="600", fill="#111827")]
    for i, b in enumerate(bars):
        y = top + i * row_h
        w = max(0.0, min(b.value / top_value, 1.0)) * plot_w if top_value else 0.0
        label = b.label if len(b.label) <= 30 else b.label[:29] + "…"
        body.append(_text(label_w - 8, y + 15, label, anchor="end", size=11))
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="{row_h - 8}" fill="#f3f4f6"/>')
        body.append(
            f'<rect class="bar" data-label="{escape(b.label)}" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row_h - 8}" fill="{PALETTE[0]}"/>'
        )
        text = fmt(b.value) + (f"  {b.note}" if b.note else "")
        body.append(_text(label_w + plot_w + 6, y + 15, text, size=11))
    return _svg(width, height, body, title)


def stacked_bar_chart(
    title: str, rows: Sequence[tuple[str, Sequence[float]]], parts: Sequence[str], fmt: Fmt, width: int = 660
) -> str:
    """One horizontal bar per row, split into `parts` (same order as each row's values)."""
    if not rows:
        return empty_chart(title, width=width)
    label_w, right, top, row_h = 200, 90, 48, 26
    height = top + row_h * len(rows) + 12
    top_value = max(sum(v for v in values if v) for _, values in rows) or 1.0
    plot_w = width - label_w - right
    body = [_text(12, 22, title, size=14, weight="600", fill="#111827")]
    legend_x = label_w
    for j, part in enumerate(parts):
        body.append(
            f'<rect x="{legend_x}" y="29" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
        )
        body.append(_text(legend_x + 14, 38, part, size=11))
        legend_x += 24 + 7 * len(part)
    for i, (label, values) in enumerate(rows):
        y = top + i * row_h
        body.append(_text(label_w - 8, y + 15, label if len(label) <= 30 else label[:29] + "…", anchor="end"))
        x = float(label_w)
        for j, v in enumerate(values):
            w = (v or 0) / top_value * plot_w
            body.append(
                f'<rect class="bar" data-label="{escape(label)}:{escape(parts[j])}" x="{x:.1f}" y="{y + 3}" '
                f'width="{w:.1f}" height="{row_h - 8}" fill="{PALETTE[j % len(PALETTE)]}"/>'
            )
            x += w
        body.append(_text(x + 6, y + 15, fmt(sum(v or 0 for v in values)), size=11))
    return _svg(width, height, body, title)


def sparkline(values: Sequence[float], width: int = 160, height: int = 32, color: str = PALETTE[0]) -> str:
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<polyline class="series" points="{coords}" fill="none" stroke="{color}" stroke-width="1.5"/></svg>'
    )
