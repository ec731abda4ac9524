"""A table row from a count draft: the rate with its interval, median PFS and hazard ratio, the caveats."""

from __future__ import annotations

from kb.analysis.cohort_reads import Context, Iri, QueryRow, Stratum, hazard_ratio_from, median_from
from kb.analysis.count_drafts import Draft
from kb.analysis.count_figures import cut_of, source_rank
from kb.analysis.response_table import Row
from kb.analysis.stats import proportion_ci
from kb.analysis.values import NOT_REACHED, HazardRatio, Median
from kb.namespaces import MM

ORIGIN_CAVEATS = {
    "derived": "RECONSTRUCTED",
    "reconstructed": "RECONSTRUCTED",
    "ambiguous": "AMBIGUOUS_COUNT",
    "inconsistent": "INCONSISTENT_COUNT",
    "unknown": "UNKNOWN_COUNT",
}
DESIGN_CAVEATS: dict[Iri, str] = {
    str(MM.CaseReport): "CASE_REPORT",
    str(MM.CaseSeries): "CASE_SERIES",
    str(MM.RetrospectiveSeries): "RETROSPECTIVE",
}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _same_cut(claims: list[QueryRow], cut: int) -> list[QueryRow]:
    """Claims of the row's own data cut, by source preference: a row never pairs figures of two cuts."""
    return sorted((c for c in claims if cut_of(c) == cut), key=lambda r: (source_rank(r), str(r["claim"])))


def _median(ctx: Context, cohort: Iri, cut: int) -> Median | None:
    claims = _same_cut(ctx.pfs.get(cohort, []), cut)
    if not claims:
        return None
    return median_from(claims[0], ctx.missingness, ctx.labels.get(str(claims[0]["source"]), ""))


def _hazard_ratio(ctx: Context, cohort: Iri, cut: int) -> HazardRatio | None:
    claims = _same_cut(ctx.hazard_ratios.get(cohort, []), cut)
    return hazard_ratio_from(claims[0], ctx.missingness) if claims else None


def _rate(draft: Draft, ci_method: str) -> tuple[float | None, float | None, float | None, bool]:
    """(rate, low, high, approximate): x/n when x is known; the printed figure beside the envelope of
    every candidate's interval when only candidates are; the printed figure alone otherwise."""
    printed = float(draft.printed.lstrip("~")) if draft.printed else None
    if draft.responders is not None and draft.n:
        lo, hi = proportion_ci(draft.responders, draft.n, ci_method)
        return 100 * draft.responders / draft.n, 100 * lo, 100 * hi, False
    if draft.candidates and draft.n:
        bounds = [proportion_ci(k, draft.n, ci_method) for k in draft.candidates]
        return printed, 100 * min(b[0] for b in bounds), 100 * max(b[1] for b in bounds), True
    return printed, None, None, False


def _caveats(ctx: Context, draft: Draft, median: Median | None, conflicts: list[str]) -> tuple[str, ...]:
    info = ctx.cohorts[draft.cohort]
    caveats = set(draft.caveats)
    if draft.n is not None and draft.n < 10:
        caveats.add("SMALL_N")
    if info["design"] in DESIGN_CAVEATS:
        caveats.add(DESIGN_CAVEATS[str(info["design"])])
    if draft.responders is not None and draft.n and draft.responders in (0, draft.n):
        caveats.add("BOUNDARY")
    if not draft.n_unknown or draft.origin != "unknown":
        caveats |= {ORIGIN_CAVEATS[draft.origin]} if draft.origin in ORIGIN_CAVEATS else set()
    if draft.sources and draft.sources[0].verification in ("ReadInSecondarySource", "ReadInCitingText"):
        caveats.add("SECONDARY_SOURCE")
    if ctx.lineage.get(draft.cohort):
        caveats.add("OVERLAPPING_COHORTS")
    if conflicts or draft.other_values:
        caveats.add("CONFLICT")
    if median is not None and median.status == NOT_REACHED:
        caveats.add("IMMATURE_MEDIAN")
    if draft.to_prior is not None:
        caveats.add("RESPONSE_TO_PRIOR_REGIMEN")
    return tuple(sorted(caveats))


def build_row(
    ctx: Context,
    draft: Draft,
    threshold: str,
    ci_method: str,
    stratum: Stratum,
    *,
    survival: bool = True,
) -> Row:
    """The row of a draft. `survival`: the cohort's median PFS and hazard ratio at the row's data cut go
    beside the rate (the response table's); a table of another proportion leaves them out."""
    info = ctx.cohorts[draft.cohort]
    rate, low, high, approximate = _rate(draft, ci_method)
    median = _median(ctx, draft.cohort, draft.cut_sequence) if survival else None
    hazard_ratio = _hazard_ratio(ctx, draft.cohort, draft.cut_sequence) if survival else None
    conflicts = sorted({c for claim in draft.claims for c in ctx.conflicts.get(claim, set())})
    cohort_label = str(info["label"]) + (f" [{draft.label_suffix}]" if draft.label_suffix else "")
    return Row(
        stratum=stratum.label,
        stratum_key=stratum.key,
        study=str(info["studyLabel"]),
        study_id=str(info["study"]),
        cohort=cohort_label,
        cohort_id=str(draft.cohort) + (f"#{draft.label_suffix}" if draft.label_suffix else ""),
        design=str(info["designLabel"]),
        evidence_rank=ctx.rank(draft.cohort),
        regimen=ctx.regimen_text(draft.regimens),
        threshold=threshold,
        n=draft.n,
        responders=draft.responders,
        rate_pct=_pct(rate),
        ci_low_pct=_pct(low),
        ci_high_pct=_pct(high),
        ci_method=ci_method,
        count_origin=draft.origin,
        candidates=draft.candidates,
        printed_pct=draft.printed,
        data_cut=str(draft.cut_sequence or ""),
        median_pfs=median,
        hazard_ratio=hazard_ratio,
        caveats=_caveats(ctx, draft, median, conflicts),
        sources=tuple(draft.sources),
        other_values=tuple(draft.other_values),
        conflicts=tuple(conflicts),
        design_id=str(info["design"]),
        regimen_key=ctx.regimen_key(draft.regimens),
        derivation=draft.derivation,
        rate_approximate=approximate,
        n_unknown=draft.n_unknown,
        event=draft.event,
    )
