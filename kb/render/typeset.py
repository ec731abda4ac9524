"""Comparison tables typeset for reading: Markdown, HTML and LaTeX, with footnote marks and notes; the
stratum grouping, footnote marks and Markdown escaping the endpoint tables (endpoint_typeset) share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from kb.analysis.endpoint_table import ALL_CAVEATS, ENDPOINTS
from kb.analysis.response_table import ComparisonTable, NotPooled, Row
from kb.render.markup import escape
from kb.render.numbers import hazard_ratio_text, median_text, number_text, percent_range, percent_text
from kb.render.records_out import NO_LINKS, Links, source_url

DISPLAY_COLUMNS = (
    "Study",
    "Cohort",
    "Design",
    "Regimen",
    "x/n",
    "Rate % (95% CI)",
    "Median PFS",
    "HR (95% CI)",
    "Flags",
    "Sources",
)


RESPONSE_ONLY = ("Median PFS", "HR (95% CI)")  # the response row's survival figures, of its cohort


def display_columns(table: ComparisonTable) -> tuple[str, ...]:
    """The columns shown: a response table's; another proportion's without the survival figures the
    response table shows beside each rate, and with the adverse event where rows are per event."""
    if table.endpoint == "response":
        return DISPLAY_COLUMNS
    columns = [c for c in DISPLAY_COLUMNS if c not in RESPONSE_ONLY]
    endpoint = ENDPOINTS.get(table.endpoint)
    if endpoint is not None and endpoint.adverse_event:
        columns.insert(columns.index("Cohort") + 1, "Event")
    return tuple(columns)


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # In the default OT1 font encoding these print as other glyphs.
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # Characters of the caveat sentences and pooling lines that pdflatex does not take as text.
    "²": r"\textsuperscript{2}",
    "≥": r"$\geq$",
    "τ": r"$\tau$",
}


class _Stratified(Protocol):
    """A table row as the typesetters group and mark it (a response row, an endpoint row)."""

    @property
    def stratum(self) -> str: ...
    @property
    def stratum_key(self) -> str: ...
    @property
    def caveats(self) -> tuple[str, ...]: ...


R = TypeVar("R", bound=_Stratified)


class _Footnoted(Protocol):
    def caveat_codes(self) -> list[str]: ...
    def footnotes(self) -> list[str]: ...


class _Table(_Footnoted, Protocol):
    """A table as the typesetters write it (a response table, an endpoint table)."""

    @property
    def rows(self) -> Sequence[Any]: ...


def strata(rows: Sequence[R]) -> Iterator[tuple[str, list[R]]]:
    """Consecutive rows of the same stratum, in the order the engine gave them."""
    current: list[R] = []
    for row in rows:
        if current and row.stratum_key != current[0].stratum_key:
            yield current[0].stratum, current
            current = []
        current.append(row)
    if current:
        yield current[0].stratum, current


def footnote_marks(table: _Footnoted) -> dict[str, int]:
    """Footnote number of each fired caveat code, in the order of the footnotes."""
    return {code: i for i, code in enumerate(table.caveat_codes(), start=1)}


def row_marks(row: _Stratified, marks: dict[str, int]) -> list[tuple[int, str]]:
    """(footnote number, code) of a row's caveats, in footnote order."""
    return sorted((marks[c], c) for c in row.caveats if c in marks)


def _rate_text(row: Row) -> str:
    rate = row.rate_text or "?"
    if row.ci_low_pct is None or row.ci_high_pct is None:
        text = "" if row.rate_pct is None else rate
    else:
        text = f"{rate} ({percent_range(row.ci_low_pct, row.ci_high_pct)})"
    if row.other_values:
        text += f"; also {', '.join(row.other_values)}"
    return text


def footnote_lines(
    table: _Footnoted, standing: Callable[[str], str], caveat: Callable[[int, str, str], str]
) -> list[str]:
    """The standing footnote, then a note per caveat that fires (its number, code and sentence), in
    footnote order, each as the format writes it."""
    marks = footnote_marks(table)
    return [standing(table.footnotes()[0])] + [
        caveat(n, code, ALL_CAVEATS[code]) for code, n in marks.items()
    ]


def _cells(row: Row, columns: Sequence[str]) -> list[str]:
    """The display cells of `columns` before Flags and Sources (which each format writes itself)."""
    cells = {
        "Study": row.study,
        "Cohort": row.cohort,
        "Event": row.event,
        "Design": row.design,
        "Regimen": row.regimen,
        "x/n": row.x_over_n,
        "Rate % (95% CI)": _rate_text(row),
        "Median PFS": median_text(row.median_pfs),
        "HR (95% CI)": hazard_ratio_text(row.hazard_ratio),
    }
    return [cells[c] for c in columns if c in cells]


def stratum_names(table: ComparisonTable) -> dict[str, str]:
    return {row.stratum_key: row.stratum for row in table.rows}


def _pooling_lines(table: ComparisonTable) -> list[tuple[str, str, list[str]]]:
    """(stratum, plain-text summary, failed conditions as "CODE: sentence") per pooling entry;
    empty when pooling was not requested."""
    if not table.pool_requested:
        return []
    names = stratum_names(table)
    lines = []
    for entry in table.pooling:
        name = names.get(entry.stratum_key, entry.stratum_key)
        if isinstance(entry, NotPooled):
            lines.append((name, "not pooled", [f"{code}: {sentence}" for code, sentence in entry.failed]))
            continue
        text = (
            f"exploratory pooled rate {percent_text(entry.rate_pct)}% "
            f"(95% CI {percent_range(entry.ci_low_pct, entry.ci_high_pct)})"
        )
        if entry.pi_low_pct is not None and entry.pi_high_pct is not None:
            text += f", prediction interval {percent_range(entry.pi_low_pct, entry.pi_high_pct)}"
        text += (
            f"; τ² = {number_text(entry.tau2, 3)}, I² = {percent_text(entry.i2_pct)}%; k = {entry.k}; "
            f"{entry.method}"
        )
        lines.append((name, text, []))
    return lines


def md_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_link(label: str, url: str) -> str:
    """A Markdown link (its destination in <...>, so a DOI's parentheses stay in it) for a table cell."""
    label = md_text(label).replace("[", "\\[").replace("]", "\\]")
    return f"[{label}](<{url.replace('|', '%7C').replace('<', '%3C').replace('>', '%3E')}>)"


def markdown_tables(
    table: _Table, columns: Sequence[str], cells: Callable[[Any], list[str]], links: Links = NO_LINKS
) -> list[str]:
    """A pipe table per stratum (the row's `cells`, then its flags and sources, each a link to its
    publication), then the footnotes."""
    marks = footnote_marks(table)
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    lines: list[str] = []
    for stratum, rows in strata(table.rows):
        lines += [f"**{md_text(stratum)}**", "", header, rule]
        for row in rows:
            flags = " ".join(str(number).translate(SUPERSCRIPT) for number, _ in row_marks(row, marks))
            sources = "; ".join(md_link(s.label, source_url(s, links)) for s in row.sources)
            lines.append("| " + " | ".join([*(md_text(c) for c in [*cells(row), flags]), sources]) + " |")
        lines.append("")
    lines += footnote_lines(
        table,
        lambda note: md_text(note) + "\n",
        lambda number, code, sentence: f"{str(number).translate(SUPERSCRIPT)} {code}: {md_text(sentence)}\n",
    )
    return lines


def to_markdown(table: ComparisonTable, links: Links = NO_LINKS) -> str:
    """A pipe table per stratum, then the footnotes and, when requested, the pooling section."""
    columns = display_columns(table)
    lines = markdown_tables(table, columns, lambda row: _cells(row, columns), links)
    pooling = _pooling_lines(table)
    if pooling:
        lines += ["**Pooling (exploratory)**", ""]
        for name, text, reasons in pooling:
            lines.append(f"- {md_text(name)}: {md_text(text)}")
            lines += [f"  - {md_text(reason)}" for reason in reasons]
    return "\n".join(lines).rstrip() + "\n"


def _h(text: object) -> str:
    return escape(str(text))


def html_table(
    table: _Table,
    columns: Sequence[str],
    cells: Callable[[Any], list[str]],
    figure: tuple[int, str],
    attributes: str = "",
    links: Links = NO_LINKS,
) -> list[str]:
    """A <table> with a tbody per stratum (the row's `cells`, its flags and sources, each a link to its
    publication; the cell at figure[0] gets class figure[1] and the claim it shows) and the footnotes
    opening the tfoot, left open for the caller to close."""
    marks = footnote_marks(table)
    width = len(columns)
    out = [f'<table class="mmkb-comparison"{attributes}>', "<thead>", "<tr>"]
    out += [f'<th scope="col">{_h(c)}</th>' for c in columns]
    out += ["</tr>", "</thead>"]
    index, kind = figure
    for stratum, rows in strata(table.rows):
        out.append("<tbody>")
        out.append(f'<tr class="stratum"><th colspan="{width}" scope="colgroup">{_h(stratum)}</th></tr>')
        for row in rows:
            claims = ";".join(s.claim for s in row.sources)
            out.append(f'<tr data-cohort="{_h(row.cohort_id)}" data-claims="{_h(claims)}">')
            for i, cell in enumerate(cells(row)):
                if i == index and row.sources:
                    out.append(f'<td class="{kind}" data-claim="{_h(row.sources[0].claim)}">{_h(cell)}</td>')
                else:
                    out.append(f"<td>{_h(cell)}</td>")
            flags = "".join(f'<sup title="{_h(c)}">{number}</sup>' for number, c in row_marks(row, marks))
            out.append(f"<td>{flags}</td>")
            sources = "; ".join(
                f'<span data-claim="{_h(s.claim)}" data-publication="{_h(s.publication)}">'
                f'<a href="{_h(source_url(s, links))}">{_h(s.label)}</a></span>'
                for s in row.sources
            )
            out += [f"<td>{sources}</td>", "</tr>"]
        out.append("</tbody>")
    out.append("<tfoot>")
    out += footnote_lines(
        table,
        lambda note: f'<tr><td colspan="{width}">{_h(note)}</td></tr>',
        lambda number, code, sentence: (
            f'<tr><td colspan="{width}" id="caveat-{_h(code)}"><sup>{number}</sup> '
            f"{_h(code)}: {_h(sentence)}</td></tr>"
        ),
    )
    return out


def to_html(table: ComparisonTable, links: Links = NO_LINKS) -> str:
    """A self-contained <table> fragment: one tbody per stratum, footnotes and pooling in the tfoot."""
    columns = display_columns(table)
    width = len(columns)
    figure = (columns.index("Rate % (95% CI)"), "rate")
    out = html_table(table, columns, lambda row: _cells(row, columns), figure, links=links)
    for name, text, reasons in _pooling_lines(table):
        items = "".join(f"<li>{_h(reason)}</li>" for reason in reasons)
        listing = f"<ul>{items}</ul>" if items else ""
        out.append(f'<tr class="pooling"><td colspan="{width}">{_h(name)}: {_h(text)}{listing}</td></tr>')
    out += ["</tfoot>", "</table>"]
    return "\n".join(out) + "\n"


def latex_escape(text: str) -> str:
    """Text with LaTeX's special characters escaped (one pass, so escapes are not escaped again)."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def latex_tabular(
    table: _Table, columns: Sequence[str], cells: Callable[[Any], list[str]], links: Links = NO_LINKS
) -> list[str]:
    """A booktabs tabular grouped by stratum (the row's `cells`, its flags and sources, each with its
    publication's link as text: the tabular has no preamble to load hyperref), footnotes after it in
    \\footnotesize."""
    marks = footnote_marks(table)
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
            line = [latex_escape(c) for c in cells(row)]
            line.append(rf"\textsuperscript{{{flags}}}" if flags else "")
            line.append(latex_escape("; ".join(f"{s.label} ({source_url(s, links)})" for s in row.sources)))
            out.append(" & ".join(line) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", ""]
    out += footnote_lines(
        table,
        lambda note: rf"{{\footnotesize {latex_escape(note)}\par}}",
        lambda number, code, sentence: (
            rf"{{\footnotesize \textsuperscript{{{number}}} {latex_escape(code)}: "
            rf"{latex_escape(sentence)}\par}}"
        ),
    )
    return out


def to_latex(table: ComparisonTable, links: Links = NO_LINKS) -> str:
    """A booktabs tabular grouped by stratum, footnotes after it in \\footnotesize, then the pooling."""
    columns = display_columns(table)
    out = latex_tabular(table, columns, lambda row: _cells(row, columns), links)
    for name, text, reasons in _pooling_lines(table):
        out.append(rf"{{\footnotesize {latex_escape(name)}: {latex_escape(text)}\par}}")
        out += [rf"{{\footnotesize\quad {latex_escape(reason)}\par}}" for reason in reasons]
    return "\n".join(out) + "\n"
