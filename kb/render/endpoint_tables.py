"""Writers of an endpoint table (medians, hazard ratios, landmark rates): CSV, TSV, JSON and DataFrame, with
the figure as a readable cell beside its numbers in columns of their own; the format registry (Markdown,
HTML and LaTeX: kb.render.endpoint_typeset)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

from kb.analysis.endpoint_table import ALL_CAVEATS, EndpointRow, EndpointTable, Figure, LandmarkRate
from kb.analysis.values import HazardRatio, Median
from kb.render.endpoint_typeset import (
    data_cut_text,
    display_columns,
    follow_up_text,
    to_html,
    to_latex,
    to_markdown,
)
from kb.render.numbers import endpoint_figure_text
from kb.render.records_out import NO_LINKS, Links, delimited, json_default, source_url

if TYPE_CHECKING:
    import pandas as pd

# Scripts read these columns by name. The figure's numbers are columns of their own, empty (null in JSON)
# where the source gives no number, with the status saying why.
ENDPOINT_COLUMNS = (
    "stratum",
    "study",
    "cohort",
    "design",
    "regimen",
    "endpoint",
    "figure",
    "estimate",
    "status",
    "low",
    "high",
    "level",
    "low_status",
    "high_status",
    "unit",
    "landmark",
    "landmark_unit",
    "comparator",
    "comparator_id",
    "p_value",
    "p_value_below",
    "data_cut",
    "data_cut_label",
    "follow_up_months",
    "caveats",
    "sources",
    "other_values",
    "conflicts",
    "claims",
    "evidence_rank",
    "study_id",
    "cohort_id",
    "source_urls",
)
# Columns that hold a number or nothing.
NUMBER_COLUMNS = (
    "estimate",
    "low",
    "high",
    "level",
    "landmark",
    "p_value",
    "p_value_below",
    "follow_up_months",
)
COUNT_COLUMNS = ("data_cut", "evidence_rank")


# --- records ---------------------------------------------------------------------------------------


def _figure_columns(figure: Figure) -> dict[str, Any]:
    interval = figure.interval
    landmark = figure if isinstance(figure, LandmarkRate) else None
    hazard_ratio = figure if isinstance(figure, HazardRatio) else None
    if isinstance(figure, Median):
        unit: str | None = figure.unit
    else:
        unit = "percent" if landmark is not None else None
    return {
        "estimate": figure.percent if isinstance(figure, LandmarkRate) else figure.estimate,
        "status": figure.status,
        "low": interval.low if interval is not None else None,
        "high": interval.high if interval is not None else None,
        "level": interval.level if interval is not None else None,
        "low_status": interval.low_status if interval is not None else None,
        "high_status": interval.high_status if interval is not None else None,
        "unit": unit,
        "landmark": landmark.landmark if landmark is not None else None,
        "landmark_unit": landmark.unit if landmark is not None else None,
        "comparator": hazard_ratio.comparator if hazard_ratio is not None else None,
        "comparator_id": hazard_ratio.comparator_id if hazard_ratio is not None else None,
        "p_value": hazard_ratio.p_value if hazard_ratio is not None else None,
        "p_value_below": hazard_ratio.p_value_below if hazard_ratio is not None else None,
    }


def _record(row: EndpointRow, links: Links = NO_LINKS) -> dict[str, Any]:
    """One row as typed values: the figure as its value object and its numbers flat, lists as lists, and
    where each source is followed (source_urls)."""
    return {
        "stratum": row.stratum,
        "study": row.study,
        "cohort": row.cohort,
        "design": row.design,
        "regimen": row.regimen,
        "endpoint": row.figure.endpoint,
        "figure": row.figure,
        "figure_text": endpoint_figure_text(row.figure),
        **_figure_columns(row.figure),
        "data_cut": row.data_cut,
        "data_cut_label": row.data_cut_label,
        "data_cut_text": data_cut_text(row),
        "follow_up_months": row.follow_up_months,
        "follow_up_text": follow_up_text(row),
        "caveats": list(row.caveats),
        "sources": list(row.sources),
        "other_values": list(row.other_values),
        "conflicts": list(row.conflicts),
        "claims": [s.claim for s in row.sources],
        "evidence_rank": row.evidence_rank,
        "study_id": row.study_id,
        "cohort_id": row.cohort_id,
        "stratum_key": row.stratum_key,
        "design_id": row.design_id,
        "regimen_key": row.regimen_key,
        "source_urls": [source_url(s, links) for s in row.sources],
    }


def _flat(column: str, value: Any) -> Any:
    """A typed value as CSV writes it: numbers stay numbers, the figure its readable cell."""
    if value is None:
        return ""
    if column == "figure":
        return endpoint_figure_text(value)
    if column == "sources":
        return ";".join(s.label for s in value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def _delimited(table: EndpointTable, delimiter: str, links: Links) -> str:
    return delimited(ENDPOINT_COLUMNS, (_record(row, links) for row in table.rows), _flat, delimiter)


def to_csv(table: EndpointTable, links: Links = NO_LINKS) -> str:
    """The rows as CSV (header first, "\\n" line endings); footnotes are in the other formats. `links`
    gives the DOIs and PMIDs of the cited publications (source_urls)."""
    return _delimited(table, ",", links)


def to_tsv(table: EndpointTable, links: Links = NO_LINKS) -> str:
    return _delimited(table, "\t", links)


def to_json(table: EndpointTable, links: Links = NO_LINKS) -> str:
    """The table as JSON: typed rows (the figure an object whose figures are numbers, or null with a
    status; its numbers also flat; the readable cells beside them), the display headings, footnotes and
    caveats."""
    document = {
        "endpoint": table.endpoint.name,
        "endpoint_label": table.endpoint.label,
        "kind": table.endpoint.kind,
        "grouping": table.grouping,
        "columns": list(ENDPOINT_COLUMNS),
        "headings": list(display_columns(table)),
        "rows": [_record(row, links) for row in table.rows],
        "footnotes": table.footnotes(),
        "caveats": {code: ALL_CAVEATS[code] for code in table.caveat_codes()},
    }
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, default=json_default) + "\n"


def to_dataframe(table: EndpointTable) -> pd.DataFrame:
    """The rows as a DataFrame with ENDPOINT_COLUMNS: figures as floats (NaN where there is no number),
    data cut and rank as nullable integers, text and lists as in CSV."""
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("to_dataframe needs pandas: pip install 'mmkb[pandas]'") from error
    kept = frozenset((*NUMBER_COLUMNS, *COUNT_COLUMNS))
    records = [{c: v if c in kept else _flat(c, v) for c, v in _record(row).items()} for row in table.rows]
    frame = pd.DataFrame(records, columns=list(ENDPOINT_COLUMNS))
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in NUMBER_COLUMNS:
        frame[column] = frame[column].astype("float64")
    return frame


class EndpointWriter(Protocol):
    """An endpoint table writer: the table, with the DOIs and PMIDs of the publications its sources cite."""

    def __call__(self, table: EndpointTable, links: Links = ...) -> str: ...


ENDPOINT_FORMATS: dict[str, EndpointWriter] = {
    "csv": to_csv,
    "tsv": to_tsv,
    "md": to_markdown,
    "html": to_html,
    "latex": to_latex,
    "json": to_json,
}
