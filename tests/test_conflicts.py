"""The integrity rules find the real discrepancies of the letter and its sources, and nothing else."""

from __future__ import annotations

from collections import Counter

from kb.namespaces import ID, MM


def _by_rule(kb):
    return Counter(str(f.rule).rsplit("#", 1)[1] for f in kb.conflicts)


def test_every_rule_fires_on_the_shipped_data(kb):
    assert _by_rule(kb) == {
        "PatientVersusAggregate": 2,
        "SourcesDisagree": 1,
        "PercentWithoutCount": 4,
        "CategoriesExceedCohort": 1,
        "OverlappingCohorts": 1,
        "RangeOutsideEligibility": 1,
    }


def _involving(kb, rule, record):
    return [f for f in kb.conflicts if f.rule == rule and ID[record] in f.involves]


def test_letter_text_versus_its_table(kb):
    # "Both patients for whom lenalidomide was added achieved a PR" but Table 1 gives Patient 4 VGPR.
    (len_pr,) = _involving(kb, MM.PatientVersusAggregate, "athens-agg-len-pr")
    assert "records give 1" in len_pr.message
    assert ID["athens-p4-dara-imid-response"] in len_pr.involves
    # "2 were refractory to lenalidomide" but Table 1 marks all six lenalidomide refractory.
    (len_refr,) = _involving(kb, MM.PatientVersusAggregate, "athens-agg-len-refractory")
    assert "records give 6" in len_refr.message


def test_nooka_refractory_to_both_letter_versus_summary(kb):
    (finding,) = [f for f in kb.conflicts if f.rule == MM.SourcesDisagree]
    assert "33" in finding.message and "35" in finding.message


def test_pollux_percentages_fit_no_count_over_the_arm_sizes(kb):
    findings = [f for f in kb.conflicts if f.rule == MM.PercentWithoutCount]
    text = " ".join(f.message for f in findings)
    for printed in ("92.9%", "76.4%", "43.1%", "19.2%"):
        assert printed in text


def test_nooka_strata_overlap(kb):
    (finding,) = [f for f in kb.conflicts if f.rule == MM.CategoriesExceedCohort]
    assert "53" in finding.message and "41" in finding.message


def test_sirius_inside_pooled_analysis_is_flagged(kb):
    (finding,) = [f for f in kb.conflicts if f.rule == MM.OverlappingCohorts]
    assert set(finding.involves) == {ID["pooled-dara16"], ID["sirius-dara16"]}


def test_phase1b_range_below_stated_bound(kb):
    (finding,) = [f for f in kb.conflicts if f.rule == MM.RangeOutsideEligibility]
    assert "minimum of 1" in finding.message


def test_findings_are_recorded_in_the_graph(kb):
    rows = kb.select("SELECT ?c ?rule WHERE { ?c a mm:Conflict ; mm:rule ?rule ; mm:message ?m }")
    assert len(rows) == len(kb.conflicts)
    assert kb.store.ask("ASK { ?c a mm:Conflict ; mm:involves id:athens-agg-len-pr }")


def test_conflict_iris_are_stable(kb):
    from kb.knowledge_base import KnowledgeBase

    again = KnowledgeBase.open()
    assert [f.iri for f in again.conflicts] == [f.iri for f in kb.conflicts]
