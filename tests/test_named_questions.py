"""The named competency questions: each parses, runs on the fast engine, and answers from the sources."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.term import Node

from kb.analysis.questions import QUESTIONS_DIR, Question, parse_question, question, questions
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID, MM

ALL = questions()


def ask(kb: KnowledgeBase, name: str) -> list[dict[str, Node]]:
    return kb.select(question(name).text)


def number(term: Node | None) -> Decimal | None:
    """A numeric literal as a Decimal (None for an absent value or a typed unknown)."""
    if isinstance(term, Literal) and term.value is not None and not isinstance(term.value, bool):
        return Decimal(str(term.value))
    return None


def label(term: Node) -> str:
    return str(term).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


# --- the collection --------------------------------------------------------------------------


def test_at_least_twelve_questions_with_title_and_description():
    assert len(ALL) >= 12
    assert [q.name for q in ALL] == sorted(q.name for q in ALL)
    for q in ALL:
        assert q.title.strip(), q.name
        assert q.description.strip(), q.name
        assert q.returns, q.name


def test_package_marker_exists():
    assert (QUESTIONS_DIR / "__init__.py").is_file()


def test_unknown_question_lists_valid_names():
    with pytest.raises(KeyError) as excinfo:
        question("no-such-question")
    assert "median-pfs" in str(excinfo.value)


@pytest.mark.parametrize(
    "header",
    [
        "# description: d\n# returns: ?a\nSELECT ?a WHERE {}\n",
        "# title: t\n# returns: ?a\nSELECT ?a WHERE {}\n",
        "# title: t\n# description: d\nSELECT ?a WHERE {}\n",
        "# title: t\n# description: d\n# returns: a\nSELECT ?a WHERE {}\n",
        "# title: t\n# description: d\n# returns: ?a\n",
        "# title:\n# description: d\n# returns: ?a\nSELECT ?a WHERE {}\n",
    ],
)
def test_malformed_header_names_the_file(tmp_path: Path, header: str):
    path = tmp_path / "bad-question.rq"
    path.write_text(header, encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad-question\.rq"):
        parse_question(path)


def test_continuation_lines_join_the_description(tmp_path: Path):
    path = tmp_path / "ok.rq"
    path.write_text(
        "# title: T\n# description: first\n#   second\n# returns: ?a ?b\nSELECT ?a ?b WHERE {}\n",
        encoding="utf-8",
    )
    q = parse_question(path)
    assert (q.name, q.title, q.description, q.returns) == ("ok", "T", "first second", ("a", "b"))


@pytest.mark.parametrize("q", ALL, ids=[q.name for q in ALL])
def test_question_runs_and_returns_what_it_says(kb: KnowledgeBase, q: Question):
    result = kb.query(q.text)
    rows = list(result)
    assert tuple(str(v) for v in result.vars or ()) == q.returns
    assert rows, f"{q.name} has no answer"


# --- the answers -----------------------------------------------------------------------------


def test_imid_reintroduction_after_daratumumab(kb):
    rows = ask(kb, "imid-reintroduction-after-daratumumab")
    assert {r["study"] for r in rows} == {
        ID["study-athens-dara-imid"],
        ID["study-baertsch-2017"],
        ID["study-nooka-2016"],
    }
    athens = {
        label(r["subject"]): r["bestResponse"]
        for r in rows
        if "bestResponse" in r and r["cohort"] == ID["athens-all"]
    }
    assert athens == {
        "athens-p1": MM.PD,
        "athens-p2": MM.MR,
        "athens-p3": MM.MR,
        "athens-p4": MM.VGPR,
        "athens-p5": MM.PR,
        "athens-p6": MM.VGPR,
    }
    mr_or_better = [r for r in rows if r["subject"] == ID["athens-all"] and r.get("threshold") == MM.MR]
    assert [(number(r["numerator"]), number(r["denominator"])) for r in mr_or_better] == [(5, 6)]
    baertsch = sorted(r["bestResponse"] for r in rows if r["cohort"] == ID["baertsch-all"])
    assert baertsch == sorted([MM.MR, MM.PR])
    nooka = {
        r["source"]: (number(r["percent"]), "hedged" in r) for r in rows if r["cohort"] == ID["nooka-cohort3"]
    }
    assert nooka == {
        ID["pub-letter-athens"]: (Decimal(33), False),
        ID["web-oncpharm-nooka"]: (Decimal(35), True),
    }


def test_daratumumab_schedules(kb):
    rows = ask(kb, "daratumumab-schedules")
    received = {(r["study"], r["schedule"]) for r in rows if str(r["role"]) == "received"}
    assert (ID["study-athens-dara-imid"], MM.DaratumumabContinuedMonthly) in received
    assert (ID["study-baertsch-2017"], MM.DaratumumabReintensified) in received
    assert (ID["study-nooka-2016"], MM.DaratumumabReintensified) in received
    assert (ID["study-gen501-sirius-pooled"], MM.DaratumumabApprovedSchedule) in received
    assert (ID["study-mmy1001-dpd"], MM.DaratumumabApprovedSchedule) in received
    assert (ID["study-pollux"], MM.DaratumumabApprovedSchedule) in received
    athens = [r for r in rows if r["regimen"] in (ID["athens-dpd"], ID["athens-drd"])]
    assert {(number(r["dose"]), r["unit"]) for r in athens} == {(Decimal(16), MM.mgPerKg)}
    nooka = {r["regimen"]: r for r in rows if r["study"] == ID["study-nooka-2016"]}
    # Only the letter says Nooka re-intensified daratumumab; the summary of the abstract gives no schedule.
    assert str(nooka[ID["nooka-dpd-reintensified"]]["statedBy"]) == str(ID["pub-letter-athens"])
    assert nooka[ID["nooka-dpd"]]["schedule"] == MM.NotReported


def test_sources_disagree_on_nooka_cohort3(kb):
    rows = ask(kb, "sources-disagree")
    by_source = {r["source"]: r for r in rows}
    assert number(by_source[ID["pub-letter-athens"]]["percent"]) == 33
    assert number(by_source[ID["web-oncpharm-nooka"]]["percent"]) == 35
    assert by_source[ID["web-oncpharm-nooka"]]["hedged"].toPython() is True
    assert {r["about"] for r in rows} == {ID["nooka-cohort3"]}


def test_letter_versus_primary_side_by_side(kb):
    rows = ask(kb, "letter-versus-primary")
    table = {(label(r["letterClaim"]), label(r["property"])): r for r in rows}
    pfs = table[("pooled-pfs-letter", "median")]
    assert (number(pfs["letterValue"]), number(pfs["otherValue"])) == (4, 4)
    assert pfs["differs"].toPython() is False
    nooka = table[("nooka-cohort3-response-letter", "percent")]
    assert (number(nooka["letterValue"]), number(nooka["otherValue"])) == (33, 35)
    assert nooka["differs"].toPython() is True and nooka["otherHedged"].toPython() is True
    # "71% were refractory to both PIs and IMiDs": the phase 1b report's abstract gives no such figure.
    double = table[("mmy1001-dpd-double-refractory-letter", "percent")]
    assert number(double["letterValue"]) == 71 and double["otherValue"] == MM.NotReported
    assert double["differs"].toPython() is True
    assert table[("pooled-orr-letter", "percent")]["differs"].toPython() is False


def test_prior_lines_of_therapy(kb):
    rows = ask(kb, "prior-lines-of-therapy")
    athens = [r for r in rows if r["study"] == ID["study-athens-dara-imid"]]
    aggregate = {label(r["statistic"]): number(r["value"]) for r in athens if str(r["kind"]) == "aggregate"}
    assert aggregate == {"minimum": 3, "maximum": 13}
    patients = {label(r["subject"]): r["value"] for r in athens if str(r["kind"]) == "patient"}
    assert patients == {f"athens-p{i}": MM.LostInExtraction for i in range(1, 7)}
    unassigned = [str(r["value"]) for r in athens if str(r["kind"]) == "unassigned"]
    assert unassigned == ["13"]
    pooled = {
        (label(r["statistic"]), r["source"]): number(r["value"])
        for r in rows
        if r["subject"] == ID["pooled-dara16"]
    }
    assert pooled[("median", ID["pub-usmani-2016"])] == 5
    assert (
        pooled[("minimum", ID["pub-usmani-2016"])] == 2 and pooled[("maximum", ID["pub-usmani-2016"])] == 14
    )


def test_patient_imid_and_best_response(kb):
    rows = ask(kb, "patient-imid-and-response")
    athens = {
        str(r["patientLabel"]): (r["imid"], r["bestResponse"])
        for r in rows
        if r["study"] == ID["study-athens-dara-imid"]
    }
    pom, len_ = MM.pomalidomide, MM.lenalidomide
    assert athens == {
        "Patient 1": (pom, MM.PD),
        "Patient 2": (pom, MM.MR),
        "Patient 3": (pom, MM.MR),
        "Patient 4": (len_, MM.VGPR),
        "Patient 5": (len_, MM.PR),
        "Patient 6": (pom, MM.VGPR),
    }
    baertsch = {
        str(r["patientLabel"]): (r["imid"], r["bestResponse"])
        for r in rows
        if r["study"] == ID["study-baertsch-2017"]
    }
    assert baertsch == {"Patient 1": (pom, MM.MR), "Patient 2": (pom, MM.PR)}


def test_double_refractory_response(kb):
    rows = ask(kb, "double-refractory-response")
    defined = [r for r in rows if str(r["basis"]) == "defined"]
    assert [(r["cohort"], number(r["percent"])) for r in defined] == [
        (ID["mmy1001-dpd-double-refractory"], 58)
    ]
    pooled_orr = {
        r["source"]: number(r["percent"])
        for r in rows
        if r["cohort"] == ID["pooled-dara16"] and r.get("threshold") == MM.PR
    }
    assert pooled_orr[ID["pub-usmani-2016"]] == Decimal("31.1")
    assert pooled_orr[ID["pub-letter-athens"]] == Decimal("31.1")
    pooled_basis = next(str(r["basis"]) for r in rows if r["cohort"] == ID["pooled-dara16"])
    assert "86.5%" in pooled_basis
    sirius = [r for r in rows if r["cohort"] == ID["sirius-dara16"] and r.get("threshold") == MM.PR]
    assert [(number(r["numerator"]), number(r["denominator"])) for r in sirius] == [(31, 106)]
    # Populations refractory to daratumumab and pomalidomide are not "refractory to both a PI and an IMiD".
    assert ID["nooka-cohort3"] not in {r["cohort"] for r in rows}


def test_conflict_findings_pair_both_claims_with_sources(kb):
    rows = ask(kb, "conflict-findings")
    assert {r["rule"] for r in rows} >= {
        MM.SourcesDisagree,
        MM.OverlappingCohorts,
        MM.RangeOutsideEligibility,
    }
    disagree = [r for r in rows if r["rule"] == MM.SourcesDisagree]
    assert {r["source"] for r in disagree} == {ID["pub-letter-athens"], ID["web-oncpharm-nooka"]}
    eligibility = {r["record"]: r["source"] for r in rows if r["rule"] == MM.RangeOutsideEligibility}
    assert eligibility == {
        ID["mmy1001-dpd-prior-lines-chari2017"]: ID["pub-chari-2017"],
        ID["mmy1001-dpd-prior-lines-letter"]: ID["pub-letter-athens"],
    }
    # A finding that compares records names each of them (a percent without a fitting count names one).
    per_conflict: dict[Node, int] = {}
    for r in rows:
        if r["rule"] != MM.PercentWithoutCount:
            per_conflict[r["conflict"]] = per_conflict.get(r["conflict"], 0) + 1
    assert min(per_conflict.values()) >= 2


def test_typed_unknowns(kb):
    rows = ask(kb, "typed-unknowns")
    slots = {(label(r["claim"]), label(r["property"])): r["missingness"] for r in rows}
    assert slots[("athens-p1-prior-lines", "value")] == MM.LostInExtraction
    assert slots[("athens-p3-carfilzomib-refractory", "refractory")] == MM.NotReported
    assert slots[("pollux-drd-pfs-median-pollux2018", "median")] == MM.NotReached
    assert slots[("pooled-dor-usmani2016", "ciHigh")] == MM.NotEstimable
    assert slots[("sirius-pfs-lonial2016", "median")] == MM.NotReported
    assert all("why" in r for r in rows)


def test_typed_unknowns_by_study(kb):
    rows = ask(kb, "typed-unknowns-by-study")
    counts = {(label(r["study"]), label(r["missingness"])): int(r["slots"].toPython()) for r in rows}
    # Athens: six patients x (prior lines, time from diagnosis, response to and duration of daratumumab
    # monotherapy, PFS on the combination) lost in extraction; carfilzomib status not reported for six.
    assert counts[("study-athens-dara-imid", "LostInExtraction")] == 30
    assert counts[("study-athens-dara-imid", "NotReported")] == 6
    assert counts[("study-pollux", "NotReached")] == 2
    assert (
        "study-baertsch-2017",
        "NotReported",
    ) not in counts  # its unknown doses sit on regimens, not claims


def test_median_pfs_across_studies(kb):
    rows = ask(kb, "median-pfs")
    pooled = next(
        r for r in rows if r["cohort"] == ID["pooled-dara16"] and r["source"] == ID["pub-usmani-2016"]
    )
    assert (number(pooled["median"]), number(pooled["ciLow"]), number(pooled["ciHigh"])) == (
        Decimal("4.0"),
        Decimal("2.8"),
        Decimal("5.6"),
    )
    assert pooled["verification"] == MM.ReadInPublicCopy
    dpd = next(
        r for r in rows if r["cohort"] == ID["mmy1001-dpd-all"] and r["source"] == ID["pub-chari-2017"]
    )
    assert (number(dpd["median"]), number(dpd["ciLow"]), number(dpd["ciHigh"])) == (
        Decimal("8.8"),
        Decimal("4.6"),
        Decimal("15.4"),
    )
    # The summary of Nooka 2016 gives "PFS 5 months" without calling it a median: not a median.
    assert not [r for r in rows if r["study"] == ID["study-nooka-2016"]]
    sirius = next(r for r in rows if r["study"] == ID["study-sirius"])
    assert sirius["median"] == MM.NotReported
    drd = {number(r["followUp"]): r["median"] for r in rows if r["cohort"] == ID["pollux-drd"]}
    assert drd[Decimal("13.5")] == MM.NotReached and number(drd[Decimal("44.3")]) == Decimal("44.5")


def test_pollux_hazard_ratios_by_data_cut(kb):
    rows = ask(kb, "hazard-ratios-by-data-cut")
    hrs = [
        (int(r["cutSequence"].toPython()), number(r["estimate"]), number(r["ciLow"]), number(r["ciHigh"]))
        for r in rows
        if r["claimType"] == MM.HazardRatio and r["study"] == ID["study-pollux"]
    ]
    assert hrs == [
        (1, Decimal("0.37"), Decimal("0.27"), Decimal("0.52")),
        (2, Decimal("0.41"), Decimal("0.31"), Decimal("0.53")),
        (3, Decimal("0.44"), Decimal("0.35"), Decimal("0.55")),
    ]
    (reduction,) = [r for r in rows if r["claimType"] == MM.RiskReduction]
    assert number(reduction["estimate"]) == 63 and reduction["source"] == ID["pub-letter-athens"]
    assert int(reduction["cutSequence"].toPython()) == 1
    assert all(r["comparator"] == ID["pollux-rd"] for r in rows)


def test_overlapping_cohorts(kb):
    rows = ask(kb, "overlapping-cohorts")
    pairs = {(r["record"], r["relation"], r["other"]): r for r in rows}
    pooled = pairs[(ID["pooled-dara16"], MM.includesPatientsOf, ID["sirius-dara16"])]
    assert "count them once" in str(pooled["finding"])
    assert (ID["study-gen501-sirius-pooled"], MM.pools, ID["study-sirius"]) in pairs
    assert (ID["study-gen501-sirius-pooled"], MM.pools, ID["study-gen501"]) in pairs
    assert (ID["nooka-cohort3"], MM.subgroupOf, ID["nooka-cohort2"]) in pairs
    pollux_cuts = {
        r["record"] for r in rows if r["relation"] == MM.ofStudy and r["other"] == ID["study-pollux"]
    }
    assert pollux_cuts == {ID["pollux-cut-primary"], ID["pollux-cut-25mo"], ID["pollux-cut-44mo"]}


def test_secondary_only_figures(kb):
    rows = ask(kb, "secondary-only-figures")
    claims = {label(r["claim"]): number(r["figure"]) for r in rows}
    assert claims["nooka-cohort3-response-oncpharm"] == 35
    assert claims["nooka-cohort3-pfs-oncpharm"] == 5
    assert claims["pooled-orr-usmani2020"] == Decimal("30.4")
    assert claims["sirius-double-refractory-mmhub"] == 95
    # Read in the primary publication itself: not secondary-only.
    assert "pooled-orr-usmani2016" not in claims
    assert (
        "mmy1001-dpd-vgpr-or-better-chari2017" not in claims
        or claims["mmy1001-dpd-vgpr-or-better-chari2017"] == 42
    )


def test_penta_refractory_candidates(kb):
    rows = ask(kb, "penta-refractory-candidates")
    athens = {str(r["patientLabel"]): r for r in rows if r["study"] == ID["study-athens-dara-imid"]}
    assert {p: str(r["status"]) for p, r in athens.items()} == {
        "Patient 1": "possible",
        "Patient 2": "possible",
        "Patient 3": "possible",
        "Patient 4": "no",
        "Patient 5": "no",
        "Patient 6": "possible",
    }
    assert all(r["carfilzomib"] == MM.NotReported for r in athens.values())
    assert all(
        r["bortezomib"].toPython() is True and r["antiCD38"].toPython() is True for r in athens.values()
    )
    assert {(number(r["cohortCarfilzomib"]), number(r["cohortSize"])) for r in athens.values()} == {(3, 6)}
    baertsch = [r for r in rows if r["study"] == ID["study-baertsch-2017"]]
    assert len(baertsch) == 2 and all("carfilzomib" not in r for r in baertsch)


def test_refractory_to_both_definitions(kb):
    rows = ask(kb, "refractory-to-both-definitions")
    sets: dict[tuple[Node, Node], set[Node]] = {}
    for r in rows:
        sets.setdefault((r["cohort"], r["relation"]), set()).add(r["member"])
    assert sets[(ID["nooka-cohort3"], MM.definingRefractoriness)] == {MM.daratumumab, MM.pomalidomide}
    assert sets[(ID["baertsch-all"], MM.definingRefractoriness)] == {MM.daratumumab, MM.pomalidomide}
    assert sets[(ID["mmy1001-dpd-double-refractory"], MM.definingRefractoriness)] == {
        MM.ProteasomeInhibitor,
        MM.IMiD,
    }
    assert sets[(ID["nooka-letter-either"], MM.refractoryToExactlyOneOf)] == {MM.daratumumab, MM.pomalidomide}
    kinds = {r["member"]: r["memberKind"] for r in rows}
    assert kinds[MM.IMiD] == MM.DrugClass and kinds[MM.pomalidomide] == MM.Drug


def test_median_pfs_of_daratumumab_cohorts_by_refractory_status(kb):
    rows = ask(kb, "median-pfs-daratumumab-by-refractory-status")
    cohorts = {label(r["cohort"]) for r in rows}
    # every cohort with a daratumumab regimen and a median PFS; the lenalidomide-dexamethasone arm has none
    assert cohorts == {"pooled-dara16", "mmy1001-dpd-all", "pollux-drd", "sirius-dara16"}
    pooled = next(
        r for r in rows if r["cohort"] == ID["pooled-dara16"] and r["source"] == ID["pub-usmani-2016"]
    )
    assert (number(pooled["median"]), number(pooled["ciLow"]), number(pooled["ciHigh"])) == (
        Decimal("4.0"),
        Decimal("2.8"),
        Decimal("5.6"),
    )
    assert {str(r["refractoryTo"]) for r in rows} == {"not selected by refractory status"}


def test_grade3_neutropenia_with_daratumumab_and_pomalidomide(kb):
    rows = {label(r["cohort"]): r for r in ask(kb, "grade3-neutropenia-daratumumab-pomalidomide")}
    assert set(rows) == {"mmy1001-dpd-all", "nooka-all"}
    nooka = rows["nooka-all"]
    assert (number(nooka["numerator"]), number(nooka["denominator"]), number(nooka["percent"])) == (
        17,
        41,
        41,
    )
    dpd = rows["mmy1001-dpd-all"]
    # 78% of 103 patients, the count not printed: the reconstruction's only fitting count is 80
    assert dpd["numerator"] == MM.NotReported and number(dpd["percent"]) == 78
    assert str(dpd["fittingCounts"]) == "80"
