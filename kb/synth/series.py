"""Retrospective and case-based studies: a retrospective series stratified by prior exposure, and case
series or case reports whose patients are reported one by one."""

from __future__ import annotations

from kb.synth import claims
from kb.synth.figures import Responses, decimal, responses
from kb.synth.rdf_text import Iri
from kb.synth.records import Cohort, Source, Study, cell, quote
from kb.synth.vocabulary import (
    ADVERSE_EVENTS,
    CATEGORIES,
    DARA_MONOTHERAPY,
    NOT_REPORTED,
    RECONSTRUCTED,
    RETREATMENT,
    RETREATMENT_POPULATIONS,
    SEXES,
    SINGLE_ARM,
    YEARS,
    mm,
)


def retrospective(study: Study) -> None:
    """A retrospective series: patients naive to a drug set and patients refractory to it, as strata of
    the whole; an abstract prints some figures, a summary page others (one hedged)."""
    rng = study.rng
    regimen = rng.choice(RETREATMENT + SINGLE_ARM[3:6])
    drugs = rng.choice(RETREATMENT_POPULATIONS)
    year = rng.randint(2014, 2024)
    abstract = study.publication(
        1, "ConferenceAbstract", year, f"{regimen.label()} in relapsed myeloma: a retrospective analysis"
    )
    summary = study.summary_page(abstract)
    study.header(
        f"{regimen.label()}, by prior {drugs.label} (retrospective)",
        mm("RetrospectiveSeries"),
        mm("Response"),
        [abstract.iri, summary.iri],
    )
    regimen_iri = study.regimen("regimen", regimen)
    drugs_iri = study.drug_set(drugs)
    naive_resp = responses(rng, rng.randint(8, 40), regimen.response_rate * 1.2)
    refractory_resp = responses(rng, rng.randint(8, 40), regimen.response_rate * 0.7)
    total = Responses(tuple(a + b for a, b in zip(naive_resp.counts, refractory_resp.counts, strict=True)))
    everyone = study.cohort(
        "all", "PatientGroup", f"all {total.n} patients", total, [("mm:receivedRegimen", regimen_iri)]
    )
    strata = [
        study.cohort(
            key,
            "Subgroup",
            f"{status} {drugs.label}",
            resp,
            [(relation, drugs_iri), ("mm:subgroupOf", everyone.iri)],
        )
        for key, status, relation, resp in (
            ("naive", "naive to", "mm:definingExposure", naive_resp),
            ("refractory", "refractory to", "mm:definingRefractoriness", refractory_resp),
        )
    ]
    study.stratification("strata", f"patients by prior {drugs.label}", everyone, strata)
    claims.size(study, everyone, abstract, f"{everyone.n} patients were treated")
    for stratum in strata:
        claims.size(study, stratum, abstract, f"{stratum.label.split(': ', 1)[1]} (n = {stratum.n})")
    claims.response(study, everyone, abstract)
    claims.response(study, strata[0], abstract, count=False, decimals=rng.choice((0, 1)))
    claims.response(study, strata[1], summary, count=False, hedged=True)
    months = decimal(round(10 * regimen.median_pfs * rng.lognormvariate(0, 0.2)), 1)
    claims.time_value(study, everyone, summary, months, f"PFS {months} months overall")
    if rng.random() < 0.5:
        claims.adverse_event(study, everyone, abstract, rng.choice(ADVERSE_EVENTS))


def case_series(study: Study, design: str) -> None:
    """A case series (3 to 5 patients) or case report (1 or 2) of patients who progressed on
    daratumumab monotherapy, treated with a regimen that keeps or re-intensifies it."""
    rng = study.rng
    n = rng.randint(3, 5) if design == "CaseSeries" else rng.randint(1, 2)
    regimen = rng.choice(RETREATMENT)
    drugs = rng.choice(RETREATMENT_POPULATIONS)
    letter = study.publication(
        1, "Letter", rng.randint(2016, 2024), f"{regimen.label()} after progression on daratumumab"
    )
    label = "case series" if design == "CaseSeries" else "case report"
    study.header(f"{regimen.label()} after daratumumab ({label})", mm(design), mm("Response"), [letter.iri])
    prior = study.regimen("prior-regimen", DARA_MONOTHERAPY)
    regimen_iri = study.regimen("regimen", regimen)
    drugs_iri = study.drug_set(drugs)
    resp = responses(rng, n, regimen.response_rate)
    everyone = study.cohort(
        "all",
        "PatientGroup",
        f"all {n} patients" if n > 1 else "the one patient",
        resp,
        [
            ("mm:definingRefractoriness", drugs_iri),
            ("mm:priorRegimen", prior),
            ("mm:receivedRegimen", regimen_iri),
        ],
    )
    who = f"{n} patients who" if n > 1 else "a patient who"
    claims.size(study, everyone, letter, f"we report {who} progressed on daratumumab monotherapy")
    stated = claims.refractory_share(study, everyone, letter, drugs_iri, drugs.label, n)
    claims.response(study, everyone, letter)
    categories = resp.patients()
    rng.shuffle(categories)
    for number, category in enumerate(categories, start=1):
        _patient(study, everyone, letter, number, category, regimen_iri, (drugs.members, drugs.label, stated))


def _patient(
    study: Study,
    everyone: Cohort,
    letter: Source,
    number: int,
    category: int,
    regimen: Iri,
    refractory: tuple[tuple[Iri, ...], str, Iri],
) -> None:
    """One patient's records: best response (a table cell, sometimes not reported), refractoriness read
    from the letter's statement about all patients, and sometimes sex and age."""
    rng = study.rng
    column = f"Patient {number}"
    patient = study.add(
        study.id(f"p{number}"),
        [("a", mm("Patient")), ("mm:memberOf", everyone.iri), ("mm:patientLabel", column)],
    )
    best = NOT_REPORTED if rng.random() < 0.1 else CATEGORIES[category]
    study.claim(
        f"p{number}-response",
        "ResponseAssessment",
        patient,
        letter,
        cell(letter.iri, "Table 1", "Best response", column),
        [("mm:bestResponse", best), ("mm:toRegimen", regimen)],
    )
    drugs, label, stated = refractory
    words = claims.all_refractory(everyone.n, label)
    for drug in drugs:
        study.claim(
            f"p{number}-{drug.split(':', 1)[1]}-refractory",
            "Refractoriness",
            patient,
            letter,
            quote(letter.iri, words),
            [("mm:refractory", True), ("mm:refractoryTo", drug)],
            derivation=RECONSTRUCTED,
            note=f'The letter says "{words}", which covers {column}.',
            derived_from=(stated,),
        )
    if rng.random() < 0.3:
        study.claim(
            f"p{number}-sex",
            "Observation",
            patient,
            letter,
            cell(letter.iri, "Table 1", "Sex", column),
            [("mm:attribute", mm("Sex")), ("mm:valueConcept", rng.choice(SEXES))],
        )
    if rng.random() < 0.3:
        study.claim(
            f"p{number}-age",
            "Quantity",
            patient,
            letter,
            cell(letter.iri, "Table 1", "Age, y", column),
            [("mm:measures", mm("Age")), ("mm:unit", YEARS), ("mm:value", rng.randint(45, 84))],
        )
