"""Server-side SVG of a metric's chart for the review pack: plan, actuals, forecast cone.

Written by hand rather than with pygal: the chart is four polylines, two polygons and a
few labels, and the forecast cone (a band between lower and upper bounds that widens
from the last actual to the target date) is not one of pygal's chart types; a small
function of our own draws exactly the web page's chart (same series from
`web.pages.charts.metric_chart`) with no dependency and no embedded script or CSS, which
WeasyPrint renders as vectors.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import Any

W, H = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
PLAN, ACTUAL, CONE80, CONE95, TARGET = "#6b7280", "#1d4ed8", "#93c5fd", "#dbeafe", "#b45309"


def _day(iso: str) -> int:
    return dt.date.fromisoformat(iso).toordinal()


def _fmt(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.3e}"


def metric_svg(chart: dict[str, Any], title: str) -> str:
    """An SVG (a string, `W`×`H` user units) of one metric's `chart` (the dict
    `metric_chart` returns: actual, plan, target, cone with point/lower/span series);
    `title` names it for screen readers."""
    pts: list[tuple[int, float]] = []

    def series(rows: list[list[Any]]) -> list[tuple[int, float]]:
        out = [(_day(d), float(v)) for d, v in rows if v is not None and math.isfinite(v)]
        pts.extend(out)
        return out

    plan, actual = series(chart.get("plan", [])), series(chart.get("actual", []))
    target = chart.get("target") or {}
    cone = chart.get("cone") or {}
    point = series(cone.get("point", []))
    bands: list[tuple[str, list[tuple[int, float]], list[tuple[int, float]]]] = []
    for level, colour in (("95", CONE95), ("80", CONE80)):
        lower = [(_day(d), float(v)) for d, v in cone.get(f"lower{level}", [])]
        span = [(_day(d), float(v)) for d, v in cone.get(f"span{level}", [])]
        if lower and len(lower) == len(span):
            upper = [(x, lo + s) for (x, lo), (_, s) in zip(lower, span, strict=True)]
            pts.extend(lower + upper)
            bands.append((colour, lower, upper))
    if target.get("value") is not None and math.isfinite(float(target["value"])):
        pts.append((_day(target["date"]), float(target["value"])))
    if not pts:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
                f'aria-label="{escape(title)}"><text x="{W / 2}" y="{H / 2}" '
                f'text-anchor="middle" font-size="13">No data yet</text></svg>')
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if x1 == x0:
        x1 += 1
    pad = (y1 - y0) * 0.08 or abs(y0) * 0.1 or 1.0
    y0, y1 = y0 - pad, y1 + pad

    def xy(p: tuple[int, float]) -> str:
        x = LEFT + (p[0] - x0) / (x1 - x0) * (W - LEFT - RIGHT)
        y = TOP + (y1 - p[1]) / (y1 - y0) * (H - TOP - BOTTOM)
        return f"{x:.1f},{y:.1f}"

    def line(p: list[tuple[int, float]], colour: str, extra: str = "") -> str:
        return (f'<polyline fill="none" stroke="{colour}" stroke-width="2" {extra} '
                f'points="{" ".join(xy(q) for q in p)}"/>') if len(p) > 1 else ""

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
             f'height="{H}" role="img" aria-label="{escape(title)}" font-family="sans-serif">',
             f"<title>{escape(chart.get('description') or title)}</title>",
             f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" '
             f'height="{H - TOP - BOTTOM}" fill="#fff" stroke="#d1d5db"/>']
    for colour, lower, upper in bands:
        poly = " ".join(xy(q) for q in lower + upper[::-1])
        parts.append(f'<polygon fill="{colour}" stroke="none" points="{poly}"/>')
    parts.append(line(plan, PLAN, 'stroke-dasharray="6 4"'))
    parts.append(line(actual, ACTUAL))
    parts.append(line(point, ACTUAL, 'stroke-dasharray="3 3"'))
    if len(actual) == 1:
        parts.append(f'<circle r="3" fill="{ACTUAL}" cx="{xy(actual[0]).split(",")[0]}" '
                     f'cy="{xy(actual[0]).split(",")[1]}"/>')
    if "value" in target and target.get("value") is not None:
        tx, ty = xy((_day(target["date"]), float(target["value"]))).split(",")
        parts.append(f'<circle r="5" fill="none" stroke="{TARGET}" stroke-width="2" '
                     f'cx="{tx}" cy="{ty}"/>')
    small = 'font-size="11" fill="#374151"'
    parts += [
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" {small}>{_fmt(y1)}</text>',
        f'<text x="{LEFT - 6}" y="{H - BOTTOM}" text-anchor="end" {small}>{_fmt(y0)}</text>',
        f'<text x="{LEFT}" y="{H - BOTTOM + 14}" {small}>'
        f'{dt.date.fromordinal(x0).isoformat()}</text>',
        f'<text x="{W - RIGHT}" y="{H - BOTTOM + 14}" text-anchor="end" {small}>'
        f'{dt.date.fromordinal(x1).isoformat()}</text>']
    legend = [("plan", PLAN), ("actual", ACTUAL), ("forecast 80 %", CONE80),
              ("95 %", CONE95), ("target", TARGET)]
    x = LEFT
    for name, colour in legend:
        parts.append(f'<rect x="{x}" y="{H - 14}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{H - 5}" {small}>{name}</text>')
        x += 14 + 7 * len(name) + 16
    parts.append("</svg>")
    return "".join(p for p in parts if p)
