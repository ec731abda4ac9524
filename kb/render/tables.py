"""Writers of a comparison table: the data formats (CSV, TSV, JSON, DataFrame) and the format registry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kb.analysis.response_table import CAVEATS, ComparisonTable, NotPooled, Row
from kb.render.typeset import percent_text, stratum_names, to_html, to_latex, to_markdown

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
    "rate_text",
    "n_unknown",
    "derivation",
)
CSV_COLUMNS: tuple[str, ...] = CORE_COLUMNS + EXTRA_COLUMNS

PERCENT_COLUMNS = frozenset({"rate_pct", "ci_low_pct", "ci_high_pct"})
# Candidate counts use "|" so that a cell of alternatives reads apart from a ";" list of sources.
LIST_SEPARATORS = {"candidates": "|"}


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
        "rate_text": row.rate_text,
        "rate_approximate": row.rate_approximate,
        "n_unknown": row.n_unknown,
        "derivation": row.derivation,
        "design_id": row.design_id,
        "regimen_key": row.regimen_key,
    }


def _flat(column: str, value: Any) -> Any:
    """A typed value as the CSV writes it; numbers other than percentages stay numbers."""
    if value is None:
        return ""
    if column in PERCENT_COLUMNS:
        return percent_text(value)
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


# --- writers -------------------------------------------------------------------------------------


def to_csv(table: ComparisonTable) -> str:
    """The rows as CSV (header first, "\\n" line endings); footnotes are in the other formats."""
    return _delimited(table, ",")


def to_tsv(table: ComparisonTable) -> str:
    """The rows as tab-separated values, columns as in CSV."""
    return _delimited(table, "\t")


def _pooling_json(table: ComparisonTable) -> list[dict[str, Any]]:
    names = stratum_names(table)
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
