"""Writers of a comparison table: CSV, TSV, Markdown, HTML, LaTeX, JSON and a pandas DataFrame."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from kb.comparison import CAVEATS, ComparisonTable, NotPooled, Row

if TYPE_CHECKING:
    import pandas as pd

# Scripts read these columns by name: the first fifteen are a fixed contract, the extras follow.
CORE_COLUMNS = (
    "stratum",
    "study",
    "cohort",
    "design",
    "regimen",
    "n",
    "responders",
    "rate_pct",
    "ci_low_pct",
    "ci_high_pct",
    "ci_method",
    "count_origin",
    "threshold",
    "caveats",
    "sources",
)
EXTRA_COLUMNS = (
    "x_over_n",
    "candidates",
    "printed_pct",
    "data_cut",
    "median_pfs",
    "hazard_ratio",
    "evidence_rank",
    "study_id",
    "cohort_id",
    "other_values",
    "conflicts",
    "claims",
)
CSV_COLUMNS: tuple[str, ...] = CORE_COLUMNS + EXTRA_COLUMNS

PERCENT_COLUMNS = frozenset({"rate_pct", "ci_low_pct", "ci_high_pct"})
# Candidate counts use "|" so that a cell of alternatives reads apart from a ";" list of sources.
LIST_SEPARATORS = {"candidates": "|"}
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
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
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


# --- records shared by all writers -----------------------------------------------------------------


def _record(row: Row) -> dict[str, Any]:
    """One row as typed values: numbers or None, tuples as lists, sources as Source objects."""
    return {
        "stratum": row.stratum,
        "study": row.study,
        "cohort": row.cohort,
        "design": row.design,
        "regimen": row.regimen,
        "n": row.n,
        "responders": row.responders,
        "rate_pct": row.rate_pct,
        "ci_low_pct": row.ci_low_pct,
        "ci_high_pct": row.ci_high_pct,
        "ci_method": row.ci_method,
        "count_origin": row.count_origin,
        "threshold": row.threshold,
        "caveats": list(row.caveats),
        "sources": list(row.sources),
        "x_over_n": row.x_over_n,
        "candidates": list(row.candidates),
        "printed_pct": row.printed_pct,
        "data_cut": row.data_cut,
        "median_pfs": row.median_pfs,
        "hazard_ratio": row.hazard_ratio,
        "evidence_rank": row.evidence_rank,
        "study_id": row.study_id,
        "cohort_id": row.cohort_id,
        "other_values": list(row.other_values),
        "conflicts": list(row.conflicts),
        "claims": [s.claim for s in row.sources],
    }


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _flat(column: str, value: Any) -> Any:
    """A typed value as the CSV writes it; numbers other than percentages stay numbers."""
    if value is None:
        return ""
    if column in PERCENT_COLUMNS:
        return _pct(value)
    if column == "sources":
        return ";".join(s.label for s in value)
    if isinstance(value, list):
        return LIST_SEPARATORS.get(column, ";").join(str(v) for v in value)
    return value


def _delimited(table: ComparisonTable, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in table.rows:
        record = _record(row)
        writer.writerow([_flat(c, record[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _groups(table: ComparisonTable) -> Iterator[tuple[str, list[Row]]]:
    """Consecutive rows of the same stratum, in the order the engine gave them."""
    current: list[Row] = []
    for row in table.rows:
        if current and row.stratum_key != current[0].stratum_key:
            yield current[0].stratum, current
            current = []
        current.append(row)
    if current:
        yield current[0].stratum, current


def _marks(table: ComparisonTable) -> dict[str, int]:
    """Footnote number of each fired caveat code, in the order of the footnotes."""
    return {code: i for i, code in enumerate(table.caveat_codes(), start=1)}


def _row_marks(row: Row, marks: dict[str, int]) -> list[tuple[int, str]]:
    """(footnote number, code) of a row's caveats, in footnote order."""
    return sorted((marks[c], c) for c in row.caveats if c in marks)


def _rate_text(row: Row) -> str:
    rate = _pct(row.rate_pct) or "?"
    if row.ci_low_pct is None or row.ci_high_pct is None:
        text = "" if row.rate_pct is None else rate
    else:
        text = f"{rate} ({_pct(row.ci_low_pct)}-{_pct(row.ci_high_pct)})"
    if row.other_values:
        text += f"; also {', '.join(row.other_values)}"
    return text


def _cells(row: Row) -> list[str]:
    """The display cells before Flags and Sources (which each format writes itself)."""
    return [
        row.study,
        row.cohort,
        row.design,
        row.regimen,
        row.x_over_n,
        _rate_text(row),
        row.median_pfs,
        row.hazard_ratio,
    ]


def _stratum_names(table: ComparisonTable) -> dict[str, str]:
    return {row.stratum_key: row.stratum for row in table.rows}


def _pooling_lines(table: ComparisonTable) -> list[tuple[str, str, list[str]]]:
    """(stratum, plain-text summary, failed conditions as "CODE: sentence") per pooling entry;
    empty when pooling was not requested."""
    if not table.pool_requested:
        return []
    names = _stratum_names(table)
    lines = []
    for entry in table.pooling:
        name = names.get(entry.stratum_key, entry.stratum_key)
        if isinstance(entry, NotPooled):
            lines.append((name, "not pooled", [f"{code}: {sentence}" for code, sentence in entry.failed]))
            continue
        text = (
            f"exploratory pooled rate {entry.rate_pct:.1f}% "
            f"(95% CI {entry.ci_low_pct:.1f}-{entry.ci_high_pct:.1f})"
        )
        if entry.pi_low_pct is not None and entry.pi_high_pct is not None:
            text += f", prediction interval {entry.pi_low_pct:.1f}-{entry.pi_high_pct:.1f}"
        text += f"; τ² = {entry.tau2:.3f}, I² = {entry.i2_pct:.1f}%; k = {entry.k}; {entry.method}"
        lines.append((name, text, []))
    return lines


# --- writers -------------------------------------------------------------------------------------


def to_csv(table: ComparisonTable) -> str:
    """The rows as CSV (header first, "\\n" line endings); footnotes are in the other formats."""
    return _delimited(table, ",")


def to_tsv(table: ComparisonTable) -> str:
    """The rows as tab-separated values, columns as in CSV."""
    return _delimited(table, "\t")


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(table: ComparisonTable) -> str:
    """A pipe table per stratum, then the footnotes and, when requested, the pooling section."""
    marks = _marks(table)
    header = "| " + " | ".join(DISPLAY_COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in DISPLAY_COLUMNS) + "|"
    lines: list[str] = []
    for stratum, rows in _groups(table):
        lines += [f"**{_md(stratum)}**", "", header, rule]
        for row in rows:
            flags = " ".join(str(number).translate(_SUPERSCRIPT) for number, _ in _row_marks(row, marks))
            sources = "; ".join(s.label for s in row.sources)
            cells = [*_cells(row), flags, sources]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines.append("")
    notes = table.footnotes()
    lines += [_md(notes[0]), ""]
    for code, number in marks.items():
        lines += [f"{str(number).translate(_SUPERSCRIPT)} {code}: {_md(CAVEATS[code])}", ""]
    pooling = _pooling_lines(table)
    if pooling:
        lines += ["**Pooling (exploratory)**", ""]
        for name, text, reasons in pooling:
            lines.append(f"- {_md(name)}: {_md(text)}")
            lines += [f"  - {_md(reason)}" for reason in reasons]
    return "\n".join(lines).rstrip() + "\n"


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def to_html(table: ComparisonTable) -> str:
    """A self-contained <table> fragment: one tbody per stratum, footnotes and pooling in the tfoot."""
    marks = _marks(table)
    width = len(DISPLAY_COLUMNS)
    out = ['<table class="mmkb-comparison">', "<thead>", "<tr>"]
    out += [f'<th scope="col">{_h(c)}</th>' for c in DISPLAY_COLUMNS]
    out += ["</tr>", "</thead>"]
    for stratum, rows in _groups(table):
        out.append("<tbody>")
        out.append(f'<tr class="stratum"><th colspan="{width}" scope="colgroup">{_h(stratum)}</th></tr>')
        for row in rows:
            claims = ";".join(s.claim for s in row.sources)
            out.append(f'<tr data-cohort="{_h(row.cohort_id)}" data-claims="{_h(claims)}">')
            cells = _cells(row)
            for i, cell in enumerate(cells):
                if i == 5 and row.sources:
                    out.append(f'<td class="rate" data-claim="{_h(row.sources[0].claim)}">{_h(cell)}</td>')
                else:
                    out.append(f"<td>{_h(cell)}</td>")
            flags = "".join(f'<sup title="{_h(c)}">{number}</sup>' for number, c in _row_marks(row, marks))
            out.append(f"<td>{flags}</td>")
            sources = "; ".join(
                f'<span data-claim="{_h(s.claim)}" data-publication="{_h(s.publication)}">'
                f"{_h(s.label)}</span>"
                for s in row.sources
            )
            out.append(f"<td>{sources}</td>")
            out.append("</tr>")
        out.append("</tbody>")
    notes = table.footnotes()
    out.append("<tfoot>")
    out.append(f'<tr><td colspan="{width}">{_h(notes[0])}</td></tr>')
    for code, number in marks.items():
        out.append(
            f'<tr><td colspan="{width}" id="caveat-{_h(code)}"><sup>{number}</sup> '
            f"{_h(code)}: {_h(CAVEATS[code])}</td></tr>"
        )
    for name, text, reasons in _pooling_lines(table):
        items = "".join(f"<li>{_h(reason)}</li>" for reason in reasons)
        listing = f"<ul>{items}</ul>" if items else ""
        out.append(f'<tr class="pooling"><td colspan="{width}">{_h(name)}: {_h(text)}{listing}</td></tr>')
    out += ["</tfoot>", "</table>"]
    return "\n".join(out) + "\n"


def latex_escape(text: str) -> str:
    """Text with LaTeX's special characters escaped (one pass, so escapes are not escaped again)."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def to_latex(table: ComparisonTable) -> str:
    """A booktabs tabular grouped by stratum, footnotes after it in \\footnotesize."""
    marks = _marks(table)
    width = len(DISPLAY_COLUMNS)
    out = [
        r"\begin{tabular}{" + "l" * width + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in DISPLAY_COLUMNS) + r" \\",
    ]
    for stratum, rows in _groups(table):
        out.append(r"\midrule")
        out.append(rf"\multicolumn{{{width}}}{{l}}{{\textbf{{{latex_escape(stratum)}}}}} \\")
        for row in rows:
            flags = ",".join(str(number) for number, _ in _row_marks(row, marks))
            cells = [latex_escape(c) for c in _cells(row)]
            cells.append(rf"\textsuperscript{{{flags}}}" if flags else "")
            cells.append(latex_escape("; ".join(s.label for s in row.sources)))
            out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", ""]
    notes = table.footnotes()
    out.append(rf"{{\footnotesize {latex_escape(notes[0])}\par}}")
    for code, number in marks.items():
        out.append(
            rf"{{\footnotesize \textsuperscript{{{number}}} {latex_escape(code)}: "
            rf"{latex_escape(CAVEATS[code])}\par}}"
        )
    for name, text, reasons in _pooling_lines(table):
        out.append(rf"{{\footnotesize {latex_escape(name)}: {latex_escape(text)}\par}}")
        out += [rf"{{\footnotesize\quad {latex_escape(reason)}\par}}" for reason in reasons]
    return "\n".join(out) + "\n"


def _pooling_json(table: ComparisonTable) -> list[dict[str, Any]]:
    names = _stratum_names(table)
    entries: list[dict[str, Any]] = []
    for entry in table.pooling:
        base = {"stratum_key": entry.stratum_key, "stratum": names.get(entry.stratum_key, "")}
        if isinstance(entry, NotPooled):
            failed = [{"code": code, "sentence": sentence} for code, sentence in entry.failed]
            entries.append({**base, "pooled": False, "failed": failed})
        else:
            entries.append(
                {
                    **base,
                    "pooled": True,
                    "exploratory": True,
                    "k": entry.k,
                    "rate_pct": entry.rate_pct,
                    "ci_low_pct": entry.ci_low_pct,
                    "ci_high_pct": entry.ci_high_pct,
                    "pi_low_pct": entry.pi_low_pct,
                    "pi_high_pct": entry.pi_high_pct,
                    "tau2": entry.tau2,
                    "i2_pct": entry.i2_pct,
                    "method": entry.method,
                }
            )
    return entries


def to_json(table: ComparisonTable) -> str:
    """The table as JSON: typed rows (numbers or null, lists as lists), footnotes, caveats, pooling."""
    rows = []
    for row in table.rows:
        record = _record(row)
        record["sources"] = [
            {"claim": s.claim, "publication": s.publication, "label": s.label, "verification": s.verification}
            for s in row.sources
        ]
        rows.append(record)
    document = {
        "grouping": table.grouping,
        "threshold": table.threshold,
        "ci_method": table.ci_method,
        "pool_requested": table.pool_requested,
        "columns": list(CSV_COLUMNS),
        "rows": rows,
        "footnotes": table.footnotes(),
        "caveats": {code: CAVEATS[code] for code in table.caveat_codes()},
        "pooling": _pooling_json(table),
    }
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def to_dataframe(table: ComparisonTable) -> pd.DataFrame:
    """The rows as a DataFrame with CSV_COLUMNS: counts as nullable integers, lists joined as in CSV."""
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("to_dataframe needs pandas: pip install 'mmkb[pandas]'") from error
    records = [
        {c: v if isinstance(v, (int, float)) or v is None else _flat(c, v) for c, v in _record(row).items()}
        for row in table.rows
    ]
    frame = pd.DataFrame(records, columns=list(CSV_COLUMNS))
    for column in ("n", "responders", "evidence_rank"):
        frame[column] = frame[column].astype("Int64")
    for column in sorted(PERCENT_COLUMNS):
        frame[column] = frame[column].astype("float64")
    return frame


FORMATS: dict[str, Callable[[ComparisonTable], str]] = {
    "csv": to_csv,
    "tsv": to_tsv,
    "md": to_markdown,
    "html": to_html,
    "latex": to_latex,
    "json": to_json,
}


def render(table: ComparisonTable, fmt: str) -> str:
    """The table in one of FORMATS; ValueError naming the valid formats otherwise."""
    try:
        writer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown table format {fmt!r}; valid: {', '.join(FORMATS)}") from None
    return writer(table)
