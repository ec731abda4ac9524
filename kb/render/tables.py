"""Writers of a comparison table: the data formats (CSV, TSV, JSON, DataFrame) and the format registry;
`render` and `to_dataframe` take an endpoint table too (kb.render.endpoint_tables)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

from kb.analysis.endpoint_table import EndpointTable
from kb.analysis.response_table import CAVEATS, ComparisonTable, NotPooled, Row
from kb.analysis.values import HazardRatio, Median
from kb.render import endpoint_tables
from kb.render.numbers import hazard_ratio_text, median_text, percent_text
from kb.render.records_out import NO_LINKS, Links, cited, delimited, json_default, source_url
from kb.render.typeset import stratum_names, to_html, to_latex, to_markdown

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
    "median_pfs_estimate",
    "median_pfs_low",
    "median_pfs_high",
    "median_pfs_level",
    "median_pfs_unit",
    "median_pfs_status",
    "hazard_ratio",
    "hazard_ratio_estimate",
    "hazard_ratio_low",
    "hazard_ratio_high",
    "hazard_ratio_level",
    "hazard_ratio_status",
    "hazard_ratio_comparator",
    "hazard_ratio_p_value",
    "hazard_ratio_p_value_below",
    "evidence_rank",
    "study_id",
    "cohort_id",
    "other_values",
    "conflicts",
    "claims",
    "rate_text",
    "n_unknown",
    "derivation",
    "source_urls",
)
CSV_COLUMNS: tuple[str, ...] = CORE_COLUMNS + EXTRA_COLUMNS
# A proportion other than response names it, and its adverse event where rows are per event.
ENDPOINT_COLUMNS = ("endpoint", "event")


def csv_columns(table: ComparisonTable) -> tuple[str, ...]:
    return CSV_COLUMNS if table.endpoint == "response" else CSV_COLUMNS + ENDPOINT_COLUMNS


PERCENT_COLUMNS = frozenset({"rate_pct", "ci_low_pct", "ci_high_pct"})
# Columns that hold a number or nothing (a status column says why there is none).
FIGURE_COLUMNS = (
    *(
        f"{prefix}_{part}"
        for prefix in ("median_pfs", "hazard_ratio")
        for part in ("estimate", "low", "high", "level")
    ),
    "hazard_ratio_p_value",
    "hazard_ratio_p_value_below",
)
# Candidate counts use "|" so that a cell of alternatives reads apart from a ";" list of sources.
LIST_SEPARATORS = {"candidates": "|"}


# --- records shared by all writers -----------------------------------------------------------------


def _figure_columns(prefix: str, value: Median | HazardRatio | None) -> dict[str, Any]:
    """A median's or hazard ratio's numbers as columns: None where there is none, and the status."""
    interval = value.interval if value is not None else None
    return {
        f"{prefix}_estimate": value.estimate if value is not None else None,
        f"{prefix}_low": interval.low if interval is not None else None,
        f"{prefix}_high": interval.high if interval is not None else None,
        f"{prefix}_level": interval.level if interval is not None else None,
        f"{prefix}_status": value.status if value is not None else None,
    }


def _record(row: Row, links: Links = NO_LINKS) -> dict[str, Any]:
    """One row as typed values: numbers or None, tuples as lists, sources as Source objects (and where
    each is followed, in source_urls), the median and hazard ratio as their values (with their numbers in
    columns of their own)."""
    median, hr = row.median_pfs, row.hazard_ratio
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
        "median_pfs": median,
        **_figure_columns("median_pfs", median),
        "median_pfs_unit": median.unit if median is not None else None,
        "hazard_ratio": hr,
        **_figure_columns("hazard_ratio", hr),
        "hazard_ratio_comparator": hr.comparator if hr is not None else None,
        "hazard_ratio_p_value": hr.p_value if hr is not None else None,
        "hazard_ratio_p_value_below": hr.p_value_below if hr is not None else None,
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
        "source_urls": [source_url(s, links) for s in row.sources],
    }


def _flat(column: str, value: Any) -> Any:
    """A typed value as the CSV writes it; numbers other than percentages stay numbers."""
    if value is None:
        return ""
    if column in PERCENT_COLUMNS:
        return percent_text(value)
    if column == "sources":
        return ";".join(s.label for s in value)
    if isinstance(value, Median):
        return median_text(value)
    if isinstance(value, HazardRatio):
        return hazard_ratio_text(value)
    if isinstance(value, list):
        return LIST_SEPARATORS.get(column, ";").join(str(v) for v in value)
    return value


def _delimited(table: ComparisonTable, delimiter: str, links: Links) -> str:
    records = ({**_record(row, links), "endpoint": table.endpoint, "event": row.event} for row in table.rows)
    return delimited(csv_columns(table), records, _flat, delimiter)


# --- writers -------------------------------------------------------------------------------------


def to_csv(table: ComparisonTable, links: Links = NO_LINKS) -> str:
    """The rows as CSV (header first, "\\n" line endings); footnotes are in the other formats. `links`
    gives the DOIs and PMIDs of the cited publications (source_urls)."""
    return _delimited(table, ",", links)


def to_tsv(table: ComparisonTable, links: Links = NO_LINKS) -> str:
    """The rows as tab-separated values, columns as in CSV."""
    return _delimited(table, "\t", links)


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


def to_json(table: ComparisonTable, links: Links = NO_LINKS) -> str:
    """The table as JSON: typed rows (numbers or null, lists as lists; a median or hazard ratio as an
    object whose figures are numbers, or null with a status), footnotes, caveats, pooling."""
    extra = table.endpoint != "response"
    rows = [{**_record(row, links), **({"event": row.event} if extra else {})} for row in table.rows]
    document = {
        **({"endpoint": table.endpoint} if extra else {}),
        "grouping": table.grouping,
        "threshold": table.threshold,
        "ci_method": table.ci_method,
        "pool_requested": table.pool_requested,
        "columns": list(csv_columns(table)),
        "rows": rows,
        "footnotes": table.footnotes(),
        "caveats": {code: CAVEATS[code] for code in table.caveat_codes()},
        "pooling": _pooling_json(table),
    }
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, default=json_default) + "\n"


def to_dataframe(table: ComparisonTable | EndpointTable) -> pd.DataFrame:
    """The rows as a DataFrame with CSV_COLUMNS: counts as nullable integers, percentages and figures as
    floats (NaN where there is no number), text and lists as in CSV; an endpoint table's with its own
    columns (kb.render.endpoint_tables.ENDPOINT_COLUMNS)."""
    if isinstance(table, EndpointTable):
        return endpoint_tables.to_dataframe(table)
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("to_dataframe needs pandas: pip install 'mmkb[pandas]'") from error
    counts = ("n", "responders", "evidence_rank")
    numbers = frozenset((*counts, *PERCENT_COLUMNS, *FIGURE_COLUMNS))
    records = [{c: v if c in numbers else _flat(c, v) for c, v in _record(row).items()} for row in table.rows]
    frame = pd.DataFrame(records, columns=list(CSV_COLUMNS))
    for column in counts:
        frame[column] = frame[column].astype("Int64")
    for column in (*sorted(PERCENT_COLUMNS), *FIGURE_COLUMNS):
        frame[column] = frame[column].astype("float64")
    return frame


class Writer(Protocol):
    """A table writer: the table, with the DOIs and PMIDs of the publications its sources cite."""

    def __call__(self, table: ComparisonTable, links: Links = ...) -> str: ...


FORMATS: dict[str, Writer] = {
    "csv": to_csv,
    "tsv": to_tsv,
    "md": to_markdown,
    "html": to_html,
    "latex": to_latex,
    "json": to_json,
}


def cited_publications(table: ComparisonTable | EndpointTable) -> list[str]:
    """The IRIs of the publications the table's sources cite, each once (the keys `render` links)."""
    return cited(s for row in table.rows for s in row.sources)


def render(table: ComparisonTable | EndpointTable, fmt: str, links: Links = NO_LINKS) -> str:
    """The table (a proportion's comparison, or an endpoint table of medians, hazard ratios or landmark
    rates) in one of FORMATS, each source with its link: its publication's DOI at doi.org, else its PMID
    at PubMed (from `links`, the publications of cited_publications by IRI), else the publication's own
    IRI; ValueError naming the valid formats otherwise."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; valid: {', '.join(FORMATS)}")
    if isinstance(table, EndpointTable):
        return endpoint_tables.ENDPOINT_FORMATS[fmt](table, links)
    return FORMATS[fmt](table, links)
