"""Comparison rows per cohort, read from the graph: from response claims, or counted from patient records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Literal
from rdflib.term import Node

from kb.cohort_context import Context, Stratum, local_name, number
from kb.comparison import Row, Source
from kb.count_figures import (
    Figure,
    category_figures,
    choose,
    claim_figure,
    combine,
    cut_of,
    fits_size,
    source_rank,
)
from kb.derivation import record_count_iri
from kb.namespaces import MM
from kb.stats import proportion_ci
from kb.store import as_bool

PATIENT_ATTRIBUTES = ("imid-added", "prior-asct", "sex", "myeloma-subtype")

ORIGIN_CAVEATS = {
    "derived": "RECONSTRUCTED",
    "reconstructed": "RECONSTRUCTED",
    "ambiguous": "AMBIGUOUS_COUNT",
    "inconsistent": "INCONSISTENT_COUNT",
    "unknown": "UNKNOWN_COUNT",
}
DESIGN_CAVEATS: dict[Node, str] = {
    MM.CaseReport: "CASE_REPORT",
    MM.CaseSeries: "CASE_SERIES",
    MM.RetrospectiveSeries: "RETROSPECTIVE",
}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass
class Draft:
    """A row before grouping: a cohort, a count and where it came from."""

    cohort: Node
    regimens: set[Node]
    n: int | None
    responders: int | None
    origin: str
    candidates: tuple[int, ...]
    printed: str
    cut_sequence: int
    sources: list[Source]
    claims: list[Node]
    other_values: list[str]
    to_prior: Node | None = None  # the earlier regimen the count refers to
    label_suffix: str = ""
    derivation: str = ""
    caveats: set[str] = field(default_factory=set)
    n_unknown: bool = False


def claim_drafts(ctx: Context, threshold: Node, ipd_cohorts: set[Node]) -> list[Draft]:
    """One draft per cohort and counted regimen, from every figure the sources print for it."""
    groups: dict[tuple[Node, Node | None], list[Figure]] = defaultdict(list)
    for row in ctx.response_claims:
        if row.get("threshold") != threshold:
            continue
        groups[(row["cohort"], row.get("toRegimen"))].append(claim_figure(ctx, row))
    for key, figures in category_figures(ctx, threshold).items():
        groups[key].extend(figures)
    merged: dict[tuple[Node, Node | None], list[Figure]] = defaultdict(list)
    for (cohort, to_regimen), figures in groups.items():
        if to_regimen in ctx.regimens[cohort]:
            to_regimen = None  # a claim naming the cohort's own regimen
        if cohort in ipd_cohorts and to_regimen is None:
            continue
        merged[(cohort, to_regimen)].extend(figures)
    return [_draft(ctx, cohort, to_regimen, figures) for (cohort, to_regimen), figures in merged.items()]


def _draft(ctx: Context, cohort: Node, to_regimen: Node | None, figures: list[Figure]) -> Draft:
    chosen = choose(figures)
    same_cut = [f for f in figures if f.cut == chosen.cut]
    combined = combine(chosen, same_cut)
    printed = ""
    claim = chosen.claim
    if claim is not None and isinstance(claim.get("percent"), Literal):
        printed = ("~" if as_bool(claim.get("hedged")) else "") + str(claim["percent"])
    caveats: set[str] = set()
    n_unknown = False
    if claim is not None and not isinstance(claim["denominator"], Literal) and printed:
        n_unknown = True
        caveats.add("UNKNOWN_DENOMINATOR")
        if fits_size(ctx, claim, cohort) is False:
            caveats.add("NOT_OVER_COHORT_SIZE")
    sources = [Source(*s) for f in same_cut for s in f.sources]
    return Draft(
        cohort,
        {to_regimen} if to_regimen else ctx.regimens[cohort],
        combined.n,
        combined.responders,
        combined.origin,
        combined.candidates,
        printed,
        chosen.cut,
        sources,
        [c for f in same_cut for c in f.claims],
        [f"{f.text} ({f.source_label})" for f in combined.disagreeing],
        to_prior=to_regimen,
        derivation=combined.derivation,
        caveats=caveats,
        n_unknown=n_unknown,
    )


def ipd_drafts(ctx: Context, threshold: Node) -> list[Draft]:
    """Rows counted from individual patient records, for every cohort whose patients are reported."""
    aggregates: dict[Node, list[dict[str, Node]]] = defaultdict(list)
    for row in ctx.response_claims:
        if row.get("threshold") == threshold and "toRegimen" not in row:
            aggregates[row["cohort"]].append(row)
    return [
        _ipd_draft(ctx, cohort, patients, threshold, aggregates[cohort])
        for cohort, patients in ctx.patient_responses.items()
    ]


def _ipd_draft(
    ctx: Context,
    cohort: Node,
    patients: dict[Node, dict[str, Node]],
    threshold: Node,
    aggregates: list[dict[str, Node]],
    suffix: str = "",
) -> Draft:
    t_rank = ctx.ranks[threshold]
    known = [r for r in patients.values() if r["response"] in ctx.ranks]
    yes = sum(1 for r in known if ctx.ranks[r["response"]] >= t_rank)
    unknown = len(patients) - len(known)
    n = len(patients)
    responders = yes if unknown == 0 else None
    candidates = tuple(range(yes, yes + unknown + 1)) if unknown else ()
    records = sorted((r["record"] for r in patients.values()), key=str)
    source_rows = {(str(r["source"])) for r in patients.values()}
    labels = {
        str(r["source"]): ctx.labels.get(r["source"], local_name(r["source"])) for r in patients.values()
    }
    # The whole cohort's count is a record in the graph listing every record counted; a split row's is not.
    counted = str(record_count_iri(cohort, threshold)) if not suffix else str(records[0])
    sources = [Source(counted, s, labels[s], "patient records") for s in sorted(source_rows)]
    others = []
    for agg in aggregates:
        sources.append(
            Source(str(agg["claim"]), str(agg["source"]), str(agg["sourceLabel"]), "aggregate statement")
        )
        if isinstance(agg["numerator"], Literal) and int(agg["numerator"]) != yes:
            others.append(f"{agg['numerator']}/{agg['denominator']} (text, {agg['sourceLabel']})")
    named = ", ".join(
        f"{local_name(r['patient'])} {local_name(r['response'])}"
        for r in sorted(patients.values(), key=lambda r: str(r["patient"]))
    )
    return Draft(
        cohort,
        ctx.regimens[cohort],
        n,
        responders,
        "reconstructed" if unknown == 0 else "ambiguous",
        candidates,
        "",
        0,
        sources,
        [*records, *(a["claim"] for a in aggregates)],
        others,
        label_suffix=suffix,
        derivation=f"{yes} of {n} patient records at {local_name(threshold)} or better ({named})",
    )


def attribute_drafts(ctx: Context, threshold: Node, attribute: str) -> list[Draft]:
    """Rows from patient records, split by a patient attribute, for each outermost reported cohort."""
    values: dict[tuple[Node, Node], tuple[str, str]] = {}
    for r in ctx.kb.ask_named("patient-attributes"):
        if str(r["attribute"]) == attribute:
            values[(r["cohort"], r["patient"])] = (str(r["value"]), str(r["valueLabel"]))
    drafts = []
    for draft in ipd_drafts(ctx, threshold):
        if any(p in ctx.with_patients for p in ctx.parents.get(draft.cohort, [])):
            continue  # only the outermost cohort whose patients are reported
        patients = ctx.patient_responses[draft.cohort]
        split: dict[tuple[str, str], dict[Node, dict[str, Node]]] = defaultdict(dict)
        for patient, row in patients.items():
            split[values.get((draft.cohort, patient), ("", "not reported"))][patient] = row
        for (_, label), members in sorted(split.items(), key=lambda item: item[0][1]):
            drafts.append(
                _ipd_draft(ctx, draft.cohort, members, threshold, [], suffix=f"{attribute}: {label}")
            )
    return drafts


def _same_cut(claims: list[dict[str, Node]], cut: int) -> list[dict[str, Node]]:
    """Claims of the row's own data cut, by source preference: a row never pairs figures of two cuts."""
    return sorted((c for c in claims if cut_of(c) == cut), key=lambda r: (source_rank(r), str(r["claim"])))


def _median_text(ctx: Context, cohort: Node, cut: int) -> tuple[str, bool]:
    claims = _same_cut(ctx.pfs.get(cohort, []), cut)
    if not claims:
        return "", False
    c = claims[0]
    median = c["median"]
    if not isinstance(median, Literal):
        words: dict[Node, str] = {MM.NotReached: "NR", MM.NotEstimable: "NE", MM.NotReported: "not reported"}
        return words.get(median, local_name(median)), median == MM.NotReached
    lo, hi = c.get("low"), c.get("high")
    ci = f" ({_bound(lo)}-{_bound(hi)})" if lo is not None and hi is not None else ""
    return f"{_fmt(float(median.toPython()))}{ci} mo", False


def _bound(term: Node) -> str:
    value = number(term)
    return "NE" if value is None else _fmt(value)


def _hazard_text(ctx: Context, cohort: Node, cut: int) -> str:
    claims = _same_cut(ctx.hazard_ratios.get(cohort, []), cut)
    if not claims:
        return ""
    c = claims[0]
    ci = f" ({number(c.get('low'))}-{number(c.get('high'))})" if "low" in c and "high" in c else ""
    return f"{number(c['estimate'])}{ci} vs {c['comparatorLabel']}"


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


def build_row(ctx: Context, draft: Draft, threshold: str, ci_method: str, stratum: Stratum) -> Row:
    info = ctx.cohorts[draft.cohort]
    rate, low, high, approximate = _rate(draft, ci_method)
    median, immature = _median_text(ctx, draft.cohort, draft.cut_sequence)
    caveats = set(draft.caveats)
    if draft.n is not None and draft.n < 10:
        caveats.add("SMALL_N")
    if info["design"] in DESIGN_CAVEATS:
        caveats.add(DESIGN_CAVEATS[info["design"]])
    if draft.responders is not None and draft.n and draft.responders in (0, draft.n):
        caveats.add("BOUNDARY")
    if not draft.n_unknown or draft.origin != "unknown":
        caveats |= {ORIGIN_CAVEATS[draft.origin]} if draft.origin in ORIGIN_CAVEATS else set()
    if draft.sources and draft.sources[0].verification in ("ReadInSecondarySource", "ReadInCitingText"):
        caveats.add("SECONDARY_SOURCE")
    if ctx.lineage.get(draft.cohort):
        caveats.add("OVERLAPPING_COHORTS")
    conflicts = sorted({c for claim in draft.claims for c in ctx.conflicts.get(claim, set())})
    if conflicts or draft.other_values:
        caveats.add("CONFLICT")
    if immature:
        caveats.add("IMMATURE_MEDIAN")
    if draft.to_prior is not None:
        caveats.add("RESPONSE_TO_PRIOR_REGIMEN")
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
        hazard_ratio=_hazard_text(ctx, draft.cohort, draft.cut_sequence),
        caveats=tuple(sorted(caveats)),
        sources=tuple(draft.sources),
        other_values=tuple(draft.other_values),
        conflicts=tuple(conflicts),
        design_id=str(info["design"]),
        regimen_key=ctx.regimen_key(draft.regimens),
        derivation=draft.derivation,
        rate_approximate=approximate,
        n_unknown=draft.n_unknown,
    )
