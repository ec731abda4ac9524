"""Forest plots of a comparison table as hand-written, deterministic SVG (endpoint tables: endpoint_forest),
laid out as R's meta::forest and forestploter: full labels wrapped (never cut), x/n, the rate with its
interval and caveat marks, the proportion panel with stratum headings and pooled diamonds (prediction
interval dashed), the hazard-ratio panel below (each line naming comparator and data cut), a legend, the
footnotes. 970 px wide, smallest text 11 px: at least 10 px when shown 880 px wide or more."""

from __future__ import annotations

import math
from collections.abc import Sequence

from kb.analysis.endpoint_table import ENDPOINTS, EndpointTable
from kb.analysis.response_table import ComparisonTable, HazardRatioRow, NotPooled, Pooled, Row
from kb.namespaces import MM
from kb.render.forest_text import (
    METHOD_NAMES,
    caveat_marks,
    cohort_labels,
    hr_sentence,
    hr_value_text,
    numbered,
    pooled_sentence,
    rate_cell,
    row_sentence,
)
from kb.render.markup import escape
from kb.render.numbers import number_text, percent_range, percent_text
from kb.render.svg import (
    FONT_SIZE,
    LINE_H,
    ROW_PAD,
    block_height,
    centre_base,
    coordinate,
    diamond_points,
    line_element,
    line_texts,
    square,
    svg_document,
    text_element,
    wrap,
)
from kb.render.typeset import footnote_marks

__all__ = ["HazardRatioRow", "forest_svg", "hr_sentence", "pooled_sentence", "row_sentence"]
# the rows' words (their <title> sentences and labels) are kb.render.forest_text's

# Layout, in px. Fixed so that the same table always gives the same bytes.
MARGIN = 10.0
SMALL_SIZE = 11  # footnotes and sources
TITLE_SIZE = 14
ROW_H = LINE_H + ROW_PAD  # a row of one line
HEADER_H = 48.0
AXIS_H = 40.0
FOOT_LINE_H = 14.0

COL_STUDY = 10.0
STUDY_W = 190.0
COL_COHORT = 210.0
COHORT_W = 220.0
COL_XN_END = 535.0
COL_RATE_END = 675.0
PROP_X0 = 695.0
PROP_X1 = 945.0
WIDTH = PROP_X1 + 25.0
PROP_TICKS = (0, 25, 50, 75, 100)

HR_LABEL_W = COL_COHORT + COHORT_W - COL_STUDY  # the HR panel's labels span the study and cohort columns
HR_AXIS_W = PROP_X1 - PROP_X0
HR_MIN, HR_MAX = 0.1, 4.0
HR_TICKS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
HR_MARKER = 8.0
PANEL_GAP = 16.0

# Square side = SIDE_PER_ROOT_N * sqrt(n), so that area is proportional to n; fixed (not relative to
# the table) so that plots of different tables stay comparable.
SIDE_PER_ROOT_N = 0.8
SIDE_MIN, SIDE_MAX = 3.0, 16.0
LEGEND_N = (10, 100)  # the sizes the legend shows

INK = "#1f3b73"
GREY = "#888"
FAINT = "#ddd"

HOLLOW_ORIGINS = frozenset({"ambiguous", "inconsistent", "unknown"})

# The shared element writers under their short names.
_text = text_element
_line = line_element


def _n(value: float) -> str:
    return coordinate(value, 2)


def prop_x(pct: float) -> float:
    """The x coordinate of a percentage on the proportion axis (clamped to 0-100)."""
    return PROP_X0 + (PROP_X1 - PROP_X0) * min(max(pct, 0.0), 100.0) / 100.0


def hr_x(value: float, x0: float = PROP_X0) -> float:
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


def _row_group(row: Row, cohort: str, y: float, marks: dict[str, int]) -> tuple[list[str], float]:
    """A row's group (its <title> the full sentence; its caveats' footnote numbers after the rate) and its
    height."""
    study_lines = wrap(row.study, STUDY_W, FONT_SIZE)
    cohort_lines = wrap(cohort, COHORT_W, FONT_SIZE)
    height = block_height(max(len(study_lines), len(cohort_lines)))
    mid, base = y + height / 2, centre_base(y, height)
    colour = GREY if is_grey(row) else INK
    out = [
        '<g class="row">',
        f"<title>{escape(row_sentence(row, cohort))}</title>",
        *line_texts(COL_STUDY, y, study_lines, extra=' class="study"'),
        *line_texts(COL_COHORT, y, cohort_lines, extra=' class="cohort"'),
        _text(COL_XN_END, base, row.x_over_n, "end"),
        _text(COL_RATE_END, base, rate_cell(row) + caveat_marks(row, marks), "end"),
    ]
    if row.rate_pct is None:
        out.append(_text(PROP_X0 + 4, base, "no estimate", extra=f' class="no-estimate" fill="{GREY}"'))
    else:
        if row.ci_low_pct is not None and row.ci_high_pct is not None:
            x1, x2 = prop_x(row.ci_low_pct), prop_x(row.ci_high_pct)
            out.append(_line(x1, mid, x2, mid, colour, ' class="ci" stroke-width="1.5"'))
        fill = "none" if is_hollow(row) else colour
        out.append(square(prop_x(row.rate_pct), mid, marker_side(row.n), fill, colour))
    out.append("</g>")
    return out, height


def _pooled_group(pooled: Pooled, stratum: str, y: float) -> list[str]:
    mid, base = y + ROW_H / 2, centre_base(y, ROW_H)
    lo, hi, est = prop_x(pooled.ci_low_pct), prop_x(pooled.ci_high_pct), prop_x(pooled.rate_pct)
    points = diamond_points(lo, est, hi, mid, 6)
    rate = f"{percent_text(pooled.rate_pct)} ({percent_range(pooled.ci_low_pct, pooled.ci_high_pct)})"
    prediction = []  # the prediction interval as a dashed line through the diamond, as meta::forest draws it
    if pooled.pi_low_pct is not None and pooled.pi_high_pct is not None:
        x1, x2 = prop_x(pooled.pi_low_pct), prop_x(pooled.pi_high_pct)
        prediction.append(_line(x1, mid, x2, mid, INK, ' class="prediction" stroke-dasharray="4 3"'))
    return [
        '<g class="pooled">',
        f"<title>{escape(pooled_sentence(pooled, stratum))}</title>",
        *prediction,
        _text(COL_STUDY, base, "pooled (exploratory)", extra=' font-style="italic"'),
        _text(COL_XN_END, base, f"k = {pooled.k}", "end"),
        _text(COL_RATE_END, base, rate, "end"),
        f'<polygon class="diamond" points="{points}" fill="{INK}" fill-opacity="0.35" stroke="{INK}"/>',
        "</g>",
    ]


def _proportion_rows(table: ComparisonTable) -> tuple[list[str], float]:
    """The rows of every stratum under its heading, with its pooled estimate; and where they end."""
    marks = footnote_marks(table)
    strata: dict[str, list[tuple[Row, str]]] = {}
    for row, cohort in zip(table.rows, cohort_labels(table.rows), strict=True):
        strata.setdefault(row.stratum_key, []).append((row, cohort))
    pooled = {p.stratum_key: p for p in table.pooling if isinstance(p, Pooled)}
    body: list[str] = []
    y = HEADER_H
    for key, rows in strata.items():
        stratum = rows[0][0].stratum
        lines = wrap(stratum, PROP_X0 - COL_STUDY - 10, FONT_SIZE)
        heading = line_texts(COL_STUDY, y, lines, extra=' font-weight="bold"')
        body.append(f'<g class="stratum">{"".join(heading)}</g>')
        y += block_height(len(lines))
        for row, cohort in rows:
            group, height = _row_group(row, cohort, y, marks)
            body.extend(group)
            y += height
        if key in pooled:
            body.extend(_pooled_group(pooled[key], stratum, y))
            y += ROW_H
    return body, max(y, HEADER_H + ROW_H)


def _hr_group(row: HazardRatioRow, y: float) -> tuple[list[str], float]:
    """A hazard ratio's line: the arm, endpoint and data cut, its comparator and source, each wrapped whole;
    the estimate and interval as text and on the log axis."""
    hr = row.value
    label = wrap(row.label, HR_LABEL_W, FONT_SIZE)
    versus = wrap(f"vs {hr.comparator}", HR_LABEL_W, FONT_SIZE)
    source = wrap(f"source: {hr.source}", HR_LABEL_W, FONT_SIZE) if hr.source else []
    height = block_height(len(label) + len(versus) + len(source))
    mid, base = y + height / 2, centre_base(y, height)
    out = [
        '<g class="hr-row">',
        f"<title>{escape(hr_sentence(row))}</title>",
        *line_texts(COL_STUDY, y, label, extra=' class="hr-label"'),
        *line_texts(COL_STUDY, y + len(label) * LINE_H, versus, extra=' class="hr-comparator"'),
        _text(COL_RATE_END, base, hr_value_text(row), "end", ' class="hr-value"'),
        *line_texts(
            COL_STUDY,
            y + (len(label) + len(versus)) * LINE_H,
            source,
            extra=f' class="hr-source" fill="{GREY}" font-size="{SMALL_SIZE}"',
        ),
    ]
    if hr.interval is not None and hr.interval.low is not None and hr.interval.high is not None:
        x1, x2 = hr_x(hr.interval.low), hr_x(hr.interval.high)
        out.append(_line(x1, mid, x2, mid, INK, ' class="hr-ci" stroke-width="1.5"'))
    if hr.estimate is not None:
        out.append(square(hr_x(hr.estimate), mid, HR_MARKER, INK, INK, "hr-marker"))
    out.append("</g>")
    return out, height


def _hr_panel(hazard_ratios: Sequence[HazardRatioRow], top: float) -> tuple[list[str], float]:
    """The hazard-ratio panel below the proportions: its header, one line per hazard ratio, the log axis
    with the line of no effect at 1; and where it ends."""
    head_base = top + 20
    rows_top = top + 28
    out = [
        '<g class="header" font-weight="bold">',
        _text(COL_STUDY, head_base, "Hazard ratio: arm vs comparator, by data cut"),
        _text(COL_RATE_END, head_base, "HR (CI)", "end"),
        _text((PROP_X0 + PROP_X1) / 2, head_base, "HR (log scale)", "middle"),
        "</g>",
        _line(MARGIN, rows_top, PROP_X1, rows_top, FAINT),
    ]
    y = rows_top
    for hr in hazard_ratios:
        group, height = _hr_group(hr, y)
        out.extend(group)
        y += height
    null_x = hr_x(1.0)
    out += ['<g class="hr-axis">', _line(null_x, rows_top, null_x, y, "#000", ' class="hr-null"')]
    for tick in HR_TICKS:
        x = hr_x(tick)
        out.append(_line(x, y, x, y + 4, "#000"))
        out.append(_text(x, y + 17, number_text(tick), "middle"))
    out.append(_line(PROP_X0, y, PROP_X1, y, "#000"))
    out.append(_text(null_x - 6, y + 32, "← lower hazard in the arm", "end"))
    out.append(_text(null_x + 6, y + 32, "higher hazard →"))
    out.append("</g>")
    return out, y + AXIS_H


def _proportion_label(table: ComparisonTable) -> str | None:
    """The label of the proportion compared when it is not response (MRD negativity, an adverse event)."""
    endpoint = ENDPOINTS.get(table.endpoint)
    return endpoint.label if endpoint is not None and endpoint.name != "response" else None


def _subject(table: ComparisonTable) -> str:
    label = _proportion_label(table)
    return f"{label[0].upper()}{label[1:]}" if label else f"Response ({table.threshold} or better)"


def _axis_title(table: ComparisonTable) -> str:
    return "Proportion, %" if _proportion_label(table) else "Response rate, %"


def _headers_and_axis(table: ComparisonTable, body_bottom: float) -> list[str]:
    """The title, the column headers, and the proportion axis with its gridlines."""
    head_base = HEADER_H - 8
    out: list[str] = [
        _text(
            COL_STUDY,
            18,
            f"{_subject(table)} by {table.grouping}",
            extra=f' font-weight="bold" font-size="{TITLE_SIZE}"',
        ),
        '<g class="header" font-weight="bold">',
        _text(COL_STUDY, head_base, "Study"),
        _text(COL_COHORT, head_base, "Cohort"),
        _text(COL_XN_END, head_base, "x/n", "end"),
        _text(COL_RATE_END, head_base, "Rate % (95% CI)", "end"),
        _text((PROP_X0 + PROP_X1) / 2, head_base, _axis_title(table), "middle"),
        "</g>",
        _line(MARGIN, HEADER_H, PROP_X1, HEADER_H, FAINT),
        '<g class="prop-axis">',
    ]
    for tick in PROP_TICKS:
        x = prop_x(tick)
        out.append(_line(x, HEADER_H, x, body_bottom, FAINT, ' stroke-dasharray="2,3"'))
        out.append(_line(x, body_bottom, x, body_bottom + 4, "#000"))
        out.append(_text(x, body_bottom + 17, str(tick), "middle"))
    out.append(_line(PROP_X0, body_bottom, PROP_X1, body_bottom, "#000"))
    out.append("</g>")
    return out


def _legend(table: ComparisonTable, with_hr: bool, top: float) -> tuple[list[str], float]:
    """What the marks mean: the square's size (area proportional to n, two sizes shown), its line, hollow
    and grey squares, the pooled diamond and the hazard-ratio mark, each where the plot draws it."""
    method = METHOD_NAMES.get(table.ci_method, table.ci_method)
    x_mark, x_text, step = 30.0, 70.0, 20.0
    out = ['<g class="legend">', _text(COL_STUDY, top + 14, "Legend", extra=' font-weight="bold"')]
    y = top + 20
    small, large = (marker_side(n) for n in LEGEND_N)
    entries: list[tuple[str, str]] = [
        (
            square(x_mark - 8, y + step / 2, small, INK, INK, "marker-key")
            + square(x_mark + 10, y + step / 2, large, INK, INK, "marker-key"),
            f"square: the rate; its area is proportional to n, the patients in the cohort "
            f"(shown: n = {LEGEND_N[0]} and n = {LEGEND_N[1]})",
        ),
        (
            _line(x_mark - 18, y + step * 1.5, x_mark + 18, y + step * 1.5, INK, ' stroke-width="1.5"'),
            f"line: the 95% confidence interval ({method})",
        ),
    ]
    if any(is_hollow(row) for row in table.rows):
        entries.append(
            (
                square(x_mark, y + step * (len(entries) + 0.5), 8.0, "none", INK, "marker-key"),
                "hollow square: the count is not printed (reconstructed, ambiguous or unknown)",
            )
        )
    if any(is_grey(row) for row in table.rows):
        entries.append(
            (
                square(x_mark, y + step * (len(entries) + 0.5), 8.0, GREY, GREY, "marker-key"),
                "grey: a case report (individual patients, no denominator of a defined population)",
            )
        )
    if any(isinstance(p, Pooled) for p in table.pooling):
        mid = y + step * (len(entries) + 0.5)
        points = diamond_points(x_mark - 18, x_mark, x_mark + 18, mid, 6)
        entries.append(
            (
                f'<polygon points="{points}" fill="{INK}" fill-opacity="0.35" stroke="{INK}"/>',
                "diamond: the pooled estimate (exploratory), spanning its 95% confidence interval",
            )
        )
    if with_hr:
        mid = y + step * (len(entries) + 0.5)
        entries.append(
            (
                _line(x_mark - 18, mid, x_mark + 18, mid, INK, ' stroke-width="1.5"')
                + square(x_mark, mid, HR_MARKER, INK, INK, "hr-marker-key"),
                "hazard ratio (one size for all) with its interval; the vertical line is no difference (1)",
            )
        )
    for i, (mark, meaning) in enumerate(entries):
        mid = y + step * (i + 0.5)
        out.append(f'<g class="legend-entry">{mark}{_text(x_text, mid + FONT_SIZE / 2 - 1.5, meaning)}</g>')
    out.append("</g>")
    return out, y + step * len(entries)


def _footer(table: ComparisonTable, top: float) -> tuple[list[str], float]:
    """Footnotes, reasons for not pooling and the flags fired, wrapped to the width; and where they end."""
    notes = numbered(table.footnotes())  # each caveat numbered as the rows mark it
    labels = {row.stratum_key: row.stratum for row in table.rows}
    for entry in table.pooling:
        if isinstance(entry, NotPooled) and entry.failed:
            reasons = "; ".join(f"{code}: {sentence}" for code, sentence in entry.failed)
            notes.append(f"Not pooled, {labels.get(entry.stratum_key, entry.stratum_key)}: {reasons}")
    y = top + FOOT_LINE_H
    out = [f'<g class="footer" font-size="{SMALL_SIZE}">']
    for note in notes:
        for line in wrap(note, WIDTH - 2 * MARGIN, SMALL_SIZE):
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
    body, body_bottom = _proportion_rows(table)
    out = _headers_and_axis(table, body_bottom)
    out.extend(body)
    y = body_bottom + AXIS_H
    if hazard_ratios:
        panel, y = _hr_panel(hazard_ratios, y + PANEL_GAP)
        out.extend(panel)
    legend, y = _legend(table, bool(hazard_ratios), y)
    out.extend(legend)
    footer, y = _footer(table, y + 4)
    out.extend(footer)
    subject = _proportion_label(table) or f"response ({table.threshold} or better)"
    return svg_document(f"Forest plot: {subject} by {table.grouping}", WIDTH, y + MARGIN, out)
