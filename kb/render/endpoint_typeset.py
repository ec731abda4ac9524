"""Endpoint tables typeset for reading: Markdown, HTML and LaTeX, with the figure (and the figures other
sources give beside it), the data cut and follow-up in every row, footnote marks and notes."""

from __future__ import annotations

from kb.analysis.endpoint_table import HAZARD_RATIO, LANDMARK, MEDIAN, EndpointRow, EndpointTable
from kb.render.markup import escape
from kb.render.numbers import MEDIAN_PLACES, endpoint_figure_text, number_text
from kb.render.records_out import NO_LINKS, Links
from kb.render.typeset import html_table, latex_tabular, markdown_tables, md_text

# The heading of the figure's column, by the endpoint's kind.
FIGURE_HEADINGS = {
    MEDIAN: "Median (CI)",
    HAZARD_RATIO: "HR (CI) vs comparator",
    LANDMARK: "Rate (CI) at landmark",
}
STATUS_NOT_STATED = "not stated"
FOLLOW_UP_NOT_REPORTED = "not reported"


FIGURE_COLUMN = 4  # the figure's place among the display columns


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


def _title(table: EndpointTable) -> str:
    return table.endpoint.label[0].upper() + table.endpoint.label[1:]


def to_markdown(table: EndpointTable, links: Links = NO_LINKS) -> str:
    """The endpoint's name, a pipe table per stratum, then the footnotes."""
    tables = markdown_tables(table, display_columns(table), _cells, links)
    lines = [f"**{md_text(_title(table))}**", "", *tables]
    return "\n".join(lines).rstrip() + "\n"


def to_html(table: EndpointTable, links: Links = NO_LINKS) -> str:
    """A self-contained <table> fragment: one tbody per stratum, footnotes in the tfoot."""
    attributes = f' data-endpoint="{escape(table.endpoint.name)}"'
    out = html_table(table, display_columns(table), _cells, (FIGURE_COLUMN, "figure"), attributes, links)
    return "\n".join([*out, "</tfoot>", "</table>"]) + "\n"


def to_latex(table: EndpointTable, links: Links = NO_LINKS) -> str:
    """A booktabs tabular grouped by stratum, footnotes after it in \\footnotesize."""
    return "\n".join(latex_tabular(table, display_columns(table), _cells, links)) + "\n"
