"""Response-rate comparison: rows grouped into strata, filtered, sorted, and pooled where allowed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rdflib import URIRef

from kb.analysis.cohort_reads import (
    PROSPECTIVE_RANK,
    RELATION_ORDER,
    Context,
    Iri,
    Stratum,
    hazard_ratio_from,
    shared_context,
    status_labels,
)
from kb.analysis.count_drafts import (
    Draft,
    attribute_drafts,
    claim_drafts,
    ipd_drafts,
)
from kb.analysis.options import check
from kb.analysis.pooling_gate import GateInput, pooling_gate
from kb.analysis.response_table import (
    GROUPINGS,
    PATIENT_ATTRIBUTES,
    ComparisonTable,
    HazardRatioRow,
    NotPooled,
    OptionError,
    Pooled,
    Row,
)
from kb.analysis.stats import pool_logit
from kb.analysis.table_rows import build_row
from kb.graph.fast_rows import whole
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.queries import query_text

__all__ = [
    "GROUPINGS",
    "PATIENT_ATTRIBUTES",
    "Filters",
    "OptionError",
    "arrange",
    "hazard_ratio_rows",
    "response_rates",
]


@dataclass(frozen=True)
class Filters:
    """Filter values as a user gives them: a drug, class or design by label, synonym, notation or
    identifier (case-insensitive); `refractory` names drugs or classes the population must be refractory to
    at least (a class is met by any of its drugs)."""

    drug: str | None = None
    drug_class: str | None = None
    refractory: frozenset[str] = frozenset()
    design: str | None = None
    min_n: int = 0


@dataclass(frozen=True)
class Resolved:
    """Filter values resolved to IRIs."""

    drug: Iri | None
    drug_class: Iri | None
    refractory: frozenset[Iri]
    design: Iri | None
    min_n: int


def resolve(ctx: Context, filters: Filters) -> Resolved:
    """The IRIs the filter values name; OptionError listing the valid names for an unknown one."""
    return Resolved(
        ctx.resolve("drug", filters.drug) if filters.drug else None,
        ctx.resolve("class", filters.drug_class) if filters.drug_class else None,
        frozenset(ctx.resolve_drug_or_class(v) for v in filters.refractory),
        ctx.resolve("design", filters.design) if filters.design else None,
        filters.min_n,
    )


def _group(ctx: Context, row: Row, draft: Draft, by: str) -> tuple[str, str]:
    if by == "refractory-status" or by in PATIENT_ATTRIBUTES:
        return row.stratum_key, row.stratum
    return ctx.group(by, draft.cohort, draft.regimens)


def _keep(ctx: Context, row: Row, draft: Draft, filters: Resolved) -> bool:
    if filters.drug and filters.drug not in ctx.drugs(draft.regimens):
        return False
    if filters.drug_class and filters.drug_class not in ctx.classes(draft.regimens):
        return False
    if filters.design and ctx.cohorts[draft.cohort]["design"] != filters.design:
        return False
    return not (filters.min_n and (row.n is None or row.n < filters.min_n))


def _stratum_order(key: str) -> tuple:
    relation, _, members = key.partition(":")
    return (RELATION_ORDER.get(relation, 0), len(members.split(",")) if members else 0, key)


def response_rates(
    kb: KnowledgeBase,
    *,
    by: str = "refractory-status",
    threshold: str = "PR",
    ci_method: str = "clopper-pearson",
    filters: Filters | None = None,
    pool: bool = False,
    allow_retrospective: bool = False,
) -> ComparisonTable:
    """The response-rate comparison: one row per cohort, grouped by `by`, at `threshold` or better.

    Computed once per build (KnowledgeBase.computed): the table returned is shared, not to be changed."""
    check("by", by)
    check("threshold", threshold)
    check("ci", ci_method)
    chosen = filters or Filters()
    key = ("response-rates", by, threshold, ci_method, chosen, pool, allow_retrospective)
    return kb.computed(
        key, lambda: _response_rates(kb, by, threshold, ci_method, chosen, pool, allow_retrospective)
    )


def _response_rates(
    kb: KnowledgeBase,
    by: str,
    threshold: str,
    ci_method: str,
    filters: Filters,
    pool: bool,
    allow_retrospective: bool,
) -> ComparisonTable:
    ctx = shared_context(kb)
    wanted = resolve(ctx, filters)
    t_iri = str(MM[threshold])
    if by in PATIENT_ATTRIBUTES:
        drafts = attribute_drafts(ctx, t_iri, by)
    else:
        ipd = ipd_drafts(ctx, t_iri)
        drafts = ipd + claim_drafts(ctx, t_iri, {d.cohort for d in ipd})
    table = ComparisonTable(grouping=by, threshold=threshold, ci_method=ci_method, pool_requested=pool)
    table.rows = arrange(ctx, drafts, by, wanted, lambda d, s: build_row(ctx, d, threshold, ci_method, s))
    if pool:
        table.pooling = _pooling(ctx, table.rows, allow_retrospective)
    return table


def arrange(
    ctx: Context, drafts: list[Draft], by: str, wanted: Resolved, make_row: Callable[[Draft, Stratum], Row]
) -> list[Row]:
    """The rows of the drafts that pass the filters, each in its group, in table order: by stratum, then
    evidence rank, larger cohorts first, then cohort and adverse event. A comparison of any proportion
    (response, MRD negativity, adverse events) arranges its rows so."""
    keyed = []
    drafts_by_row: dict[tuple[str, str], Draft] = {}
    for draft in drafts:
        stratum = ctx.stratum(draft.cohort, draft.to_prior)
        if wanted.refractory and not ctx.covers(stratum, wanted.refractory):
            continue
        row = make_row(draft, stratum)
        if not _keep(ctx, row, draft, wanted):
            continue
        group_key, group_label = _group(ctx, row, draft, by)
        if by not in ("refractory-status", *PATIENT_ATTRIBUTES):
            row = replace(row, stratum=group_label, stratum_key=group_key)
        keyed.append(row)
        drafts_by_row[row.cohort_id, row.regimen_key] = draft
    keyed = _distinguish_schedules(ctx, _mark_definition_mismatch(ctx, keyed, by), drafts_by_row)
    return sorted(
        keyed, key=lambda r: (_stratum_order(r.stratum_key), r.evidence_rank, -(r.n or 0), r.cohort, r.event)
    )


def _distinguish_schedules(ctx: Context, rows: list[Row], drafts: dict[tuple[str, str], Draft]) -> list[Row]:
    """Rows whose regimens read alike but differ in schedule name the schedule of each drug that is given
    on two or more different named schedules among them."""
    by_text: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_text[row.regimen].add(row.regimen_key)
    by_key: dict[str, list[Draft]] = defaultdict(list)
    for (_, key), draft in drafts.items():
        by_key[key].append(draft)
    differing: dict[str, set[Iri]] = {}  # regimen text -> drugs on two or more schedules among its rows
    for text, keys in by_text.items():
        if len(keys) > 1:
            known: dict[Iri, set[Iri]] = defaultdict(set)
            for draft in (d for key in keys for d in by_key[key]):
                for regimen in draft.regimens:
                    for drug, schedule in ctx.schedules[regimen].items():
                        if schedule is not None:
                            known[drug].add(schedule)
            differing[text] = {drug for drug, schedules in known.items() if len(schedules) > 1}
    out = []
    for row in rows:
        drugs = differing.get(row.regimen)
        if drugs:
            regimens = drafts[row.cohort_id, row.regimen_key].regimens
            row = replace(row, regimen=f"{row.regimen} ({ctx.schedule_text(regimens, drugs)})")
        out.append(row)
    return out


def _mark_definition_mismatch(ctx: Context, rows: list[Row], by: str) -> list[Row]:
    if by == "refractory-status":
        return rows
    definitions: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        definitions[row.stratum_key].add(ctx.stratum(row.cohort_id.split("#")[0]).key)
    return [
        replace(row, caveats=tuple(sorted({*row.caveats, "DEFINITION_MISMATCH"})))
        if len(definitions[row.stratum_key]) > 1
        else row
        for row in rows
    ]


def _pooling(ctx: Context, rows: Sequence[Row], allow_retrospective: bool) -> list[Pooled | NotPooled]:
    out: list[Pooled | NotPooled] = []
    by_stratum: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_stratum[row.stratum_key].append(row)
    for key, members in by_stratum.items():
        inputs = [
            GateInput(
                study_id=r.study_id,
                n=r.n or 0,
                responders=r.responders,
                count_origin=r.count_origin,
                design_prospective=r.evidence_rank <= PROSPECTIVE_RANK,
                is_rct_arm=r.cohort_id.split("#")[0] in ctx.arms or r.design_id == str(MM.RandomizedPhase3),
                outcome_key=f"IMWG>={r.threshold}",
                stratum_key=r.stratum_key,
                regimen_key=r.regimen_key,
                overlaps_with=frozenset(ctx.lineage.get(r.cohort_id.split("#")[0], set())),
                cohort_id=r.cohort_id.split("#")[0],
            )
            for r in members
        ]
        decision = pooling_gate(inputs, allow_retrospective=allow_retrospective)
        if not decision.allowed:
            out.append(NotPooled(key, tuple(decision.failed)))
            continue
        result = pool_logit([r.responders or 0 for r in members], [r.n or 0 for r in members])
        pi = result.prediction
        out.append(
            Pooled(
                key,
                result.k,
                100 * result.proportion,
                100 * result.ci[0],
                100 * result.ci[1],
                None if pi is None else 100 * pi[0],
                None if pi is None else 100 * pi[1],
                result.tau2,
                result.i2,
                result.method,
            )
        )
    return out


def hazard_ratio_rows(kb: KnowledgeBase, table: ComparisonTable) -> list[HazardRatioRow]:
    """The hazard ratios reported for the table's cohorts, every data cut, for the forest plot's HR panel."""
    cohorts = sorted({row.cohort_id.split("#")[0] for row in table.rows})
    bindings = {"cohort": [URIRef(c) for c in cohorts]}
    found = kb.store.rows(query_text("cohort-hazard-ratios"), bindings) if cohorts else []
    labels = {row.cohort_id.split("#")[0]: row.cohort for row in table.rows}
    statuses = status_labels(kb.store) if found else {}
    out = []
    for r in sorted(found, key=lambda r: (str(r["cohort"]), whole(r.get("cutSequence", 0)))):
        cut = f", data cut {r['cutSequence']}" if "cutSequence" in r else ""
        label = f"{labels[str(r['cohort'])]}: {r['endpointLabel']}{cut}"
        out.append(HazardRatioRow(label, hazard_ratio_from(r, statuses)))
    return out
