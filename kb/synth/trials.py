"""Prospective trials: a randomized phase 3 trial (two arms, data cuts, medians, hazard ratios) and a
single-arm phase 1b or 2 trial (a population, a refractory subgroup, response categories)."""

from __future__ import annotations

from kb.synth import claims
from kb.synth.figures import (
    CR_INDEX,
    PR_INDEX,
    VGPR_INDEX,
    Interval,
    Responses,
    binomial,
    decimal,
    hazard_ratio,
    median_months,
    responses,
    subset,
)
from kb.synth.rdf_text import Dec, Iri, Many, Pairs
from kb.synth.records import Cohort, Source, Study, quote
from kb.synth.vocabulary import (
    ADVERSE_EVENTS,
    DERIVED,
    NOT_REACHED,
    NOT_REPORTED,
    RANDOMIZED_PAIRS,
    SINGLE_ARM,
    TRIAL_POPULATIONS,
    TRIAL_SUBGROUPS,
    DrugSet,
    mm,
)


def _eligibility(lines: int) -> Pairs:
    return [
        ("mm:eligibility", f"at least {lines} prior line{'s' if lines > 1 else ''} of therapy"),
        ("mm:minPriorLinesRequired", lines),
    ]


def _follow_up(study: Study, low: int, high: int) -> int | Dec:
    return decimal(study.rng.randint(low, high), 1)


def randomized(study: Study) -> None:
    """A randomized phase 3 trial of an experimental regimen against its backbone, with an update."""
    rng = study.rng
    experimental, control = rng.choice(RANDOMIZED_PAIRS)
    year = rng.randint(2012, 2023)
    title = f"{experimental.abbreviation} versus {control.abbreviation} in relapsed or refractory myeloma"
    primary = study.publication(1, "JournalArticle", year, f"{title}: a randomised phase 3 trial")
    update = (
        study.publication(2, "JournalArticle", year + rng.randint(1, 3), f"{title}: updated analysis")
        if rng.random() < 0.6
        else None
    )
    study.header(
        f"{experimental.abbreviation} vs {control.abbreviation}, randomized phase 3",
        mm("RandomizedPhase3"),
        mm("ProgressionFreeSurvival"),
        [primary.iri, *([update.iri] if update else [])],
    )
    cut = study.data_cut(1, primary, _follow_up(study, 100, 200))
    e_regimen = study.regimen("regimen-e", experimental)
    c_regimen = study.regimen("regimen-c", control)
    n_e = rng.randint(120, 350)
    e_resp = responses(rng, n_e, experimental.response_rate)
    c_resp = responses(rng, max(60, n_e + rng.randint(-12, 12)), control.response_rate)
    total = Responses(tuple(a + b for a, b in zip(e_resp.counts, c_resp.counts, strict=True)))
    lines = rng.choice((1, 1, 2, 3))
    itt = study.cohort(
        "itt",
        "PatientGroup",
        f"all {total.n} randomized patients",
        total,
        [*_eligibility(lines), ("mm:receivedRegimen", Many((e_regimen, c_regimen)))],
    )
    arms = [
        study.cohort(
            key,
            "Arm",
            f"{regimen.abbreviation} arm",
            resp,
            [("mm:receivedRegimen", iri), ("mm:subgroupOf", itt.iri)],
        )
        for key, regimen, resp, iri in (
            ("arm-e", experimental, e_resp, e_regimen),
            ("arm-c", control, c_resp, c_regimen),
        )
    ]
    study.stratification("arms", "randomized patients by arm", itt, arms)
    arm_sizes = [
        claims.size(
            study,
            arm,
            primary,
            f"{experimental.abbreviation if arm is arms[0] else control.abbreviation} (n = {arm.n})",
            cut,
        )
        for arm in arms
    ]
    _itt_size(study, itt, arms, arm_sizes, primary, cut)
    claims.prior_lines(study, itt, primary, lines, cut)
    for arm in arms:
        claims.response(study, arm, primary, ci=rng.random() < 0.5, cut=cut)
        claims.response(
            study, arm, primary, index=CR_INDEX, count=False, denominator=rng.random() < 0.7, cut=cut
        )
        if rng.random() < 0.3:
            claims.not_reported(study, arm, primary, VGPR_INDEX, cut)
    medians = _arm_medians(
        study, arms, primary, cut, (experimental.median_pfs, control.median_pfs), open_ended=True
    )
    claims.hazard_ratio(study, arms[0], arms[1], primary, hazard_ratio(rng, *medians), cut)
    if rng.random() < 0.5:
        claims.adverse_event(study, arms[0], primary, rng.choice(ADVERSE_EVENTS), cut)
    if rng.random() < 0.3:
        summary = study.summary_page(primary)
        claims.response(study, arms[0], summary, decimals=0, cut=cut)
    if update is not None:
        later = study.data_cut(2, update, _follow_up(study, 250, 480))
        medians = _arm_medians(study, arms, update, later, (experimental.median_pfs, control.median_pfs))
        claims.hazard_ratio(study, arms[0], arms[1], update, hazard_ratio(rng, *medians), later)


def _itt_size(
    study: Study, itt: Cohort, arms: list[Cohort], arm_sizes: list[Iri], source: Source, cut: Iri
) -> None:
    """The randomized total: printed, or derived from the arm sizes when only those are printed."""
    if study.rng.random() < 0.7:
        claims.size(study, itt, source, f"{itt.n} patients were randomly assigned", cut)
        return
    study.claim(
        f"{itt.key}-size-{source.key}",
        "Count",
        itt.iri,
        source,
        quote(source.iri, " or ".join(f"{a.label.split(': ', 1)[1]} (n = {a.n})" for a in arms), source.url),
        [("mm:count", itt.n), ("mm:measures", mm("CohortSize"))],
        cut=cut,
        derivation=DERIVED,
        note=f"The report gives only the arm sizes: {arms[0].n} + {arms[1].n} = {itt.n}.",
        derived_from=tuple(arm_sizes),
    )


def _arm_medians(
    study: Study,
    arms: list[Cohort],
    source: Source,
    cut: Iri,
    typical: tuple[float, float],
    *,
    open_ended: bool = False,
) -> tuple[float, float]:
    """Median PFS of each arm (the experimental one possibly not reached yet); returns the medians the
    hazard ratio follows (the typical one where a median is not reached)."""
    drawn = []
    for arm, months in zip(arms, typical, strict=True):
        value: Interval | Iri
        if arm is arms[0] and open_ended and months > 15 and study.rng.random() < 0.6:
            value = NOT_REACHED
            drawn.append(months)
        else:
            value = median_months(study.rng, months)
            drawn.append(value.estimate / 10)
        claims.median(
            study, arm, source, "ProgressionFreeSurvival", value, claims.median_words("PFS", value), cut
        )
    return drawn[1], drawn[0]


def single_arm(study: Study, design: str) -> None:
    """A single-arm phase 2 or phase 1b trial: its population, maybe a refractory subgroup, responses by
    category, medians and safety."""
    rng = study.rng
    regimen = rng.choice(SINGLE_ARM)
    phase2 = design == "Phase2"
    n = rng.randint(20, 160) if phase2 else rng.randint(18, 110)
    year = rng.randint(2010, 2024)
    kind = "JournalArticle" if phase2 or rng.random() < 0.6 else "ConferenceAbstract"
    phase = "phase 2" if phase2 else "phase 1b"
    source = study.publication(
        1, kind, year, f"{regimen.label()} in relapsed or refractory myeloma: a {phase} study"
    )
    study.header(f"{regimen.label()}, {phase}", mm(design), mm("Response"), [source.iri])
    cut = study.data_cut(1, source, _follow_up(study, 60, 240))
    regimen_iri = study.regimen("regimen", regimen)
    population = rng.choice(TRIAL_POPULATIONS)
    lines = rng.randint(1, 3) if population is None else rng.randint(2, 3)
    pairs: Pairs = _eligibility(lines)
    if population is not None:
        pairs.insert(0, ("mm:definingRefractoriness", study.drug_set(population)))
    resp = responses(rng, n, regimen.response_rate * (0.85 if population else 1.0))
    everyone = study.cohort(
        "all",
        "PatientGroup",
        f"all {n} treated patients",
        resp,
        [*pairs, ("mm:receivedRegimen", regimen_iri)],
    )
    claims.size(study, everyone, source, f"{n} patients were treated", cut)
    claims.response(study, everyone, source, ci=rng.random() < 0.6, cut=cut)
    if rng.random() < 0.5:
        for index in sorted(rng.sample(range(PR_INDEX + 1), 2)):
            claims.response(study, everyone, source, index=index, category=True, cut=cut)
    if rng.random() < 0.5:
        claims.response(
            study, everyone, source, index=VGPR_INDEX, count=False, decimals=rng.choice((0, 1)), cut=cut
        )
    pfs = median_months(rng, regimen.median_pfs, open_ended=rng.random() < 0.2)
    claims.median(
        study, everyone, source, "ProgressionFreeSurvival", pfs, claims.median_words("PFS", pfs), cut
    )
    if rng.random() < 0.4:
        os_value = rng.choice((NOT_REACHED, NOT_REPORTED))
        claims.median(
            study, everyone, source, "OverallSurvival", os_value, claims.median_words("OS", os_value), cut
        )
    if rng.random() < 0.7:
        claims.prior_lines(study, everyone, source, lines, cut)
    if rng.random() < 0.5:
        claims.adverse_event(study, everyone, source, rng.choice(ADVERSE_EVENTS), cut)
    if rng.random() < 0.5:
        _refractory_subgroup(study, everyone, source, regimen_iri, population, cut)
    if rng.random() < 0.25:
        claims.response(study, everyone, study.summary_page(source), decimals=0, cut=cut)


def _refractory_subgroup(
    study: Study, everyone: Cohort, source: Source, regimen: Iri, population: DrugSet | None, cut: Iri
) -> None:
    """A subgroup refractory to another drug set: its share of the population and its own response."""
    rng = study.rng
    drugs = rng.choice([d for d in TRIAL_SUBGROUPS if d is not population])
    size = max(3, binomial(rng, everyone.n, rng.uniform(0.3, 0.8)))
    drugs_iri = study.drug_set(drugs)
    subgroup = study.cohort(
        f"{drugs.key}-refractory",
        "Subgroup",
        f"patients refractory to {drugs.label}",
        subset(rng, everyone.responses, size),
        [
            ("mm:definingRefractoriness", drugs_iri),
            ("mm:receivedRegimen", regimen),
            ("mm:subgroupOf", everyone.iri),
        ],
    )
    claims.refractory_share(study, everyone, source, drugs_iri, drugs.label, size)
    claims.size(study, subgroup, source, f"patients refractory to {drugs.label} (n = {size})", cut)
    claims.response(study, subgroup, source, cut=cut)
