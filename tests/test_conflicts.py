"""The integrity rules find the real discrepancies of the letter and its sources, and nothing else."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rdflib import Graph, URIRef

from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID, MM
from kb.paths import curated_files
from kb.reasoning.conflicts import Finding


def _by_rule(findings: list[Finding]) -> Counter[str]:
    return Counter(str(f.rule).rsplit("#", 1)[1] for f in findings)


def _involving(kb: KnowledgeBase, rule: URIRef, record: str) -> list[Finding]:
    return [f for f in kb.conflicts if f.rule == rule and ID[record] in f.involves]


def _edited(tmp_path: Path, stem: str, remove: list[tuple], add: list[tuple] = ()) -> KnowledgeBase:
    """The shipped knowledge base with triples removed from (and added to) one curated file."""
    files = []
    for path in curated_files():
        if path.stem != stem:
            files.append(path)
            continue
        graph = Graph().parse(path, format="turtle")
        for triple in remove:
            graph.remove(triple)
        for triple in add:
            graph.add(triple)
        copy = tmp_path / path.name
        graph.serialize(copy, format="turtle")
        files.append(copy)
    return KnowledgeBase.open(files)


def test_conflicts_on_the_shipped_data(kb: KnowledgeBase) -> None:
    assert _by_rule(kb.conflicts) == {
        "PatientVersusAggregate": 1,
        "SourcesDisagree": 1,
        "PercentWithoutCount": 4,
        "OverlappingCohorts": 1,
        "RangeOutsideEligibility": 1,
    }


# ---------------------------------------------------------------- readings are interpretations


def test_lenalidomide_reading_is_an_interpretation_not_a_conflict(kb: KnowledgeBase) -> None:
    # "4 patients were refractory to pomalidomide and 2 were refractory to lenalidomide" against
    # Table 1's six "Yes": the letter counts the most recent IMiD.
    assert not [f for f in kb.conflicts if ID["athens-agg-len-refractory"] in f.involves]
    (resolved,) = [r for r in kb.resolved if ID["athens-agg-len-refractory"] in r.finding.involves]
    assert resolved.finding.rule == MM.PatientVersusAggregate
    assert "records give 6" in resolved.finding.message
    assert resolved.interpretation.iri == ID["athens-interp-most-recent-imid"]
    assert "most recent IMiD" in resolved.interpretation.reading
    assert any("most recent IMiD" in q for q in resolved.interpretation.quotes)
    assert kb.store.ask(
        "ASK { ?f a mm:ResolvedFinding ; mm:resolvedBy id:athens-interp-most-recent-imid ;"
        " mm:involves id:athens-agg-len-refractory . FILTER NOT EXISTS { ?f a mm:Conflict } }"
    )


def test_without_the_interpretation_the_finding_is_a_conflict(tmp_path: Path) -> None:
    interp = ID["athens-interp-most-recent-imid"]
    kb = _edited(tmp_path, "athens-dara-imid", [(interp, None, None)])
    (finding,) = _involving(kb, MM.PatientVersusAggregate, "athens-agg-len-refractory")
    assert "states 2 of 6" in finding.message and "records give 6" in finding.message
    assert not kb.resolved


def test_an_interpretation_must_read_every_claim_of_the_finding(tmp_path: Path) -> None:
    # Reading only the text claim and five of the six table cells resolves nothing.
    interp = ID["athens-interp-most-recent-imid"]
    kb = _edited(tmp_path, "athens-dara-imid", [(interp, MM.reads, ID["athens-p6-len-refractory"])])
    assert _involving(kb, MM.PatientVersusAggregate, "athens-agg-len-refractory")


def test_text_against_its_table_keeps_the_source_words(kb: KnowledgeBase) -> None:
    # "Both patients for whom lenalidomide was added achieved a PR" but Table 1 gives Patient 4 VGPR.
    (len_pr,) = _involving(kb, MM.PatientVersusAggregate, "athens-agg-len-pr")
    assert "records give 1" in len_pr.message
    assert '"Both patients for whom lenalidomide was added achieved a PR' in len_pr.message
    assert ID["athens-p4-dara-imid-response"] in len_pr.involves


# ---------------------------------------------------------------- subgroups are not strata


def test_no_nooka_53_of_41_finding(kb: KnowledgeBase) -> None:
    # Cohort 3 (12) lies inside cohort 2 (22): the outermost strata are 19 + 22 = 41.
    assert not [f for f in kb.conflicts if f.rule == MM.CategoriesExceedCohort]
    assert not [f for f in kb.conflicts if "53" in f.message]


def test_strata_that_are_not_nested_still_overlap(tmp_path: Path) -> None:
    kb = _edited(tmp_path, "nooka-2016", [(ID["nooka-cohort3"], MM.subgroupOf, ID["nooka-cohort2"])])
    (finding,) = [f for f in kb.conflicts if f.rule == MM.CategoriesExceedCohort]
    assert "= 53" in finding.message and "41" in finding.message
    assert {ID["nooka-cohort1-size-oncpharm"], ID["nooka-all-size-oncpharm"]} <= set(finding.involves)


# ---------------------------------------------------------------- hedges


def test_33_against_nearly_35_keeps_the_hedge(kb: KnowledgeBase) -> None:
    # The letter's "33%" and the summary's "nearly 35%" of Nooka's cohort 3 (12 patients).
    (finding,) = [f for f in kb.conflicts if f.rule == MM.SourcesDisagree]
    assert set(finding.involves) == {
        ID["nooka-cohort3-response-letter"],
        ID["nooka-cohort3-response-oncpharm"],
    }
    assert "gives percent 33," in finding.message
    assert '~35 (printed: cohort 3 "nearly 35%")' in finding.message
    assert "gives 35." not in finding.message
    # Both printed figures admit 4 of 12, and the message says so.
    assert finding.message.endswith("Over 12 patients both admit 4.")


def test_a_hedge_is_not_printed_when_there_is_none(tmp_path: Path) -> None:
    claim = ID["nooka-cohort3-response-oncpharm"]
    kb = _edited(tmp_path, "nooka-2016", [(claim, MM.hedged, None)])
    (finding,) = [f for f in kb.conflicts if f.rule == MM.SourcesDisagree]
    assert "~" not in finding.message and "gives 35." in finding.message


# ---------------------------------------------------------------- the remaining findings


def test_pollux_percentages_fit_no_count_over_the_arm_sizes(kb: KnowledgeBase) -> None:
    findings = [f for f in kb.conflicts if f.rule == MM.PercentWithoutCount]
    text = " ".join(f.message for f in findings)
    for printed in ("92.9%", "76.4%", "43.1%", "19.2%"):
        assert printed in text
    assert all(
        ID["pollux-drd-size-dimopoulos2016"] in f.involves
        or ID["pollux-rd-size-dimopoulos2016"] in f.involves
        for f in findings
    )


def test_sirius_inside_pooled_analysis_names_the_claims(kb: KnowledgeBase) -> None:
    (finding,) = [f for f in kb.conflicts if f.rule == MM.OverlappingCohorts]
    assert {ID["sirius-orr-lonial2016"], ID["pooled-orr-usmani2016"]} <= set(finding.involves)
    assert ID["pooled-dara16"] not in finding.involves


def test_phase1b_range_below_stated_bound(kb: KnowledgeBase) -> None:
    (finding,) = [f for f in kb.conflicts if f.rule == MM.RangeOutsideEligibility]
    assert "minimum of 1" in finding.message


def test_every_involved_record_is_a_claim(kb: KnowledgeBase) -> None:
    for finding in [*kb.conflicts, *(r.finding for r in kb.resolved)]:
        for record in finding.involves:
            assert kb.store.ask("ASK { ?c mm:about ?a ; mm:source ?s }", {"c": record}), (finding.iri, record)


def test_findings_are_recorded_in_the_graph(kb: KnowledgeBase) -> None:
    rows = kb.select("SELECT ?c ?rule WHERE { ?c a mm:Conflict ; mm:rule ?rule ; mm:message ?m }")
    assert len(rows) == len(kb.conflicts)
    assert kb.store.ask("ASK { ?c a mm:Conflict ; mm:involves id:athens-agg-len-pr }")


def test_conflict_iris_are_stable(kb: KnowledgeBase) -> None:
    again = KnowledgeBase.open()
    assert [f.iri for f in again.conflicts] == [f.iri for f in kb.conflicts]
