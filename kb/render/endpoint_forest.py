"""Forest plots of an endpoint table as deterministic SVG: medians on a time axis in months, hazard ratios on
a log scale with the line of no effect at 1, landmark rates on a 0-100% axis. A bound the source gives as
not estimable is an open arrow to the axis end; a median not reached is a labelled mark, never a number."""

from __future__ import annotations

import math
import textwrap

from kb.analysis.endpoint_table import (
    HAZARD_RATIO,
    LANDMARK,
    MEDIAN,
    EndpointRow,
    EndpointTable,
    LandmarkRate,
)
from kb.analysis.values import NOT_ESTIMABLE, NOT_REACHED, HazardRatio, Interval
from kb.render.endpoint_typeset import data_cut_text, figure_cell, follow_up_text
from kb.render.forest_plot import (
    AXIS_H,
    CHAR_W,
    FAINT,
    FONT_SIZE,
    FOOT_LINE_H,
    GREY,
    HEADER_H,
    INK,
    MARGIN,
    PROP_TICKS,
    PROP_X0,
    PROP_X1,
    ROW_H,
    _clip,
    _line,
    _n,
    _text,
)
from kb.render.markup import escape
from kb.render.numbers import number_text

COL_LABEL = 10.0
COL_CUT = 300.0
COL_TEXT_END = 545.0
MARKER = 8.0
HR_MIN, HR_MAX = 0.1, 4.0
HR_TICKS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
MONTH_STEPS = (6, 12, 24)  # tick spacing of the time axis, the smallest giving at most 8 ticks
AXIS_TITLES = {
    MEDIAN: "Median, months",
    HAZARD_RATIO: "Hazard ratio (log scale)",
    LANDMARK: "Rate at landmark, %",
}


class Axis:
    """The x axis of one endpoint kind: where a value goes, and its ticks."""

    def __init__(self, kind: str, table: EndpointTable) -> None:
        self.kind = kind
        self.top = _time_top(table) if kind == MEDIAN else 100.0

    def x(self, value: float) -> float:
        width = PROP_X1 - PROP_X0
        if self.kind == HAZARD_RATIO:
            clamped = min(max(value, HR_MIN), HR_MAX)
            span = math.log(HR_MAX) - math.log(HR_MIN)
            return PROP_X0 + width * (math.log(clamped) - math.log(HR_MIN)) / span
        return PROP_X0 + width * min(max(value, 0.0), self.top) / self.top

    def ticks(self) -> tuple[float, ...]:
        if self.kind == HAZARD_RATIO:
            return HR_TICKS
        if self.kind == LANDMARK:
            return tuple(float(t) for t in PROP_TICKS)
        step = next((s for s in MONTH_STEPS if self.top / s <= 8), 2 * MONTH_STEPS[-1])
        return tuple(float(t) for t in range(0, int(self.top) + 1, step))


def _time_top(table: EndpointTable) -> float:
    """The end of the time axis: the largest number any row gives, rounded up to a multiple of 6 months."""
    numbers = [6.0]
    for row in table.rows:
        figure = row.figure
        if isinstance(figure, (HazardRatio, LandmarkRate)):
            continue
        numbers += [v for v in (figure.estimate,) if v is not None]
        if figure.interval is not None:
            numbers += [v for v in (figure.interval.low, figure.interval.high) if v is not None]
    return 6.0 * math.ceil(max(numbers) / 6.0)


def _estimate(row: EndpointRow) -> float | None:
    figure = row.figure
    return figure.percent if isinstance(figure, LandmarkRate) else figure.estimate


def _interval_marks(interval: Interval, axis: Axis, mid: float) -> list[str]:
    """The interval as a line; a bound not given as a number is an open arrow to that end of the axis."""
    if not interval.has_number:
        return []
    low = axis.x(interval.low) if interval.low is not None else PROP_X0
    high = axis.x(interval.high) if interval.high is not None else PROP_X1
    out = [_line(low, mid, high, mid, INK, ' class="ci" stroke-width="1.5"')]
    for bound, status, end, sign in (
        (interval.low, interval.low_status, PROP_X0, 1),
        (interval.high, interval.high_status, PROP_X1, -1),
    ):
        if bound is None:
            kind = "ne-arrow" if status == NOT_ESTIMABLE else "open-bound"
            back = end + sign * 6
            points = f"{_n(back)},{_n(mid - 4)} {_n(end)},{_n(mid)} {_n(back)},{_n(mid + 4)}"
            out.append(
                f'<polyline class="{kind}" points="{points}" fill="none" stroke="{INK}" stroke-width="1.5">'
                f"<title>{escape(status)}</title></polyline>"
            )
    return out


def _figure_marks(row: EndpointRow, axis: Axis, mid: float, base: float) -> list[str]:
    figure = row.figure
    out = _interval_marks(figure.interval, axis, mid) if figure.interval is not None else []
    estimate = _estimate(row)
    if estimate is not None:
        half = MARKER / 2
        cx = axis.x(estimate)
        out.append(
            f'<rect class="marker" x="{_n(cx - half)}" y="{_n(mid - half)}" width="{_n(MARKER)}" '
            f'height="{_n(MARKER)}" fill="{INK}" stroke="{INK}"/>'
        )
    elif figure.status == NOT_REACHED:
        # Not reached: a mark at the axis end labelled NR, standing for no number.
        points = f"{_n(PROP_X1 - 8)},{_n(mid - 5)} {_n(PROP_X1)},{_n(mid)} {_n(PROP_X1 - 8)},{_n(mid + 5)}"
        out.append(
            f'<g class="not-reached"><polygon points="{points}" fill="none" stroke="{INK}"/>'
            + _text(PROP_X1 - 12, base, "not reached", "end", f' fill="{INK}"')
            + "</g>"
        )
    elif not out:
        out.append(_text(PROP_X0 + 4, base, figure.status, extra=f' class="no-estimate" fill="{GREY}"'))
    return out


def row_sentence(row: EndpointRow) -> str:
    """The full sentence for a row: cohort, figure, data cut, follow-up, flags and sources."""
    parts = [
        f"{row.study}: {row.cohort}: {figure_cell(row)}",
        f"data cut: {data_cut_text(row)}",
        f"median follow-up: {follow_up_text(row)}",
    ]
    if row.caveats:
        parts.append("flags: " + ", ".join(row.caveats))
    if row.sources:
        parts.append("sources: " + "; ".join(s.label for s in row.sources))
    return "; ".join(parts)


def _row_group(row: EndpointRow, axis: Axis, y: float) -> list[str]:
    mid = y + ROW_H / 2
    base = mid + FONT_SIZE / 2 - 1.5
    cut = f"cut {row.data_cut}" if row.data_cut is not None else ""
    return [
        '<g class="row">',
        f"<title>{escape(row_sentence(row))}</title>",
        _text(COL_LABEL, base, _clip(row.cohort, COL_CUT - COL_LABEL - 6)),
        _text(COL_CUT, base, cut),
        _text(COL_TEXT_END, base, _clip(figure_cell(row), COL_TEXT_END - COL_CUT - 50), "end"),
        *_figure_marks(row, axis, mid, base),
        "</g>",
    ]


def _axis(axis: Axis, bottom: float) -> list[str]:
    out = [f'<g class="axis {axis.kind}-axis">']
    for tick in axis.ticks():
        x = axis.x(tick)
        out.append(_line(x, HEADER_H, x, bottom, FAINT, ' stroke-dasharray="2,3"'))
        out.append(_line(x, bottom, x, bottom + 4, "#000"))
        out.append(_text(x, bottom + 16, number_text(tick), "middle"))
    if axis.kind == HAZARD_RATIO:
        null_x = axis.x(1.0)
        out.append(_line(null_x, HEADER_H, null_x, bottom, "#000", ' class="hr-null"'))
    out.append(_line(PROP_X0, bottom, PROP_X1, bottom, "#000"))
    out.append(_text((PROP_X0 + PROP_X1) / 2, bottom + 30, AXIS_TITLES[axis.kind], "middle"))
    out.append("</g>")
    return out


def _body(table: EndpointTable, axis: Axis) -> tuple[list[str], float]:
    body: list[str] = []
    y = HEADER_H
    current = None
    for row in table.rows:
        if row.stratum_key != current:
            current = row.stratum_key
            base = y + ROW_H / 2 + FONT_SIZE / 2 - 1.5
            heading = _text(COL_LABEL, base, row.stratum, extra=' font-weight="bold"')
            body.append(f'<g class="stratum">{heading}</g>')
            y += ROW_H
        body += _row_group(row, axis, y)
        y += ROW_H
    return body, max(y, HEADER_H + ROW_H)


def _footer(table: EndpointTable, width: float, top: float) -> tuple[list[str], float]:
    wrap_at = max(int((width - 2 * MARGIN) / CHAR_W), 20)
    y = top + FOOT_LINE_H
    out = ['<g class="footer" font-size="10">']
    for note in table.footnotes():
        for line in textwrap.wrap(note, wrap_at) or [""]:
            out.append(_text(MARGIN, y, line))
            y += FOOT_LINE_H
    out.append("</g>")
    return out, y


def endpoint_forest_svg(table: EndpointTable) -> str:
    """The forest plot of an endpoint table as an SVG document."""
    axis = Axis(table.endpoint.kind, table)
    width = PROP_X1 + 25.0
    body, bottom = _body(table, axis)
    head_base = HEADER_H - 8
    title = f"{table.endpoint.label[0].upper()}{table.endpoint.label[1:]} by {table.grouping}"
    out = [
        _text(COL_LABEL, 16, title, extra=' font-weight="bold" font-size="13"'),
        '<g class="header" font-weight="bold">',
        _text(COL_LABEL, head_base, "Cohort"),
        _text(COL_CUT, head_base, "Data cut"),
        _text(COL_TEXT_END, head_base, "Estimate (CI)", "end"),
        "</g>",
        _line(MARGIN, HEADER_H, PROP_X1, HEADER_H, FAINT),
        *_axis(axis, bottom),
        *body,
    ]
    footer, y = _footer(table, width, bottom + AXIS_H + 8)
    out += footer
    height = y + MARGIN
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="{FONT_SIZE}" role="img">'
    )
    parts = [
        head,
        f"<title>Forest plot: {escape(title)}</title>",
        '<rect width="100%" height="100%" fill="#fff"/>',
    ]
    return "\n".join([*parts, *out, "</svg>"]) + "\n"
