"""Count drafts per cohort, before grouping: from response claims, or counted from patient records; and
from the claims of another proportion (MRD negativity, adverse events by type), with the same count
reconstruction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.analysis.cohort_reads import Context, Iri, QueryRow
from kb.analysis.count_figures import Figure, category_figures, choose, claim_figure, combine, fits_size
from kb.analysis.response_table import Source
from kb.graph.fast_rows import is_number, whole
from kb.namespaces import local_name
from kb.queries import query_text
from kb.reasoning.derivation import record_count_iri


@dataclass
class Draft:
    """A row before grouping: a cohort, a count and where it came from."""

    cohort: Iri
    regimens: set[Iri]
    n: int | None
    responders: int | None
    origin: str
    candidates: tuple[int, ...]
    printed: str
    cut_sequence: int
    sources: list[Source]
    claims: list[Iri]
    other_values: list[str]
    to_prior: Iri | None = None  # the earlier regimen the count refers to
    label_suffix: str = ""
    derivation: str = ""
    caveats: set[str] = field(default_factory=set)
    n_unknown: bool = False
    event: str = ""  # the adverse event counted, for an endpoint by adverse event type


def claim_drafts(ctx: Context, threshold: Iri, ipd_cohorts: set[Iri]) -> list[Draft]:
    """One draft per cohort and counted regimen, from every figure the sources print for it."""
    groups: dict[tuple[Iri, Iri | None], list[Figure]] = defaultdict(list)
    for row in ctx.response_claims:
        if row.get("threshold") != threshold:
            continue
        regimen = str(row["toRegimen"]) if "toRegimen" in row else None
        groups[(str(row["cohort"]), regimen)].append(claim_figure(ctx, row))
    for key, figures in category_figures(ctx, threshold).items():
        groups[key].extend(figures)
    merged: dict[tuple[Iri, Iri | None], list[Figure]] = defaultdict(list)
    for (cohort, to_regimen), figures in groups.items():
        if to_regimen in ctx.regimens[cohort]:
            to_regimen = None  # a claim naming the cohort's own regimen
        if cohort in ipd_cohorts and to_regimen is None:
            continue
        merged[(cohort, to_regimen)].extend(figures)
    return [_draft(ctx, cohort, to_regimen, figures) for (cohort, to_regimen), figures in merged.items()]


def proportion_drafts(ctx: Context, claims: Sequence[QueryRow]) -> list[Draft]:
    """One draft per cohort (and adverse event) from every figure the sources print for it, for the
    proportion claims of an endpoint other than response (Context.proportion_claims)."""
    groups: dict[tuple[Iri, str], list[Figure]] = defaultdict(list)
    events: dict[str, str] = {}
    for row in claims:
        if str(row["cohort"]) not in ctx.cohorts:
            continue  # about a record that is not a cohort: for validation to report
        event = str(row.get("event", ""))
        events[event] = str(row.get("eventLabel", ""))
        groups[(str(row["cohort"]), event)].append(claim_figure(ctx, row))
    return [
        _draft(ctx, cohort, None, figures, event=events[event]) for (cohort, event), figures in groups.items()
    ]


def _draft(
    ctx: Context, cohort: Iri, to_regimen: Iri | None, figures: list[Figure], event: str = ""
) -> Draft:
    chosen = choose(figures)
    # the chosen figure first, then by claim: the order the store returns rows in is no order at all
    same_cut = sorted(
        (f for f in figures if f.cut == chosen.cut),
        key=lambda f: (f is not chosen, [str(c) for c in f.claims]),
    )
    combined = combine(chosen, same_cut)
    printed = ""
    claim = chosen.claim
    if claim is not None and is_number(claim.get("percent")):
        printed = ("~" if claim.get("hedged") is True else "") + str(claim["percent"])
    caveats: set[str] = set()
    n_unknown = False
    if claim is not None and not is_number(claim["denominator"]) and printed:
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
        event=event,
    )


def ipd_drafts(ctx: Context, threshold: Iri) -> list[Draft]:
    """Rows counted from individual patient records, for every cohort whose patients are reported."""
    aggregates: dict[Iri, list[QueryRow]] = defaultdict(list)
    for row in ctx.response_claims:
        if row.get("threshold") == threshold and "toRegimen" not in row:
            aggregates[str(row["cohort"])].append(row)
    return [
        _ipd_draft(ctx, cohort, patients, threshold, aggregates[cohort])
        for cohort, patients in ctx.patient_responses.items()
    ]


def _ipd_draft(
    ctx: Context,
    cohort: Iri,
    patients: dict[Iri, QueryRow],
    threshold: Iri,
    aggregates: list[QueryRow],
    suffix: str = "",
) -> Draft:
    t_rank = ctx.ranks[threshold]
    known = [r for r in patients.values() if r["response"] in ctx.ranks]
    yes = sum(1 for r in known if ctx.ranks[str(r["response"])] >= t_rank)
    unknown = len(patients) - len(known)
    n = len(patients)
    responders = yes if unknown == 0 else None
    candidates = tuple(range(yes, yes + unknown + 1)) if unknown else ()
    records = sorted(str(r["record"]) for r in patients.values())
    source_rows = {(str(r["source"])) for r in patients.values()}
    labels = {
        str(r["source"]): ctx.labels.get(str(r["source"]), local_name(str(r["source"])))
        for r in patients.values()
    }
    # The whole cohort's count is a record in the graph listing every record counted; a split row's is not.
    counted = str(record_count_iri(cohort, threshold)) if not suffix else str(records[0])
    sources = [Source(counted, s, labels[s], "patient records") for s in sorted(source_rows)]
    others = []
    for agg in aggregates:
        sources.append(
            Source(str(agg["claim"]), str(agg["source"]), str(agg["sourceLabel"]), "aggregate statement")
        )
        if is_number(agg["numerator"]) and whole(agg["numerator"]) != yes:
            others.append(f"{agg['numerator']}/{agg['denominator']} (text, {agg['sourceLabel']})")
    named = ", ".join(
        f"{local_name(str(r['patient']))} {local_name(str(r['response']))}"
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
        [*records, *(str(a["claim"]) for a in aggregates)],
        others,
        label_suffix=suffix,
        derivation=f"{yes} of {n} patient records at {local_name(threshold)} or better ({named})",
    )


def attribute_drafts(ctx: Context, threshold: Iri, attribute: str) -> list[Draft]:
    """Rows from patient records, split by a patient attribute, for each outermost reported cohort."""
    values: dict[tuple[Iri, Iri], tuple[str, str]] = {}
    for r in ctx.kb.store.rows(query_text("patient-attributes")):
        if str(r["attribute"]) == attribute:
            values[(str(r["cohort"]), str(r["patient"]))] = (_text(r["value"]), str(r["valueLabel"]))
    drafts = []
    for draft in ipd_drafts(ctx, threshold):
        if any(p in ctx.with_patients for p in ctx.parents.get(draft.cohort, [])):
            continue  # only the outermost cohort whose patients are reported
        patients = ctx.patient_responses[draft.cohort]
        split: dict[tuple[str, str], dict[Iri, QueryRow]] = defaultdict(dict)
        for patient, row in patients.items():
            split[values.get((draft.cohort, patient), ("", "not reported"))][patient] = row
        for (_, label), members in sorted(split.items(), key=lambda item: item[0][1]):
            drafts.append(
                _ipd_draft(ctx, draft.cohort, members, threshold, [], suffix=f"{attribute}: {label}")
            )
    return drafts


def _text(value: object) -> str:
    """A value as rdflib prints it: a boolean as 'true' or 'false'."""
    return str(value).lower() if isinstance(value, bool) else str(value)
