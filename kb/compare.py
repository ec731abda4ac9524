"""Response-rate comparison: rows grouped into strata, filtered, sorted, and pooled where allowed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rdflib import Literal, URIRef

from kb.cohort_rows import (
    PATIENT_ATTRIBUTES,
    PROSPECTIVE_RANK,
    RELATION_ORDER,
    Context,
    Draft,
    attribute_drafts,
    build_row,
    claim_drafts,
    ipd_drafts,
    local_name,
    number,
)
from kb.comparison import (
    CI_METHODS,
    THRESHOLDS,
    ComparisonTable,
    HazardRatioRow,
    NotPooled,
    Pooled,
    Row,
)
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.stats import GateInput, pool_logit, pooling_gate
from kb.store import as_int

GROUPINGS = ("refractory-status", "regimen", "drug-class", "design", "study")


class OptionError(ValueError):
    """An option value that is not one of the valid ones."""


@dataclass(frozen=True)
class Filters:
    drug: str | None = None  # local name, e.g. "pomalidomide"
    drug_class: str | None = None  # local name, e.g. "IMiD"
    refractory: frozenset[str] = frozenset()  # drug or class local names of the refractory set
    design: str | None = None  # local name, e.g. "RetrospectiveSeries"
    min_n: int = 0


def _group(ctx: Context, row: Row, draft: Draft, by: str) -> tuple[str, str]:
    if by == "refractory-status" or by in PATIENT_ATTRIBUTES:
        return row.stratum_key, row.stratum
    if by == "regimen":
        text = ctx.composition_text(draft.regimens)
        return "regimen:" + text, text
    if by == "drug-class":
        text = ctx.class_text(draft.regimens)
        return "classes:" + text, text
    if by == "design":
        return f"design:{row.evidence_rank:02d}", row.design
    return "study:" + row.study_id, row.study


def _keep(ctx: Context, row: Row, draft: Draft, filters: Filters) -> bool:
    if filters.drug and filters.drug not in ctx.drugs(draft.regimens):
        return False
    if filters.drug_class and filters.drug_class not in ctx.classes(draft.regimens):
        return False
    if filters.design and local_name(ctx.cohorts[draft.cohort]["design"]) != filters.design:
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
    """The response-rate comparison: one row per cohort, grouped by `by`, at `threshold` or better."""
    _check("by", by, GROUPINGS + PATIENT_ATTRIBUTES)
    _check("threshold", threshold, THRESHOLDS)
    _check("ci", ci_method, CI_METHODS)
    filters = filters or Filters()
    ctx = Context(kb)
    t_iri = MM[threshold]
    if by in PATIENT_ATTRIBUTES:
        drafts = attribute_drafts(ctx, t_iri, by)
    else:
        ipd = ipd_drafts(ctx, t_iri)
        drafts = ipd + claim_drafts(ctx, t_iri, {d.cohort for d in ipd})
    table = ComparisonTable(grouping=by, threshold=threshold, ci_method=ci_method, pool_requested=pool)
    keyed = []
    for draft in drafts:
        row = build_row(ctx, draft, threshold, ci_method)
        if filters.refractory and not _matches_refractory(row, filters.refractory):
            if row.stratum_key != "unselected":
                continue
            row = replace(row, caveats=tuple(sorted({*row.caveats, "INDIRECT"})))
        if not _keep(ctx, row, draft, filters):
            continue
        group_key, group_label = _group(ctx, row, draft, by)
        if by not in ("refractory-status", *PATIENT_ATTRIBUTES):
            row = replace(row, stratum=group_label, stratum_key=group_key)
        keyed.append(row)
    keyed = _mark_definition_mismatch(ctx, keyed, by)
    table.rows = sorted(
        keyed, key=lambda r: (_stratum_order(r.stratum_key), r.evidence_rank, -(r.n or 0), r.cohort)
    )
    if pool:
        table.pooling = _pooling(ctx, table.rows, allow_retrospective)
    return table


def _matches_refractory(row: Row, wanted: frozenset[str]) -> bool:
    relation, _, members = row.stratum_key.partition(":")
    return relation == "definingRefractoriness" and frozenset(members.split(",")) == wanted


def _mark_definition_mismatch(ctx: Context, rows: list[Row], by: str) -> list[Row]:
    if by == "refractory-status":
        return rows
    definitions: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        definitions[row.stratum_key].add(ctx.refractory_stratum(URIRef(row.cohort_id.split("#")[0]))[0])
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
                is_rct_arm=r.design == "randomized phase 3 trial",
                outcome_key=f"IMWG>={r.threshold}",
                stratum_key=r.stratum_key,
                regimen_key=r.regimen,
                overlaps_with=frozenset(
                    str(o) for o in ctx.lineage.get(URIRef(r.cohort_id.split("#")[0]), set())
                ),
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


def _check(option: str, value: str, valid: Sequence[str]) -> None:
    if value not in valid:
        raise OptionError(f"invalid {option} {value!r}; valid: {', '.join(valid)}")


def hazard_ratio_rows(kb: KnowledgeBase, table: ComparisonTable) -> list[HazardRatioRow]:
    """The hazard ratios reported for the table's cohorts, every data cut, for the forest plot's HR panel."""
    cohorts = sorted({row.cohort_id.split("#")[0] for row in table.rows})
    rows = kb.ask_named("cohort-hazard-ratios", {"cohort": [URIRef(c) for c in cohorts]}) if cohorts else []
    labels = {row.cohort_id.split("#")[0]: row.cohort for row in table.rows}
    out = []
    for r in sorted(rows, key=lambda r: (str(r["cohort"]), as_int(r.get("cutSequence") or Literal(0)))):
        estimate = number(r["estimate"])
        if estimate is None:
            continue
        cut = f", data cut {r['cutSequence']}" if "cutSequence" in r else ""
        out.append(
            HazardRatioRow(
                label=f"{labels[str(r['cohort'])]}: {r['endpointLabel']}{cut}",
                estimate=estimate,
                ci_low=number(r.get("low")),
                ci_high=number(r.get("high")),
                comparator=str(r["comparatorLabel"]),
                source=str(r["sourceLabel"]),
            )
        )
    return out
