"""Questions a hematologist would ask of the evidence graph, answered from the curated sources."""

from __future__ import annotations

from decimal import Decimal

from kb.namespaces import ID, MM


def test_six_patients_at_least_mr_from_patient_records(kb):
    rows = kb.select("""
        SELECT ?label ?response WHERE {
          ?p mm:memberOf id:athens-all ; mm:patientLabel ?label .
          ?a a mm:ResponseAssessment ; mm:about ?p ; mm:toRegimen ?r ; mm:bestResponse ?response .
          id:athens-all mm:receivedRegimen ?r .
        } ORDER BY ?label""")
    responses = {str(r["label"]): r["response"] for r in rows}
    assert responses == {
        "Patient 1": MM.PD,
        "Patient 2": MM.MR,
        "Patient 3": MM.MR,
        "Patient 4": MM.VGPR,
        "Patient 5": MM.PR,
        "Patient 6": MM.VGPR,
    }
    at_least_mr = kb.select("""
        SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
          ?p mm:memberOf id:athens-all .
          ?a a mm:ResponseAssessment ; mm:about ?p ; mm:bestResponse ?c .
          ?c mm:responseRank ?rank . mm:MR mm:responseRank ?mr . FILTER(?rank >= ?mr)
        }""")
    assert int(at_least_mr[0]["n"]) == 5


def test_letter_states_five_of_six_with_its_quote(kb):
    rows = kb.select("""
        SELECT ?n ?d ?exact WHERE {
          ?m a mm:Proportion ; mm:about id:athens-all ; mm:measures mm:Response ;
             mm:responseThreshold mm:MR ; mm:numerator ?n ; mm:denominator ?d ;
             mm:source id:pub-letter-athens ;
             mm:evidence/oa:hasSelector/oa:exact ?exact .
        }""")
    assert [(int(r["n"]), int(r["d"])) for r in rows] == [(5, 6)]
    assert "5 out of 6 patients achieved at least a MR" in str(rows[0]["exact"])


def test_which_imid_each_patient_received(kb):
    rows = kb.select("""
        SELECT ?label ?drug WHERE {
          ?p mm:memberOf id:athens-all ; mm:patientLabel ?label .
          ?t a mm:Treatment ; mm:about ?p ; mm:toRegimen/mm:component/mm:drug ?drug .
          ?drug skos:broader mm:IMiD .
        }""")
    received = {str(r["label"]): r["drug"] for r in rows}
    pom, len_ = MM.pomalidomide, MM.lenalidomide
    assert received == {
        "Patient 1": pom,
        "Patient 2": pom,
        "Patient 3": pom,
        "Patient 4": len_,
        "Patient 5": len_,
        "Patient 6": pom,
    }


def test_pooled_median_pfs_with_source(kb):
    rows = kb.select("""
        SELECT ?median ?lo ?hi ?source ?verification WHERE {
          ?m a mm:TimeToEventMedian ; mm:about id:pooled-dara16 ; mm:measures mm:ProgressionFreeSurvival ;
             mm:median ?median ; mm:source ?source .
          OPTIONAL { ?m mm:ciLow ?lo ; mm:ciHigh ?hi }
          OPTIONAL { ?m mm:verification ?verification }
          FILTER NOT EXISTS { ?m mm:atDataCut/mm:cutSequence 2 }
        }""")
    by_source = {r["source"]: r for r in rows}
    primary = by_source[ID["pub-usmani-2016"]]
    expected = [Decimal(v) for v in ("4.0", "2.8", "5.6")]
    assert [primary[k].toPython() for k in ("median", "lo", "hi")] == expected
    assert primary["verification"] == MM.ReadInPublicCopy
    assert by_source[ID["pub-letter-athens"]]["median"].toPython() == 4.0


def test_damaged_table_rows_stay_unassigned(kb):
    lines = kb.select("""
        SELECT ?value WHERE {
          ?q a mm:Quantity ; mm:about id:athens-p1 ; mm:measures mm:PriorLinesOfTherapy ; mm:value ?value .
        }""")
    assert [r["value"] for r in lines] == [MM.LostInExtraction]
    surviving = kb.select("""
        SELECT ?text ?n WHERE {
          ?u a mm:UnassignedRowValues ; mm:survivingText ?text ; mm:survivingValueCount ?n ;
             mm:evidence/oa:hasSelector/mm:rowLabel "Lines of prior therapies" .
        }""")
    assert [(str(r["text"]), int(r["n"])) for r in surviving] == [("13", 1)]


def test_carfilzomib_refractoriness_is_unknown_per_patient(kb):
    rows = kb.select("""
        SELECT ?value WHERE {
          ?p mm:memberOf id:athens-all .
          ?r a mm:Refractoriness ; mm:about ?p ; mm:refractoryTo mm:carfilzomib ; mm:refractory ?value .
        }""")
    assert len(rows) == 6 and {r["value"] for r in rows} == {MM.NotReported}


def test_any_imid_finds_lenalidomide(kb):
    rows = kb.select("SELECT ?drug WHERE { ?drug skos:broader mm:IMiD }")
    assert {r["drug"] for r in rows} == {MM.thalidomide, MM.lenalidomide, MM.pomalidomide}


def test_response_thresholds_follow_the_imwg_scale(kb):
    rows = kb.select("""
        SELECT ?c WHERE { ?c mm:responseRank ?r . mm:PR mm:responseRank ?pr . FILTER(?r >= ?pr) }""")
    assert {r["c"] for r in rows} == {MM.sCR, MM.CR, MM.VGPR, MM.PR}
    assert kb.store.ask("ASK { mm:sCR mm:betterThan+ mm:PD }")


def test_report_lineage_links_sirius_into_the_pooled_analysis(kb):
    assert kb.store.ask("ASK { id:pooled-dara16 mm:includesPatientsOf id:sirius-dara16 }")
    assert kb.store.ask("ASK { id:study-gen501-sirius-pooled mm:pools id:study-sirius }")


def test_letter_cites_22_references(kb):
    rows = kb.select("""
        SELECT ?n ?title WHERE {
          ?c a mm:Citation ; mm:citingWork id:pub-letter-athens ; mm:referenceNumber ?n ; mm:citedWork ?w .
          OPTIONAL { ?w dcterms:title ?title }
        } ORDER BY ?n""")
    assert [int(r["n"]) for r in rows] == list(range(1, 23))
    assert str(rows[10]["title"]).startswith("Clinical efficacy of daratumumab monotherapy")


def test_pollux_hazard_ratio_names_its_comparator(kb):
    rows = kb.select("""
        SELECT ?hr ?lo ?hi ?p WHERE {
          ?m a mm:HazardRatio ; mm:about id:pollux-drd ; mm:comparedTo id:pollux-rd ;
             mm:estimate ?hr ; mm:ciLow ?lo ; mm:ciHigh ?hi ; mm:pValueBelow ?p ;
             mm:atDataCut id:pollux-cut-primary ; mm:source id:pub-dimopoulos-2016 .
        }""")
    values = [tuple(r[k].toPython() for k in ("hr", "lo", "hi", "p")) for r in rows]
    assert values == [tuple(Decimal(v) for v in ("0.37", "0.27", "0.52", "0.001"))]


def test_pooled_orr_count_is_reconstructed_not_curated(kb):
    rows = kb.select("""
        SELECT ?numerator ?candidate ?origin WHERE {
          id:pooled-orr-usmani2016 mm:numerator ?numerator ; mm:numeratorCandidate ?candidate ;
                                   mm:countOrigin ?origin .
        }""")
    assert [(r["numerator"], int(r["candidate"]), r["origin"]) for r in rows] == [
        (MM.NotReported, 46, MM.CountDerived)
    ]
