"""The response-rate comparison on the shipped data and on small fixtures, against the sources."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy import stats as scipy_stats

from kb.analysis.cohort_reads import missingness_labels
from kb.analysis.response_rate import Filters, OptionError, hazard_ratio_rows, response_rates
from kb.analysis.response_table import NotPooled, Pooled
from kb.analysis.stats import proportion_ci
from kb.analysis.values import NOT_ESTIMABLE, NOT_REACHED, NOT_REPORTED, REPORTED, Interval
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.render.numbers import hazard_ratio_text, median_text

MINI = Path(__file__).parent / "fixtures" / "mini"


def _row(table, cohort_id: str):
    (row,) = [r for r in table.rows if r.cohort_id.endswith("/" + cohort_id)]
    return row


@pytest.fixture(scope="module")
def by_refractory(kb):
    return response_rates(kb)


def test_reported_count_with_the_printed_interval(by_refractory):
    sirius = _row(by_refractory, "sirius-dara16")
    assert (sirius.responders, sirius.n, sirius.rate_pct) == (31, 106, 29.2)
    assert (sirius.ci_low_pct, sirius.ci_high_pct) == (20.8, 38.9)  # as the Lancet paper prints it
    assert sirius.count_origin == "reported"
    assert "OVERLAPPING_COHORTS" in sirius.caveats  # its patients are inside the pooled analysis


def test_count_derived_from_the_printed_percentage(by_refractory):
    pooled = _row(by_refractory, "pooled-dara16")
    assert (pooled.responders, pooled.n, pooled.count_origin) == (46, 148, "derived")
    assert {"RECONSTRUCTED", "OVERLAPPING_COHORTS"} <= set(pooled.caveats)
    median = pooled.median_pfs
    assert median is not None
    assert (median.estimate, median.interval, median.unit, median.status) == (
        4.0,
        Interval(2.8, 5.6),  # the source states no level for this interval
        "months",
        REPORTED,
    )
    assert median.claim.endswith("/pooled-pfs-usmani2016") and median.source.startswith("Usmani 2016")
    assert median_text(median) == "4.0 (2.8-5.6) mo"
    assert pooled.sources[0].publication.endswith("pub-usmani-2016")


def test_unknown_denominator_is_not_the_arm_size(by_refractory):
    # POLLUX prints 92.9% and 76.4% over response-evaluable patients whose number it does not give.
    for cohort, printed in (("pollux-drd", "92.9"), ("pollux-rd", "76.4")):
        row = _row(by_refractory, cohort)
        assert (row.n, row.responders, row.candidates, row.ci_low_pct) == (None, None, (), None)
        assert row.n_unknown and row.x_over_n == "?/not reported" and row.printed_pct == printed
        # No whole number of the 286 (283) randomized patients gives the printed figure.
        assert {"UNKNOWN_DENOMINATOR", "NOT_OVER_COHORT_SIZE"} <= set(row.caveats)
        assert "INCONSISTENT_COUNT" not in row.caveats and not row.derivation
    drd = _row(by_refractory, "pollux-drd")
    hr = drd.hazard_ratio
    assert hr is not None
    assert (hr.estimate, hr.interval, hr.status) == (0.37, Interval(0.27, 0.52, 0.95), REPORTED)
    assert (hr.comparator_id.rsplit("/", 1)[1], hr.comparator) == (
        "pollux-rd",
        "POLLUX: lenalidomide + dexamethasone arm (Rd)",
    )
    assert (hr.p_value, hr.p_value_below, hr.data_cut, hr.endpoint) == (
        None,
        0.001,
        1,
        "progression-free survival",
    )
    assert hazard_ratio_text(hr) == "0.37 (0.27-0.52) vs POLLUX: lenalidomide + dexamethasone arm (Rd)"
    median = drd.median_pfs
    assert median is not None and (median.estimate, median.status) == (None, NOT_REACHED)
    assert median_text(median) == "NR" and "IMMATURE_MEDIAN" in drd.caveats


def test_unknown_denominators_yield_no_counts(kb):
    rows = kb.select("""
        SELECT ?claim ?candidate WHERE {
          ?claim mm:about ?arm ; mm:numeratorCandidate ?candidate . ?arm mm:ofStudy id:study-pollux .
        }""")
    assert rows == []


def test_letter_patients_are_counted_from_their_records(by_refractory):
    whole = [
        r
        for r in by_refractory.rows
        if r.cohort_id.endswith("/athens-all") and "RESPONSE_TO_PRIOR_REGIMEN" not in r.caveats
    ]
    assert [(r.responders, r.n) for r in whole] == [(3, 6)]  # VGPR, PR, VGPR of six
    assert whole[0].count_origin == "reconstructed"
    assert "CONFLICT" in whole[0].caveats  # Patient 4: VGPR in the table, PR in the text
    prior = [r for r in by_refractory.rows if "RESPONSE_TO_PRIOR_REGIMEN" in r.caveats]
    assert [(r.responders, r.n) for r in prior] == [(4, 6)]  # to daratumumab monotherapy, per the text


def test_earlier_regimen_is_stratified_by_the_status_before_it(by_refractory):
    # "Four out of 6 had initially responded" to daratumumab monotherapy: they were not yet
    # daratumumab-refractory then, only refractory to the IMiD added later.
    (prior,) = [r for r in by_refractory.rows if "RESPONSE_TO_PRIOR_REGIMEN" in r.caveats]
    assert prior.stratum_key == "definingRefractoriness:IMiD"
    assert "daratumumab" not in prior.stratum_key
    dara_refractory = [r for r in by_refractory.rows if "daratumumab" in r.stratum_key.partition(":")[2]]
    assert dara_refractory and all("RESPONSE_TO_PRIOR_REGIMEN" not in r.caveats for r in dara_refractory)


def test_count_derived_from_every_figure_for_it(by_refractory):
    # The letter's 33% of 12 and the summary's "nearly 35%" of 12 admit only 4 responders.
    nooka3 = _row(by_refractory, "nooka-cohort3")
    assert (nooka3.responders, nooka3.n, nooka3.count_origin) == (4, 12, "derived")
    assert (nooka3.rate_pct, nooka3.ci_low_pct, nooka3.ci_high_pct) == (33.3, 9.9, 65.1)
    assert nooka3.rate_text == "33.3" and not nooka3.rate_approximate
    assert "RECONSTRUCTED" in nooka3.caveats and "AMBIGUOUS_COUNT" not in nooka3.caveats
    assert "~35% of 12" in nooka3.derivation and "33% of 12" in nooka3.derivation
    assert not nooka3.other_values


def test_only_candidates_show_the_printed_figure_as_approximate(by_refractory):
    nooka1 = _row(by_refractory, "nooka-cohort1")  # "~90%" and "nearly 90%" of 19
    assert nooka1.responders is None and nooka1.candidates == (17, 18)
    assert nooka1.rate_approximate and nooka1.rate_text == "~90"
    low17, _ = proportion_ci(17, 19)
    _, high18 = proportion_ci(18, 19)
    assert (nooka1.ci_low_pct, nooka1.ci_high_pct) == (round(100 * low17, 1), round(100 * high18, 1))
    assert "AMBIGUOUS_COUNT" in nooka1.caveats


def test_category_counts_give_the_count_at_a_threshold(kb):
    # Usmani 2016: 13 VGPR, 4 CR, 3 sCR of 148 at the 2016 data cut; the 2020 update's rounded 14% of 148
    # (20 or 21) is a later report and gives way.
    row = _row(response_rates(kb, threshold="VGPR"), "pooled-dara16")
    assert (row.responders, row.n, row.count_origin, row.data_cut) == (20, 148, "derived", "1")
    assert "13 VGPR" in row.derivation and "= 20" in row.derivation


def test_strata_keep_explicit_drug_sets_apart(by_refractory):
    strata = {}
    for row in by_refractory.rows:
        strata.setdefault(row.stratum_key, set()).add(row.cohort_id.rsplit("/", 1)[1])
    assert strata["definingRefractoriness:daratumumab,pomalidomide"] == {
        "athens-pom-added",
        "nooka-cohort3",
        "baertsch-all",
    }
    assert "athens-all" in strata["definingRefractoriness:IMiD,daratumumab"]
    assert "mmy1001-dpd-double-refractory" in strata["definingRefractoriness:IMiD,ProteasomeInhibitor"]
    assert strata["definingExposure:daratumumab,pomalidomide"] == {"nooka-cohort1"}
    # Clinical order: unselected, naive, then refractory; within a stratum by evidence level, then n.
    keys = list(dict.fromkeys(r.stratum_key for r in by_refractory.rows))
    assert keys[0] == "unselected" and keys[1].startswith("definingExposure")
    unselected = [r for r in by_refractory.rows if r.stratum_key == "unselected"]
    assert [r.evidence_rank for r in unselected] == sorted(r.evidence_rank for r in unselected)


def test_threshold_mr_for_the_six_patients(kb):
    table = response_rates(kb, threshold="MR")
    whole = [r for r in table.rows if r.cohort_id.endswith("/athens-all")]
    assert [(r.responders, r.n) for r in whole] == [(5, 6)]
    assert "best response MR or better" in table.footnotes()[0]


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
def test_other_interval_methods_on_request(kb, method):
    row = _row(response_rates(kb, ci_method=method), "sirius-dara16")
    low, high = proportion_ci(31, 106, method)
    assert (row.ci_low_pct, row.ci_high_pct) == (round(100 * low, 1), round(100 * high, 1))
    assert row.ci_method == method


def test_grouping_by_patient_attribute(kb):
    table = response_rates(kb, by="imid-added")
    counts = {r.cohort: (r.responders, r.n) for r in table.rows}
    assert counts["Athens case series: all 6 patients [imid-added: pomalidomide]"] == (1, 4)
    assert counts["Athens case series: all 6 patients [imid-added: lenalidomide]"] == (2, 2)


def test_grouping_by_regimen_merges_the_same_combination(kb):
    table = response_rates(kb, by="regimen")
    mono = [r for r in table.rows if r.stratum == "daratumumab"]
    assert {r.cohort_id.rsplit("/", 1)[1] for r in mono} >= {"sirius-dara16", "pooled-dara16"}
    assert any("DEFINITION_MISMATCH" in r.caveats for r in table.rows)


def test_filters(kb):
    pom = response_rates(kb, filters=Filters(drug="pomalidomide"))
    assert pom.rows and all("pollux" not in r.cohort_id for r in pom.rows)
    big = response_rates(kb, filters=Filters(min_n=10))
    assert all(r.n is not None and r.n >= 10 for r in big.rows)
    wanted = response_rates(kb, filters=Filters(refractory=frozenset({"daratumumab", "pomalidomide"})))
    keys = {r.stratum_key for r in wanted.rows}
    assert keys <= {"definingRefractoriness:daratumumab,pomalidomide", "unselected"}
    assert all("INDIRECT" in r.caveats for r in wanted.rows if r.stratum_key == "unselected")
    retro = response_rates(kb, filters=Filters(design="RetrospectiveSeries"))
    assert {r.study_id.rsplit("/", 1)[1] for r in retro.rows} == {"study-nooka-2016"}


def test_wrong_option_lists_the_valid_values(kb):
    with pytest.raises(OptionError, match="valid: PR, MR, VGPR, CR"):
        response_rates(kb, threshold="SD")
    with pytest.raises(OptionError, match="clopper-pearson"):
        response_rates(kb, ci_method="wald")


def test_pooling_gate_refuses_every_shipped_stratum(kb):
    table = response_rates(kb, pool=True)
    assert table.pooling and all(isinstance(p, NotPooled) for p in table.pooling)
    codes = {code for p in table.pooling for code, _ in p.failed}
    assert {"FEW_STUDIES", "RETROSPECTIVE", "RCT_ARM", "OVERLAPPING_COHORTS"} <= codes
    assert "No pooled estimate" in table.footnotes()[0]


STUDY = """@prefix mm: <https://w3id.org/mmkb/vocab#> .
@prefix id: <https://w3id.org/mmkb/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
id:study-pool-{i} a mm:Study ; rdfs:label "Pool study {i}" ; mm:design mm:Phase2 ;
    mm:reportedIn id:pub-example-2024 .
id:pool-{i}-all a mm:PatientGroup ; rdfs:label "Pool study {i}: all patients" ; mm:ofStudy id:study-pool-{i} ;
    mm:receivedRegimen id:example-dpd ; mm:definingRefractoriness id:pool-{i}-ds .
id:pool-{i}-ds a mm:DrugSet ; mm:member mm:bortezomib, mm:lenalidomide .
id:pool-{i}-orr a mm:Proportion ; mm:about id:pool-{i}-all ; mm:measures mm:Response ;
    mm:responseThreshold mm:PR ; mm:numerator {x} ; mm:denominator {n} ; mm:countOrigin mm:CountReported ;
    mm:source id:pub-example-2024 ; mm:derivation mm:Reported ; mm:verification mm:ReadInPublicCopy ;
    mm:evidence [ a oa:SpecificResource ; oa:hasSource id:pub-example-2024 ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "ORR {x}/{n}" ] ] ;
    prov:wasGeneratedBy id:curation-example-2024 .
"""


def test_pooling_allowed_for_three_comparable_prospective_studies(tmp_path):
    counts = [(10, 40), (11, 40), (12, 40)]  # homogeneous: tau^2 = 0
    files = [MINI / "agents.ttl", MINI / "bibliography.ttl", MINI / "example-2024.ttl"]
    for i, (x, n) in enumerate(counts):
        path = tmp_path / f"pool-{i}.ttl"
        path.write_text(STUDY.format(i=i, x=x, n=n))
        files.append(path)
    table = response_rates(KnowledgeBase.open(files), pool=True)
    stratum = "definingRefractoriness:bortezomib,lenalidomide"
    pooled = [p for p in table.pooling if p.stratum_key == stratum]
    assert pooled and isinstance(pooled[0], Pooled), pooled
    result = pooled[0]
    # Hand computation: tau^2 = 0, so the pooled logit is the inverse-variance mean; Hartung-Knapp CI.
    y = [math.log(x / (n - x)) for x, n in counts]
    w = [1 / (1 / x + 1 / (n - x)) for x, n in counts]
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    se = math.sqrt(sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) / (2 * sum(w)))
    t = scipy_stats.t.ppf(0.975, 2)
    expit = lambda v: 100 / (1 + math.exp(-v))  # noqa: E731
    assert result.k == 3 and result.tau2 == 0 and result.i2_pct == 0
    assert result.rate_pct == pytest.approx(expit(mu), abs=1e-6)
    assert (result.ci_low_pct, result.ci_high_pct) == (
        pytest.approx(expit(mu - t * se), abs=1e-6),
        pytest.approx(expit(mu + t * se), abs=1e-6),
    )
    assert "exploratory" in table.footnotes()[0]


REINTENSIFIED = """@prefix mm: <https://w3id.org/mmkb/vocab#> .
@prefix id: <https://w3id.org/mmkb/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
id:example-dpd-reintensified a mm:Regimen ; rdfs:label "Daratumumab re-intensified with Pd" ;
    mm:abbreviation "D-Pd" ;
    mm:component id:example-dpd-reint-daratumumab, id:example-dpd-pomalidomide, id:example-dpd-dexamethasone .
id:example-dpd-reint-daratumumab a mm:RegimenComponent ; mm:drug mm:daratumumab ; mm:dose 16 ;
    mm:doseUnit mm:mgPerKg ; mm:schedule mm:DaratumumabReintensified .
"""


def _pool_files(tmp_path: Path, regimens: list[str]) -> list[Path]:
    files = [MINI / "agents.ttl", MINI / "bibliography.ttl", MINI / "example-2024.ttl"]
    for i, (x, n) in enumerate([(10, 40), (11, 40), (12, 40)]):
        path = tmp_path / f"pool-{i}.ttl"
        path.write_text(STUDY.format(i=i, x=x, n=n).replace("id:example-dpd ;", f"id:{regimens[i]} ;"))
        files.append(path)
    extra = tmp_path / "reintensified.ttl"
    extra.write_text(REINTENSIFIED)
    return [*files, extra]


def test_different_schedules_are_different_regimens(tmp_path):
    # The same drugs, one study with daratumumab re-intensified: not one regimen, so not pooled.
    files = _pool_files(tmp_path, ["example-dpd", "example-dpd", "example-dpd-reintensified"])
    table = response_rates(KnowledgeBase.open(files), pool=True)
    stratum = "definingRefractoriness:bortezomib,lenalidomide"
    (decision,) = [p for p in table.pooling if p.stratum_key == stratum]
    assert isinstance(decision, NotPooled) and "MIXED_REGIMEN" in {c for c, _ in decision.failed}
    regimens = {r.cohort_id.rsplit("/", 1)[1]: r.regimen for r in table.rows if r.stratum_key == stratum}
    assert regimens["pool-2-all"] == "D-Pd (daratumumab re-intensified)"
    assert regimens["pool-0-all"] == "D-Pd (daratumumab approved schedule)"


def test_decisions_do_not_depend_on_display_labels(tmp_path):
    files = _pool_files(tmp_path, ["example-dpd"] * 3)
    relabel = tmp_path / "relabel.ttl"
    # Renaming the design and the regimen changes no decision.
    relabel.write_text(
        "@prefix mm: <https://w3id.org/mmkb/vocab#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix id: <https://w3id.org/mmkb/id/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'mm:RandomizedPhase3 skos:prefLabel "randomised trial, phase III"@en .\n'
        'mm:Phase2 skos:prefLabel "randomized phase 3 trial"@en .\n'
    )
    plain = response_rates(KnowledgeBase.open(files), pool=True)
    renamed = response_rates(KnowledgeBase.open([*files, relabel]), pool=True)
    stratum = "definingRefractoriness:bortezomib,lenalidomide"
    before = [p for p in plain.pooling if p.stratum_key == stratum]
    after = [p for p in renamed.pooling if p.stratum_key == stratum]
    assert isinstance(before[0], Pooled) and isinstance(after[0], Pooled)
    assert before[0].rate_pct == after[0].rate_pct
    arms = [p for p in renamed.pooling if isinstance(p, NotPooled) and "RCT_ARM" in {c for c, _ in p.failed}]
    assert arms == [
        p for p in plain.pooling if isinstance(p, NotPooled) and "RCT_ARM" in {c for c, _ in p.failed}
    ]


def test_refractory_classes_find_a_cohort_refractory_to_their_drugs(tmp_path):
    # The pool fixtures are refractory to bortezomib + lenalidomide: a PI and an IMiD.
    files = _pool_files(tmp_path, ["example-dpd"] * 3)
    kb = KnowledgeBase.open(files)
    found = response_rates(kb, filters=Filters(refractory=frozenset({"ProteasomeInhibitor", "IMiD"})))
    assert {"pool-0-all", "pool-1-all", "pool-2-all"} <= {r.cohort_id.rsplit("/", 1)[1] for r in found.rows}
    also = response_rates(kb, filters=Filters(refractory=frozenset({"PI", "lenalidomide"})))
    assert {r.cohort_id for r in also.rows} >= {r.cohort_id for r in found.rows if "pool-" in r.cohort_id}


def test_a_row_never_pairs_two_data_cuts(by_refractory, kb):
    # POLLUX's response figures are at the primary analysis: the median and HR beside them are too
    # (not 44.5 months or HR 0.44 from the 44.3-month update).
    drd = _row(by_refractory, "pollux-drd")
    assert drd.median_pfs is not None and drd.hazard_ratio is not None
    assert drd.data_cut == "1" and drd.median_pfs.data_cut == 1 and drd.hazard_ratio.data_cut == 1
    assert drd.median_pfs.status == NOT_REACHED and drd.hazard_ratio.estimate == 0.37
    rd = _row(response_rates(kb, threshold="CR"), "pollux-rd")  # latest cut: >=CR 23.2% at 44.3 months
    assert rd.data_cut == "3" and rd.printed_pct == "23.2" and rd.median_pfs is not None
    assert (rd.median_pfs.data_cut, rd.median_pfs.estimate, rd.median_pfs.interval) == (3, 17.5, None)
    assert median_text(rd.median_pfs) == "17.5 mo"


def test_a_median_the_source_does_not_give_is_not_filled_in(by_refractory):
    # SIRIUS's median PFS from the Lancet paper is curated as a typed unknown (mm:NotReported).
    median = _row(by_refractory, "sirius-dara16").median_pfs
    assert median is not None
    assert (median.estimate, median.status, median.interval) == (None, NOT_REPORTED, None)
    assert median_text(median) == "not reported"


def test_a_value_not_called_a_median_is_not_shown_as_one(by_refractory, kb):
    # The summary gives "5 months in cohort 3" for PFS without calling it a median.
    assert _row(by_refractory, "nooka-cohort3").median_pfs is None
    medians = kb.select("SELECT ?m WHERE { ?m a mm:TimeToEventMedian ; mm:about id:nooka-cohort3 }")
    assert medians == []


def test_status_words_are_the_ontology_labels_of_the_typed_unknowns(kb):
    labels = missingness_labels(kb)
    assert (labels[MM.NotReached], labels[MM.NotEstimable], labels[MM.NotReported]) == (
        NOT_REACHED,
        NOT_ESTIMABLE,
        NOT_REPORTED,
    )


def test_forest_hazard_ratios_keep_every_data_cut(by_refractory, kb):
    rows = hazard_ratio_rows(kb, by_refractory)
    figures = [
        (
            r.value.data_cut,
            r.value.estimate,
            r.value.interval.low,
            r.value.interval.high,
            r.value.interval.level,
        )
        for r in rows
        if r.value.interval is not None
    ]
    # Only the primary analysis states the interval's level (95%); the updates do not.
    assert figures == [(1, 0.37, 0.27, 0.52, 0.95), (2, 0.41, 0.31, 0.53, None), (3, 0.44, 0.35, 0.55, None)]
    assert len(rows) == 3 and {r.value.comparator_id.rsplit("/", 1)[1] for r in rows} == {"pollux-rd"}
    assert rows[0].label.endswith(": progression-free survival, data cut 1")
