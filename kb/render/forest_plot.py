"""Forest plots of a comparison table as hand-written, deterministic SVG; endpoint tables: endpoint_forest."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from kb.analysis.endpoint_table import ENDPOINTS, EndpointTable
from kb.analysis.response_table import ComparisonTable, HazardRatioRow, NotPooled, Pooled, Row
from kb.namespaces import MM
from kb.render.markup import escape
from kb.render.numbers import (
    HAZARD_RATIO_PLACES,
    figure_text,
    hazard_ratio_text,
    interval_text,
    level_text,
    number_text,
    p_value_text,
    percent_range,
    percent_text,
)
from kb.render.svg import coordinate

# Layout, in px. Fixed so that the same table always gives the same bytes.
MARGIN = 10.0
ROW_H = 20.0
HEADER_H = 44.0
AXIS_H = 36.0
FOOT_LINE_H = 14.0
CHAR_W = 6.6  # a conservative average glyph width at the 11 px font

COL_STUDY = 10.0
COL_COHORT = 125.0
COL_XN_END = 400.0
COL_RATE_END = 545.0
PROP_X0 = 565.0
PROP_X1 = 865.0
PROP_TICKS = (0, 25, 50, 75, 100)

HR_GAP = 45.0
HR_LABEL_W = 170.0
HR_AXIS_W = 200.0
HR_TEXT_W = 210.0
HR_MIN, HR_MAX = 0.1, 4.0
HR_TICKS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
HR_MARKER = 8.0

# Square side = SIDE_PER_ROOT_N * sqrt(n), so that area is proportional to n; fixed (not relative to
# the table) so that plots of different tables stay comparable.
SIDE_PER_ROOT_N = 0.8
SIDE_MIN, SIDE_MAX = 3.0, 16.0

INK = "#1f3b73"
GREY = "#888"
FAINT = "#ddd"
FONT_SIZE = 11

HOLLOW_ORIGINS = frozenset({"ambiguous", "inconsistent", "unknown"})
METHOD_NAMES = {"clopper-pearson": "Clopper-Pearson", "wilson": "Wilson", "jeffreys": "Jeffreys"}


def _n(value: float) -> str:
    return coordinate(value, 2)


def _clip(text: str, width_px: float) -> str:
    limit = max(int(width_px / CHAR_W), 2)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text x="{_n(x)}" y="{_n(y)}"{anchor_attr}{extra}>{escape(content)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, extra: str = "") -> str:
    return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}"{extra}/>'


def prop_x(pct: float) -> float:
    """The x coordinate of a percentage on the proportion axis (clamped to 0-100)."""
    return PROP_X0 + (PROP_X1 - PROP_X0) * min(max(pct, 0.0), 100.0) / 100.0


def hr_x(value: float, x0: float) -> float:
    """The x coordinate of a hazard ratio on the log axis starting at x0 (clamped to the axis)."""
    clamped = min(max(value, HR_MIN), HR_MAX)
    span = math.log(HR_MAX) - math.log(HR_MIN)
    return x0 + HR_AXIS_W * (math.log(clamped) - math.log(HR_MIN)) / span


def marker_side(n: int | None) -> float:
    """Side of a row's square: proportional to sqrt(n), clamped; the minimum when n is unknown."""
    if not n or n < 0:
        return SIDE_MIN
    return min(max(SIDE_PER_ROOT_N * math.sqrt(n), SIDE_MIN), SIDE_MAX)


def is_hollow(row: Row) -> bool:
    return row.count_origin in HOLLOW_ORIGINS or "RECONSTRUCTED" in row.caveats


def is_grey(row: Row) -> bool:
    return row.design_id == str(MM.CaseReport) or "CASE_REPORT" in row.caveats


def _rate_text(row: Row) -> str:
    if row.rate_pct is None:
        return "n/a"
    if row.ci_low_pct is None or row.ci_high_pct is None:
        return row.rate_text
    return f"{row.rate_text} ({percent_range(row.ci_low_pct, row.ci_high_pct)})"


def row_sentence(row: Row) -> str:
    """The full sentence for a row: study, cohort, count, rate with CI, flags and sources."""
    # response at a threshold; another proportion (an adverse event, MRD negativity) by what was counted
    if row.threshold:
        answer, counted = f"responded ({row.threshold} or better)", f"responding ({row.threshold} or better)"
    else:
        answer = counted = f"with {row.event}" if row.event else "with the outcome"
    if row.responders is not None and row.n is not None:
        count = f"{row.responders} of {row.n} {answer}"
    elif row.candidates and row.n is not None:
        low, high = min(row.candidates), max(row.candidates)
        span = str(low) if low == high else f"{low}-{high}"
        count = f"{span} of {row.n} {answer}, count not printed"
    elif row.n is not None:
        count = f"number {counted} not stated, of {row.n} patients"
    else:
        count = f"number of patients and number {counted} not stated"
    if row.printed_pct and row.responders is None:
        count += f", printed as {row.printed_pct}%"
    if row.rate_pct is None:
        rate = "no estimate"
    elif row.ci_low_pct is None or row.ci_high_pct is None:
        rate = f"{row.rate_text}% (no CI)"
    else:
        method = METHOD_NAMES.get(row.ci_method, row.ci_method)
        ci = percent_range(row.ci_low_pct, row.ci_high_pct)
        rate = f"{row.rate_text}% (95% CI {ci}, {method})"
    parts = [f"{row.study}: {_cohort(row)}: {count}, {rate}"]
    if row.caveats:
        parts.append("flags: " + ", ".join(row.caveats))
    if row.other_values:
        parts.append("other values: " + ", ".join(row.other_values))
    if row.sources:
        word = "source" if len(row.sources) == 1 else "sources"
        parts.append(f"{word}: " + "; ".join(s.label for s in row.sources))
    return "; ".join(parts)


def pooled_sentence(pooled: Pooled, stratum: str) -> str:
    text = (
        f"{stratum}: pooled (exploratory) over {pooled.k} studies, {percent_text(pooled.rate_pct)}% "
        f"(95% CI {percent_range(pooled.ci_low_pct, pooled.ci_high_pct)}, {pooled.method})"
    )
    if pooled.pi_low_pct is not None and pooled.pi_high_pct is not None:
        text += f"; 95% prediction interval {percent_range(pooled.pi_low_pct, pooled.pi_high_pct)}"
    return text + f"; tau² {number_text(pooled.tau2, 3)}, I² {number_text(pooled.i2_pct, 0)}%"


def hr_sentence(row: HazardRatioRow) -> str:
    """The full sentence for a hazard ratio: estimate, interval with its level, comparator, p, source."""
    hr = row.value
    text = f"{row.label}: hazard ratio {figure_text(hr.estimate, hr.status, HAZARD_RATIO_PLACES)}"
    if hr.interval is not None:
        text += f" ({level_text(hr.interval)} {interval_text(hr.interval, HAZARD_RATIO_PLACES)})"
    parts = [f"{text} vs {hr.comparator}", p_value_text(hr)]
    parts.append(f"source: {hr.source}" if hr.source else "")
    return "; ".join(p for p in parts if p)


def _row_group(row: Row, y: float) -> list[str]:
    mid = y + ROW_H / 2
    base = mid + FONT_SIZE / 2 - 1.5
    colour = GREY if is_grey(row) else INK
    out = [
        '<g class="row">',
        f"<title>{escape(row_sentence(row))}</title>",
        _text(COL_STUDY, base, _clip(row.study, COL_COHORT - COL_STUDY - 6)),
        _text(COL_COHORT, base, _clip(_cohort(row), COL_XN_END - 50 - COL_COHORT)),
        _text(COL_XN_END, base, row.x_over_n, "end"),
        _text(COL_RATE_END, base, _rate_text(row), "end"),
    ]
    if row.rate_pct is None:
        out.append(_text(PROP_X0 + 4, base, "no estimate", extra=f' class="no-estimate" fill="{GREY}"'))
    else:
        if row.ci_low_pct is not None and row.ci_high_pct is not None:
            x1, x2 = prop_x(row.ci_low_pct), prop_x(row.ci_high_pct)
            out.append(_line(x1, mid, x2, mid, colour, ' class="ci" stroke-width="1.5"'))
        side = marker_side(row.n)
        fill = "none" if is_hollow(row) else colour
        out.append(
            f'<rect class="marker" x="{_n(prop_x(row.rate_pct) - side / 2)}" y="{_n(mid - side / 2)}" '
            f'width="{_n(side)}" height="{_n(side)}" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
        )
    out.append("</g>")
    return out


def _pooled_group(pooled: Pooled, stratum: str, y: float) -> list[str]:
    mid = y + ROW_H / 2
    base = mid + FONT_SIZE / 2 - 1.5
    lo, hi, est = prop_x(pooled.ci_low_pct), prop_x(pooled.ci_high_pct), prop_x(pooled.rate_pct)
    points = f"{_n(lo)},{_n(mid)} {_n(est)},{_n(mid - 6)} {_n(hi)},{_n(mid)} {_n(est)},{_n(mid + 6)}"
    rate = f"{percent_text(pooled.rate_pct)} ({percent_range(pooled.ci_low_pct, pooled.ci_high_pct)})"
    return [
        '<g class="pooled">',
        f"<title>{escape(pooled_sentence(pooled, stratum))}</title>",
        _text(COL_STUDY, base, "pooled (exploratory)", extra=' font-style="italic"'),
        _text(COL_XN_END, base, f"k = {pooled.k}", "end"),
        _text(COL_RATE_END, base, rate, "end"),
        f'<polygon class="diamond" points="{points}" fill="{INK}" fill-opacity="0.35" stroke="{INK}"/>',
        "</g>",
    ]


def _hr_group(row: HazardRatioRow, y: float, x_label: float, x_axis: float) -> list[str]:
    mid = y + ROW_H / 2
    base = mid + FONT_SIZE / 2 - 1.5
    hr = row.value
    out = ['<g class="hr-row">', f"<title>{escape(hr_sentence(row))}</title>"]
    out.append(_text(x_label, base, _clip(row.label, HR_LABEL_W - 8)))
    if hr.interval is not None and hr.interval.low is not None and hr.interval.high is not None:
        x1, x2 = hr_x(hr.interval.low, x_axis), hr_x(hr.interval.high, x_axis)
        out.append(_line(x1, mid, x2, mid, INK, ' class="hr-ci" stroke-width="1.5"'))
    if hr.estimate is not None:
        half = HR_MARKER / 2
        cx = hr_x(hr.estimate, x_axis)
        out.append(
            f'<rect class="hr-marker" x="{_n(cx - half)}" y="{_n(mid - half)}" width="{_n(HR_MARKER)}" '
            f'height="{_n(HR_MARKER)}" fill="{INK}" stroke="{INK}"/>'
        )
    out.append(_text(x_axis + HR_AXIS_W + 10, base, _clip(hazard_ratio_text(hr), HR_TEXT_W - 10)))
    out.append("</g>")
    return out


def _body(
    table: ComparisonTable, hazard_ratios: Sequence[HazardRatioRow], hr_x0: float, hr_axis_x: float
) -> tuple[list[str], float]:
    """The rows of every stratum with its pooled estimate, and the HR rows beside them; and where they end."""
    strata: dict[str, list[Row]] = {}
    for row in table.rows:
        strata.setdefault(row.stratum_key, []).append(row)
    pooled = {p.stratum_key: p for p in table.pooling if isinstance(p, Pooled)}
    body: list[str] = []
    y = HEADER_H
    for key, rows in strata.items():
        base = y + ROW_H / 2 + FONT_SIZE / 2 - 1.5
        heading = _text(COL_STUDY, base, rows[0].stratum, extra=' font-weight="bold"')
        body.append(f'<g class="stratum">{heading}</g>')
        y += ROW_H
        for row in rows:
            body.extend(_row_group(row, y))
            y += ROW_H
        if key in pooled:
            body.extend(_pooled_group(pooled[key], rows[0].stratum, y))
            y += ROW_H
    hr_y = HEADER_H
    for hr in hazard_ratios:
        body.extend(_hr_group(hr, hr_y, hr_x0, hr_axis_x))
        hr_y += ROW_H
    return body, max(y, hr_y, HEADER_H + ROW_H)


def _cohort(row: Row) -> str:
    """The cohort as a line names it, with the adverse event where the rows are per event."""
    return f"{row.event}: {row.cohort}" if row.event else row.cohort


def _proportion_label(table: ComparisonTable) -> str | None:
    """The label of the proportion compared when it is not response (MRD negativity, an adverse event)."""
    endpoint = ENDPOINTS.get(table.endpoint)
    return endpoint.label if endpoint is not None and endpoint.name != "response" else None


def _subject(table: ComparisonTable) -> str:
    label = _proportion_label(table)
    return f"{label[0].upper()}{label[1:]}" if label else f"Response ({table.threshold} or better)"


def _axis_title(table: ComparisonTable) -> str:
    return "Proportion, %" if _proportion_label(table) else "Response rate, %"


def _headers_and_axes(
    table: ComparisonTable, with_hr: bool, width: float, hr_x0: float, hr_axis_x: float, body_bottom: float
) -> list[str]:
    """The title, column headers, and the proportion axis (and the HR axis when there is an HR panel)."""
    head_base = HEADER_H - 8
    out: list[str] = [
        _text(
            COL_STUDY,
            16,
            f"{_subject(table)} by {table.grouping}",
            extra=' font-weight="bold" font-size="13"',
        ),
        '<g class="header" font-weight="bold">',
        _text(COL_STUDY, head_base, "Study"),
        _text(COL_COHORT, head_base, "Cohort"),
        _text(COL_XN_END, head_base, "x/n", "end"),
        _text(COL_RATE_END, head_base, "Rate % (95% CI)", "end"),
        _text((PROP_X0 + PROP_X1) / 2, head_base, _axis_title(table), "middle"),
        "</g>",
        _line(MARGIN, HEADER_H, PROP_X1, HEADER_H, FAINT),
    ]
    # The proportion axis: gridlines through the body, ticks and labels below it.
    out.append('<g class="prop-axis">')
    for tick in PROP_TICKS:
        x = prop_x(tick)
        out.append(_line(x, HEADER_H, x, body_bottom, FAINT, ' stroke-dasharray="2,3"'))
        out.append(_line(x, body_bottom, x, body_bottom + 4, "#000"))
        out.append(_text(x, body_bottom + 16, str(tick), "middle"))
    out.append(_line(PROP_X0, body_bottom, PROP_X1, body_bottom, "#000"))
    out.append("</g>")
    if with_hr:
        null_x = hr_x(1.0, hr_axis_x)
        out += [
            '<g class="header" font-weight="bold">',
            _text(hr_x0, head_base, "Hazard ratio"),
            _text(hr_axis_x + HR_AXIS_W / 2, head_base, "HR (log scale)", "middle"),
            _text(hr_axis_x + HR_AXIS_W + 10, head_base, "HR (95% CI) vs comparator"),
            "</g>",
            _line(hr_x0, HEADER_H, width - MARGIN, HEADER_H, FAINT),
            '<g class="hr-axis">',
            _line(null_x, HEADER_H, null_x, body_bottom, "#000", ' class="hr-null"'),
        ]
        for hr_tick in HR_TICKS:
            x = hr_x(hr_tick, hr_axis_x)
            out.append(_line(x, body_bottom, x, body_bottom + 4, "#000"))
            out.append(_text(x, body_bottom + 16, number_text(hr_tick), "middle"))
        out.append(_line(hr_axis_x, body_bottom, hr_axis_x + HR_AXIS_W, body_bottom, "#000"))
        out.append("</g>")
    return out


def _footer(table: ComparisonTable, width: float, body_bottom: float) -> tuple[list[str], float]:
    """Footnotes, reasons for not pooling and the flags fired, wrapped to the width; and where they end."""
    notes = list(table.footnotes())
    labels = {row.stratum_key: row.stratum for row in table.rows}
    for entry in table.pooling:
        if isinstance(entry, NotPooled) and entry.failed:
            reasons = "; ".join(f"{code}: {sentence}" for code, sentence in entry.failed)
            notes.append(f"Not pooled, {labels.get(entry.stratum_key, entry.stratum_key)}: {reasons}")
    fired = table.caveat_codes()
    if fired:
        notes.append("Flags fired: " + ", ".join(fired))
    wrap_at = max(int((width - 2 * MARGIN) / CHAR_W), 20)
    y = body_bottom + AXIS_H + FOOT_LINE_H
    out = ['<g class="footer" font-size="10">']
    for note in notes:
        for line in textwrap.wrap(note, wrap_at) or [""]:
            out.append(_text(MARGIN, y, line))
            y += FOOT_LINE_H
    out.append("</g>")
    return out, y


def forest_svg(table: ComparisonTable | EndpointTable, hazard_ratios: Sequence[HazardRatioRow] = ()) -> str:
    """The forest plot of a comparison table (and an optional HR panel) as an SVG document; of an endpoint
    table, its medians, hazard ratios or landmark rates on their own axis (kb.render.endpoint_forest)."""
    if isinstance(table, EndpointTable):
        from kb.render.endpoint_forest import endpoint_forest_svg

        return endpoint_forest_svg(table)
    hr_x0 = PROP_X1 + HR_GAP
    hr_axis_x = hr_x0 + HR_LABEL_W
    width = hr_axis_x + HR_AXIS_W + HR_TEXT_W if hazard_ratios else PROP_X1 + 25.0
    body, body_bottom = _body(table, hazard_ratios, hr_x0, hr_axis_x)
    out = _headers_and_axes(table, bool(hazard_ratios), width, hr_x0, hr_axis_x, body_bottom)
    out.extend(body)
    footer, y = _footer(table, width, body_bottom)
    out.extend(footer)
    height = y + MARGIN

    subject = _proportion_label(table) or f"response ({table.threshold} or better)"
    title = f"Forest plot: {subject} by {table.grouping}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="{FONT_SIZE}" role="img">'
    )
    return (
        "\n".join(
            [
                head,
                f"<title>{escape(title)}</title>",
                '<rect width="100%" height="100%" fill="#fff"/>',
                *out,
                "</svg>",
            ]
        )
        + "\n"
    )
