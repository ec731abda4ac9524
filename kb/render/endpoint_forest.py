"""Forest plots of an endpoint table as deterministic SVG: medians on a time axis in months, hazard ratios on
a log scale with the line of no effect at 1, landmark rates on a 0-100% axis. A bound the source gives as
not estimable is an open arrow to the axis end; a median not reached is a labelled mark, never a number."""

from __future__ import annotations

import math

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
    FAINT,
    FOOT_LINE_H,
    GREY,
    HEADER_H,
    INK,
    MARGIN,
    PROP_TICKS,
    PROP_X0,
    PROP_X1,
    ROW_H,
    SMALL_SIZE,
    TITLE_SIZE,
    WIDTH,
    _line,
    _n,
    _text,
)
from kb.render.markup import escape
from kb.render.numbers import number_text
from kb.render.svg import FONT_SIZE, block_height, centre_base, line_texts, svg_document, wrap

COL_LABEL = 10.0
LABEL_W = 240.0
COL_CUT = 260.0
CUT_W = 250.0
COL_TEXT_END = PROP_X0 - 20.0
TEXT_W = COL_TEXT_END - COL_CUT - CUT_W - 10.0
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


def _row_group(row: EndpointRow, axis: Axis, y: float) -> tuple[list[str], float]:
    """A row's group (its <title> the full sentence) and its height: the cohort, the data cut and the figure
    each wrapped whole."""
    label = wrap(row.cohort, LABEL_W, FONT_SIZE)
    cut = wrap(data_cut_text(row), CUT_W, FONT_SIZE)
    figure = wrap(figure_cell(row), TEXT_W, FONT_SIZE)
    height = block_height(max(len(label), len(cut), len(figure)))
    mid, base = y + height / 2, centre_base(y, height)
    out = [
        '<g class="row">',
        f"<title>{escape(row_sentence(row))}</title>",
        *line_texts(COL_LABEL, y, label, extra=' class="cohort"'),
        *line_texts(COL_CUT, y, cut, extra=' class="data-cut"'),
        *line_texts(COL_TEXT_END, y, figure, "end", ' class="figure"'),
        *_figure_marks(row, axis, mid, base),
        "</g>",
    ]
    return out, height


def _axis(axis: Axis, bottom: float) -> list[str]:
    out = [f'<g class="axis {axis.kind}-axis">']
    for tick in axis.ticks():
        x = axis.x(tick)
        out.append(_line(x, HEADER_H, x, bottom, FAINT, ' stroke-dasharray="2,3"'))
        out.append(_line(x, bottom, x, bottom + 4, "#000"))
        out.append(_text(x, bottom + 17, number_text(tick), "middle"))
    if axis.kind == HAZARD_RATIO:
        null_x = axis.x(1.0)
        out.append(_line(null_x, HEADER_H, null_x, bottom, "#000", ' class="hr-null"'))
    out.append(_line(PROP_X0, bottom, PROP_X1, bottom, "#000"))
    out.append(_text((PROP_X0 + PROP_X1) / 2, bottom + 32, AXIS_TITLES[axis.kind], "middle"))
    out.append("</g>")
    return out


def _body(table: EndpointTable, axis: Axis) -> tuple[list[str], float]:
    body: list[str] = []
    y = HEADER_H
    current = None
    for row in table.rows:
        if row.stratum_key != current:
            current = row.stratum_key
            lines = wrap(row.stratum, PROP_X0 - COL_LABEL - 10, FONT_SIZE)
            heading = line_texts(COL_LABEL, y, lines, extra=' font-weight="bold"')
            body.append(f'<g class="stratum">{"".join(heading)}</g>')
            y += block_height(len(lines))
        group, height = _row_group(row, axis, y)
        body += group
        y += height
    return body, max(y, HEADER_H + ROW_H)


def _legend(body: list[str], axis: Axis, top: float) -> tuple[list[str], float]:
    """What the marks the plot draws mean: the estimate, its interval, an open bound, not reached."""
    drawn = "".join(body)
    x_mark, x_text, step = 30.0, 70.0, 20.0
    entries = [
        (
            f'<rect x="{_n(x_mark - MARKER / 2)}" y="{_n(-MARKER / 2)}" width="{_n(MARKER)}" '
            f'height="{_n(MARKER)}" fill="{INK}" stroke="{INK}"/>',
            "square: the estimate (one size for all)",
        ),
        (
            _line(x_mark - 18, 0, x_mark + 18, 0, INK, ' stroke-width="1.5"'),
            "line: its confidence interval, at the level the source states (CI where it states none)",
        ),
    ]
    arrow = (
        f'points="{_n(x_mark + 12)},-4 {_n(x_mark + 18)},0 {_n(x_mark + 12)},4" fill="none" stroke="{INK}"'
    )
    if 'class="ne-arrow"' in drawn:
        entries.append((f"<polyline {arrow}/>", "open arrow: a bound the source gives as not estimable"))
    if 'class="open-bound"' in drawn:
        entries.append((f"<polyline {arrow}/>", "open arrow: a bound the source does not give"))
    if 'class="not-reached"' in drawn:
        entries.append((f"<polyline {arrow}/>", "not reached: the median was not reached, so no number"))
    if axis.kind == HAZARD_RATIO:
        entries.append(
            (_line(x_mark, -8, x_mark, 8, "#000"), "vertical line: no difference (hazard ratio 1); log scale")
        )
    out = ['<g class="legend">', _text(COL_LABEL, top + 14, "Legend", extra=' font-weight="bold"')]
    y = top + 20
    for i, (mark, meaning) in enumerate(entries):
        mid = y + step * (i + 0.5)
        out.append(
            f'<g class="legend-entry"><g transform="translate(0 {_n(mid)})">{mark}</g>'
            f"{_text(x_text, mid + FONT_SIZE / 2 - 1.5, meaning)}</g>"
        )
    out.append("</g>")
    return out, y + step * len(entries)


def _footer(table: EndpointTable, top: float) -> tuple[list[str], float]:
    y = top + FOOT_LINE_H
    out = [f'<g class="footer" font-size="{SMALL_SIZE}">']
    for note in table.footnotes():
        for line in wrap(note, WIDTH - 2 * MARGIN, SMALL_SIZE):
            out.append(_text(MARGIN, y, line))
            y += FOOT_LINE_H
    out.append("</g>")
    return out, y


def endpoint_forest_svg(table: EndpointTable) -> str:
    """The forest plot of an endpoint table as an SVG document."""
    axis = Axis(table.endpoint.kind, table)
    body, bottom = _body(table, axis)
    head_base = HEADER_H - 8
    title = f"{table.endpoint.label[0].upper()}{table.endpoint.label[1:]} by {table.grouping}"
    out = [
        _text(COL_LABEL, 18, title, extra=f' font-weight="bold" font-size="{TITLE_SIZE}"'),
        '<g class="header" font-weight="bold">',
        _text(COL_LABEL, head_base, "Cohort"),
        _text(COL_CUT, head_base, "Data cut"),
        _text(COL_TEXT_END, head_base, "Estimate (CI)", "end"),
        "</g>",
        _line(MARGIN, HEADER_H, PROP_X1, HEADER_H, FAINT),
        *_axis(axis, bottom),
        *body,
    ]
    legend, y = _legend(body, axis, bottom + AXIS_H)
    out += legend
    footer, y = _footer(table, y + 4)
    out += footer
    return svg_document(f"Forest plot: {title}", WIDTH, y + MARGIN, out)
