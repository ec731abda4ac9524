"""Endpoint tables typeset for reading: Markdown, HTML and LaTeX, with the figure (and the figures other
sources give beside it), the data cut and follow-up in every row, footnote marks and notes."""

from __future__ import annotations

from kb.analysis.endpoint_table import HAZARD_RATIO, LANDMARK, MEDIAN, EndpointRow, EndpointTable
from kb.render.markup import escape
from kb.render.numbers import MEDIAN_PLACES, endpoint_figure_text, number_text
from kb.render.typeset import (
    SUPERSCRIPT,
    footnote_lines,
    footnote_marks,
    latex_escape,
    md_text,
    row_marks,
    strata,
)

# The heading of the figure's column, by the endpoint's kind.
FIGURE_HEADINGS = {
    MEDIAN: "Median (CI)",
    HAZARD_RATIO: "HR (CI) vs comparator",
    LANDMARK: "Rate (CI) at landmark",
}
STATUS_NOT_STATED = "not stated"
FOLLOW_UP_NOT_REPORTED = "not reported"


def display_columns(table: EndpointTable) -> tuple[str, ...]:
    heading = FIGURE_HEADINGS[table.endpoint.kind]
    return ("Study", "Cohort", "Design", "Regimen", heading, "Data cut", "Follow-up", "Flags", "Sources")


def data_cut_text(row: EndpointRow) -> str:
    if row.data_cut_label:
        return row.data_cut_label
    return f"data cut {row.data_cut}" if row.data_cut is not None else STATUS_NOT_STATED


def follow_up_text(row: EndpointRow) -> str:
    if row.follow_up_months is None:
        return FOLLOW_UP_NOT_REPORTED
    return f"{number_text(row.follow_up_months, MEDIAN_PLACES)} mo"


def figure_cell(row: EndpointRow) -> str:
    """The figure, and beside it the differing figures other sources give for the same cut."""
    text = endpoint_figure_text(row.figure)
    return text + (f"; also {', '.join(row.other_values)}" if row.other_values else "")


def _cells(row: EndpointRow) -> list[str]:
    """The display cells before Flags and Sources."""
    return [
        row.study,
        row.cohort,
        row.design,
        row.regimen,
        figure_cell(row),
        data_cut_text(row),
        follow_up_text(row),
    ]


def to_markdown(table: EndpointTable) -> str:
    """A pipe table per stratum, then the footnotes."""
    marks = footnote_marks(table)
    columns = display_columns(table)
    lines: list[str] = [f"**{md_text(table.endpoint.label[0].upper() + table.endpoint.label[1:])}**", ""]
    for stratum, rows in strata(table.rows):
        lines += [f"**{md_text(stratum)}**", "", "| " + " | ".join(columns) + " |"]
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        for row in rows:
            flags = " ".join(str(number).translate(SUPERSCRIPT) for number, _ in row_marks(row, marks))
            cells = [*_cells(row), flags, "; ".join(s.label for s in row.sources)]
            lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
        lines.append("")
    lines += footnote_lines(
        table,
        lambda note: md_text(note) + "\n",
        lambda number, code, sentence: f"{str(number).translate(SUPERSCRIPT)} {code}: {md_text(sentence)}\n",
    )
    return "\n".join(lines).rstrip() + "\n"


def _html_row(row: EndpointRow, marks: dict[str, int]) -> list[str]:
    claims = ";".join(s.claim for s in row.sources)
    out = [f'<tr data-cohort="{escape(row.cohort_id)}" data-claims="{escape(claims)}">']
    for i, cell in enumerate(_cells(row)):
        if i == 4 and row.sources:
            out.append(f'<td class="figure" data-claim="{escape(row.sources[0].claim)}">{escape(cell)}</td>')
        else:
            out.append(f"<td>{escape(cell)}</td>")
    flags = "".join(f'<sup title="{escape(c)}">{number}</sup>' for number, c in row_marks(row, marks))
    out.append(f"<td>{flags}</td>")
    sources = "; ".join(
        f'<span data-claim="{escape(s.claim)}" data-publication="{escape(s.publication)}">'
        f"{escape(s.label)}</span>"
        for s in row.sources
    )
    out += [f"<td>{sources}</td>", "</tr>"]
    return out


def to_html(table: EndpointTable) -> str:
    """A self-contained <table> fragment: one tbody per stratum, footnotes in the tfoot."""
    marks = footnote_marks(table)
    columns = display_columns(table)
    width = len(columns)
    out = [
        f'<table class="mmkb-comparison" data-endpoint="{escape(table.endpoint.name)}">',
        "<thead>",
        "<tr>",
    ]
    out += [f'<th scope="col">{escape(c)}</th>' for c in columns]
    out += ["</tr>", "</thead>"]
    for stratum, rows in strata(table.rows):
        out.append("<tbody>")
        out.append(f'<tr class="stratum"><th colspan="{width}" scope="colgroup">{escape(stratum)}</th></tr>')
        for row in rows:
            out += _html_row(row, marks)
        out.append("</tbody>")
    out.append("<tfoot>")
    out += footnote_lines(
        table,
        lambda note: f'<tr><td colspan="{width}">{escape(note)}</td></tr>',
        lambda number, code, sentence: (
            f'<tr><td colspan="{width}" id="caveat-{escape(code)}"><sup>{number}</sup> '
            f"{escape(code)}: {escape(sentence)}</td></tr>"
        ),
    )
    out += ["</tfoot>", "</table>"]
    return "\n".join(out) + "\n"


def to_latex(table: EndpointTable) -> str:
    """A booktabs tabular grouped by stratum, footnotes after it in \\footnotesize."""
    marks = footnote_marks(table)
    columns = display_columns(table)
    width = len(columns)
    out = [
        r"\begin{tabular}{" + "l" * width + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in columns) + r" \\",
    ]
    for stratum, rows in strata(table.rows):
        out.append(r"\midrule")
        out.append(rf"\multicolumn{{{width}}}{{l}}{{\textbf{{{latex_escape(stratum)}}}}} \\")
        for row in rows:
            flags = ",".join(str(number) for number, _ in row_marks(row, marks))
            cells = [latex_escape(c) for c in _cells(row)]
            cells.append(rf"\textsuperscript{{{flags}}}" if flags else "")
            cells.append(latex_escape("; ".join(s.label for s in row.sources)))
            out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", ""]
    out += footnote_lines(
        table,
        lambda note: rf"{{\footnotesize {latex_escape(note)}\par}}",
        lambda number, code, sentence: (
            rf"{{\footnotesize \textsuperscript{{{number}}} {latex_escape(code)}: "
            rf"{latex_escape(sentence)}\par}}"
        ),
    )
    return "\n".join(out) + "\n"
