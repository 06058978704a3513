"""The report's charts, drawn with Altair (Vega-Lite) and rendered to inline SVG offline by vl-convert.

vl-convert runs Vega in an embedded engine, so the report carries finished SVG: no JavaScript and no CDN at
view time. Every text in a chart (titles, labels, tooltips) is data; the SVG serializer escapes it.
"""

from collections.abc import Sequence
from datetime import date

import altair as alt
import vl_convert

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
WIDTH = 600
FONT = "system-ui, -apple-system, Segoe UI, sans-serif"


def fmt_duration(seconds: float | None) -> str:
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


def fmt_percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def duration_unit(values: Sequence[float | None]) -> tuple[float, str]:
    """The unit a duration axis reads best in (by its largest value): seconds, minutes or hours."""
    top = max((v or 0 for v in values), default=0)
    return (3600.0, "hours") if top > 3 * 3600 else (60.0, "minutes") if top > 120 else (1.0, "seconds")


def _svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke="#e5e7eb").to_json()
    return vl_convert.vegalite_to_svg(spec)


def empty(title: str, message: str = "no data yet") -> str:
    chart = (
        alt.Chart(alt.Data(values=[{"m": message}]))
        .mark_text(fontSize=14, color="#6b7280")
        .encode(text="m:N")
        .properties(title=title, width=WIDTH, height=60)
    )
    return _svg(chart)


def line_chart(
    title: str, points: Sequence[dict], y_title: str, percent: bool = False, colors: Sequence[str] = PALETTE
) -> str:
    """Lines of `points` [{day: date, series: str, value: float}], one colour per series."""
    if not points:
        return empty(title)
    values = [{"day": p["day"].isoformat(), "series": p["series"], "value": p["value"]} for p in points]
    series = list(dict.fromkeys(p["series"] for p in points))
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format=".0%") if percent else alt.Axis())
    if percent:
        y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1]))
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X("day:T", title="day (UTC)"),
            y=y,
            color=alt.Color(
                "series:N", title=None, scale=alt.Scale(domain=series, range=list(colors[: len(series)]))
            ),
            tooltip=["day:T", "series:N", "value:Q"],
        )
        .properties(title=title, width=WIDTH, height=220)
    )
    return _svg(chart)


def bar_chart(title: str, bars: Sequence[dict], x_title: str, percent: bool = False) -> str:
    """Horizontal bars [{label, value, note}], in the given order."""
    if not bars:
        return empty(title)
    values = [{"label": b["label"], "value": b["value"], "note": b.get("note", "")} for b in bars]
    order = [b["label"] for b in bars]
    x = alt.X("value:Q", title=x_title)
    if percent:
        x = alt.X("value:Q", title=x_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1]))
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        x=x,
        tooltip=["label:N", "value:Q", "note:N"],
    )
    chart = (
        base.mark_bar(color=PALETTE[0])
        + base.mark_text(align="left", dx=4, fontSize=10).encode(text="note:N")
    ).properties(title=title, width=WIDTH - 200, height=max(60, 22 * len(bars)))
    return _svg(chart)


def stacked_bar_chart(title: str, rows: Sequence[dict], parts: Sequence[str], x_title: str) -> str:
    """Horizontal stacked bars: rows [{label, <part>: value}], one colour per part."""
    values = [
        {"label": r["label"], "part": p, "value": r[p] or 0.0, "order": i}
        for r in rows
        for i, p in enumerate(parts)
    ]
    if not values:
        return empty(title)
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("sum(value):Q", title=x_title),
            color=alt.Color(
                "part:N", title=None, scale=alt.Scale(domain=list(parts), range=list(PALETTE[: len(parts)]))
            ),
            order=alt.Order("order:Q"),
            tooltip=["label:N", "part:N", "value:Q"],
        )
        .properties(title=title, width=WIDTH - 200, height=max(60, 22 * len(rows)))
    )
    return _svg(chart)


def stacked_columns(
    title: str, points: Sequence[dict], parts: Sequence[str], y_title: str, colors: Sequence[str]
) -> str:
    """Vertical stacked columns per day: points [{day: date, part: str, value: float}], one colour per part
    (`colors`, in the order of `parts`)."""
    values = [
        {
            "day": p["day"].isoformat(),
            "part": p["part"],
            "value": p["value"] or 0.0,
            "order": parts.index(p["part"]),
        }
        for p in points
    ]
    if not values:
        return empty(title)
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="day (UTC)"),
            y=alt.Y("sum(value):Q", title=y_title),
            color=alt.Color("part:N", title=None, scale=alt.Scale(domain=list(parts), range=list(colors))),
            order=alt.Order("order:Q"),
            tooltip=["day:T", "part:N", "value:Q"],
        )
        .properties(title=title, width=WIDTH, height=220)
    )
    return _svg(chart)


def sparkline(days: Sequence[date], counts: Sequence[float]) -> str:
    """A tiny line of daily counts, no axes."""
    if not counts:
        return ""
    values = [{"day": d.isoformat(), "n": n} for d, n in zip(days, counts, strict=True)]
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(color=PALETTE[0], strokeWidth=1.5)
        .encode(x=alt.X("day:T", axis=None), y=alt.Y("n:Q", axis=None))
        .properties(width=160, height=32)
        .configure_view(strokeWidth=0)
    )
    return vl_convert.vegalite_to_svg(chart.to_json())
