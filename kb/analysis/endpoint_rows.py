"""The comparison of an endpoint that is not a proportion: time-to-event medians, hazard ratios and landmark
rates, one row per cohort and data cut, with the response comparison's groupings, filters, strata and
provenance. Where sources give different figures for the same cohort, endpoint and cut, the row shows the
preferred source's figure (primary publication, then secondary source, then citing text) and the others
beside it. Nothing here is pooled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from rdflib import URIRef

from kb.analysis.cohort_reads import (
    Context,
    Iri,
    QueryRow,
    figure,
    hazard_ratio_from,
    interval,
    median_from,
    shared_context,
)
from kb.analysis.count_figures import cut_of, source_rank
from kb.analysis.endpoint_table import (
    HAZARD_RATIO,
    LANDMARK,
    MEDIAN,
    Endpoint,
    EndpointRow,
    EndpointTable,
    Figure,
    LandmarkRate,
)
from kb.analysis.response_rate import Filters, Resolved, resolve
from kb.analysis.response_rate import _stratum_order as stratum_order
from kb.analysis.response_table import GROUPINGS, OptionError, Source
from kb.analysis.table_rows import DESIGN_CAVEATS
from kb.analysis.values import NOT_ESTIMABLE, NOT_REACHED, HazardRatio, Median
from kb.graph.fast_rows import whole
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.queries import query_text

QUERIES = {MEDIAN: "endpoint-medians", HAZARD_RATIO: "endpoint-hazard-ratios", LANDMARK: "endpoint-landmarks"}
NOT_POOLED = {MEDIAN: "MEDIAN_NOT_POOLED", HAZARD_RATIO: "HR_NOT_POOLED", LANDMARK: "LANDMARK_NOT_POOLED"}


def endpoint_table(
    kb: KnowledgeBase, endpoint: Endpoint, *, by: str = "refractory-status", filters: Filters | None = None
) -> EndpointTable:
    """The comparison of `endpoint` (a median, hazard-ratio or landmark endpoint), grouped by `by`.

    Computed once per build (KnowledgeBase.computed): the table returned is shared, not to be changed."""
    if by not in GROUPINGS:
        raise OptionError(f"invalid by {by!r} for {endpoint.name}; valid: {', '.join(GROUPINGS)}")
    chosen = filters or Filters()
    return kb.computed(("endpoint", endpoint.name, by, chosen), lambda: _table(kb, endpoint, by, chosen))


def _table(kb: KnowledgeBase, endpoint: Endpoint, by: str, filters: Filters) -> EndpointTable:
    ctx = shared_context(kb)
    wanted = resolve(ctx, filters)
    found = kb.store.rows(query_text(QUERIES[endpoint.kind]), {"measure": [URIRef(MM[endpoint.measure])]})
    groups: dict[tuple[Iri, int, str, float], list[QueryRow]] = defaultdict(list)
    for claim in found:
        cohort = str(claim["cohort"])
        if cohort in ctx.cohorts:
            # one row per cohort and cut (and comparator arm, and landmark time)
            key = (cohort, cut_of(claim), str(claim.get("comparator", "")), float(claim.get("landmark", 0)))  # type: ignore[arg-type]
            groups[key].append(claim)
    rows = []
    for (cohort, *_), claims in groups.items():
        claims.sort(key=lambda r: (source_rank(r), str(r["claim"])))
        if _keep(ctx, cohort, wanted):
            rows.append(_row(ctx, endpoint, cohort, claims, by))
    rows.sort(
        key=lambda r: (stratum_order(r.stratum_key), r.evidence_rank, r.study, r.cohort, r.data_cut or 0)
    )
    return EndpointTable(endpoint, by, rows)


def _keep(ctx: Context, cohort: Iri, wanted: Resolved) -> bool:
    regimens = ctx.regimens.get(cohort, set())
    if wanted.drug and wanted.drug not in ctx.drugs(regimens):
        return False
    if wanted.drug_class and wanted.drug_class not in ctx.classes(regimens):
        return False
    if wanted.design and ctx.cohorts[cohort]["design"] != wanted.design:
        return False
    if wanted.refractory and not ctx.covers(ctx.stratum(cohort), wanted.refractory):
        return False
    if wanted.min_n:
        sizes = {n for (c, _cut), found in ctx.sizes.items() if c == cohort for n in found}
        return bool(sizes) and max(sizes) >= wanted.min_n
    return True


def _group(ctx: Context, cohort: Iri, by: str) -> tuple[str, str]:
    if by == "refractory-status":
        stratum = ctx.stratum(cohort)
        return stratum.key, stratum.label
    return ctx.group(by, cohort, ctx.regimens.get(cohort, set()))


def _row(ctx: Context, endpoint: Endpoint, cohort: Iri, claims: list[QueryRow], by: str) -> EndpointRow:
    chosen = claims[0]
    figure_of = _READERS[endpoint.kind]
    value = figure_of(ctx, chosen)
    # another source's figure is shown beside the row's where its number (or status) differs; a source
    # that gives the same number without the interval does not disagree
    others = tuple(
        f"{_text(f)} ({ctx.labels.get(str(c['source']), '')})"
        for c in claims[1:]
        if _point(f := figure_of(ctx, c)) != _point(value)
    )
    info, regimens = ctx.cohorts[cohort], ctx.regimens.get(cohort, set())
    key, label = _group(ctx, cohort, by)
    conflicts = tuple(sorted({c for claim in claims for c in ctx.conflicts.get(str(claim["claim"]), set())}))
    return EndpointRow(
        stratum=label,
        stratum_key=key,
        study=str(info["studyLabel"]),
        study_id=str(info["study"]),
        cohort=str(info["label"]),
        cohort_id=cohort,
        design=str(info["designLabel"]),
        design_id=str(info["design"]),
        evidence_rank=whole(info["rank"]),
        regimen=ctx.regimen_text(regimens),
        regimen_key=ctx.regimen_key(regimens),
        figure=value,
        data_cut=whole(chosen["cutSequence"]) if "cutSequence" in chosen else None,
        data_cut_label=str(chosen.get("cutLabel", "")),
        follow_up_months=float(chosen["followUp"]) if "followUp" in chosen else None,  # type: ignore[arg-type]
        caveats=_caveats(ctx, endpoint, cohort, claims, value, others, conflicts),
        sources=tuple(
            Source(
                str(c["claim"]),
                str(c["source"]),
                str(c.get("sourceLabel", "")),
                str(c.get("verification", "")),
            )
            for c in claims
        ),
        other_values=others,
        conflicts=conflicts,
    )


def _caveats(
    ctx: Context,
    endpoint: Endpoint,
    cohort: Iri,
    claims: list[QueryRow],
    value: Figure,
    others: tuple[str, ...],
    conflicts: tuple[str, ...],
) -> tuple[str, ...]:
    found = {NOT_POOLED[endpoint.kind]}
    design = DESIGN_CAVEATS.get(str(ctx.cohorts[cohort]["design"]))
    if design:
        found.add(design)
    if isinstance(value, Median) and value.status == NOT_REACHED:
        found.add("IMMATURE_MEDIAN")
    if claims[0].get("unnamed") is True:
        found.add("NOT_A_MEDIAN")
    bounds = value.interval
    if bounds is not None and NOT_ESTIMABLE in (bounds.low_status, bounds.high_status):
        found.add("NOT_ESTIMABLE")
    if bounds is None and getattr(value, "estimate", getattr(value, "percent", None)) is not None:
        found.add("ESTIMATE_ONLY")
    if source_rank(claims[0]) > 0:
        found.add("SECONDARY_SOURCE")
    if ctx.lineage.get(cohort):
        found.add("OVERLAPPING_COHORTS")
    if conflicts or others:
        found.add("CONFLICT")
    return tuple(sorted(found))


def _median(ctx: Context, row: QueryRow) -> Figure:
    return median_from(row, ctx.missingness, str(row.get("sourceLabel", "")))


def _hazard_ratio(ctx: Context, row: QueryRow) -> Figure:
    return hazard_ratio_from(row, ctx.missingness)


def _landmark(ctx: Context, row: QueryRow) -> Figure:
    percent, status = figure(row["percent"], ctx.missingness)
    return LandmarkRate(
        endpoint=str(row.get("endpointLabel", "")),
        landmark=float(row["landmark"]),  # type: ignore[arg-type]
        unit="months",
        percent=percent,
        status=status,
        interval=interval(row, ctx.missingness),
        data_cut=whole(row["cutSequence"]) if "cutSequence" in row else None,
        claim=str(row["claim"]),
        source=str(row.get("sourceLabel", "")),
    )


_READERS: dict[str, Callable[[Context, QueryRow], Figure]] = {
    MEDIAN: _median,
    HAZARD_RATIO: _hazard_ratio,
    LANDMARK: _landmark,
}


def _point(value: Figure) -> tuple[float | None, str]:
    """The number a figure gives (or its status), without the interval."""
    if isinstance(value, LandmarkRate):
        return value.percent, value.status
    return value.estimate, value.status


def _number(value: float | None, status: str) -> str:
    return f"{value:g}" if value is not None else status


def _text(value: Figure) -> str:
    """A figure as a reader compares two of them: the number or its status, and the interval."""
    bounds = value.interval
    span = ""
    if bounds is not None:
        span = f" ({_number(bounds.low, bounds.low_status)}-{_number(bounds.high, bounds.high_status)})"
    if isinstance(value, LandmarkRate):
        return f"{_number(value.percent, value.status)}% at {value.landmark:g} months{span}"
    if isinstance(value, HazardRatio):
        return f"HR {_number(value.estimate, value.status)}{span} vs {value.comparator}"
    unit = f" {value.unit_symbol or value.unit}" if value.estimate is not None else ""
    return f"{_number(value.estimate, value.status)}{unit}{span}".strip()
