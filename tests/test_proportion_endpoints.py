"""The proportions other than response (MRD negativity, grade 3-4 and any-grade adverse events by type),
compared through the library with the sources' own numbers: counts first, exact intervals checked against
the beta distribution, the count reconstruction where only a percentage is printed, the caveats and the
provenance of each row, and the response comparison's filters and groupings."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import beta

from kb.analysis.endpoint_table import ENDPOINTS
from kb.analysis.endpoints import compare
from kb.analysis.proportions import proportions
from kb.analysis.response_rate import Filters
from kb.analysis.response_table import ComparisonTable, OptionError, Row
from kb.knowledge_base import KnowledgeBase
from kb.paths import curated_files

ID = "https://w3id.org/mmkb/id/"
MMY1001 = ID + "mmy1001-dpd-all"
NOOKA = ID + "nooka-all"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.open()


def _table(kb: KnowledgeBase, endpoint: str, **options) -> ComparisonTable:
    table = compare(kb, endpoint, **options)
    assert isinstance(table, ComparisonTable)
    return table


def _row(table: ComparisonTable, cohort: str, event: str = "") -> Row:
    (row,) = [r for r in table.rows if r.cohort_id == cohort and r.event == event]
    return row


def _exact(x: int, n: int) -> tuple[float, float]:
    """The Clopper-Pearson 95% interval in percent, rounded as the table rounds it."""
    low = 0.0 if x == 0 else beta.ppf(0.025, x, n - x + 1)
    high = 1.0 if x == n else beta.ppf(0.975, x + 1, n - x)
    return round(100 * low, 1), round(100 * high, 1)


@pytest.mark.parametrize(
    ("event", "x", "printed"),
    [("neutropenia", 17, "41"), ("anemia", 12, "29"), ("thrombocytopenia", 8, "20")],
)
def test_nooka_grade_3_or_higher_adverse_events_are_the_printed_counts_of_41(
    kb: KnowledgeBase, event: str, x: int, printed: str
) -> None:
    row = _row(_table(kb, "ae-grade3plus"), NOOKA, event)
    assert (row.responders, row.n, row.x_over_n, row.printed_pct) == (x, 41, f"{x}/41", printed)
    assert row.rate_pct == round(100 * x / 41, 1)
    assert (row.ci_low_pct, row.ci_high_pct) == _exact(x, 41)
    assert row.count_origin == "reported" and row.candidates == ()
    assert {"SECONDARY_SOURCE", "RETROSPECTIVE"} <= set(row.caveats)
    assert "RECONSTRUCTED" not in row.caveats
    (source,) = row.sources
    assert source.claim == f"{ID}nooka-all-{event}-grade3plus-oncpharm"
    assert source.publication == ID + "web-oncpharm-nooka"
    assert source.verification == "ReadInSecondarySource"
    assert row.threshold == "" and row.median_pfs is None and row.hazard_ratio is None


@pytest.mark.parametrize(
    ("event", "percent", "x"), [("neutropenia", 78, 80), ("anemia", 28, 29), ("leukopenia", 24, 25)]
)
def test_mmy1001_grade_3_4_counts_come_from_the_reconstruction_of_the_percentage_of_103(
    kb: KnowledgeBase, event: str, percent: int, x: int
) -> None:
    row = _row(_table(kb, "ae-grade3plus"), MMY1001, event)
    # the report prints the percentage only: the count is the one whole number of 103 that rounds to it
    assert (row.responders, row.n, row.candidates, row.printed_pct) == (x, 103, (x,), str(percent))
    assert row.count_origin == "derived" and "RECONSTRUCTED" in row.caveats
    assert row.derivation.startswith(f"{x} of 103: the only count that fits {percent}% of 103 (Chari 2017")
    assert (row.ci_low_pct, row.ci_high_pct) == _exact(x, 103)
    assert [s.claim for s in row.sources] == [f"{ID}mmy1001-dpd-{event}-grade3plus-chari2017"]
    assert row.sources[0].verification == "ReadInPublicCopy"
    assert "SECONDARY_SOURCE" not in row.caveats


def test_mmy1001_neutropenia_is_80_of_103(kb: KnowledgeBase) -> None:
    row = _row(_table(kb, "ae-grade3plus"), MMY1001, "neutropenia")
    assert (row.x_over_n, row.rate_text) == ("80/103", "77.7")


def test_a_percentage_two_counts_fit_shows_the_printed_figure_and_an_interval_over_both(
    kb: KnowledgeBase,
) -> None:
    row = _row(_table(kb, "ae-any-grade"), MMY1001, "infusion-related reaction")
    assert (row.responders, row.candidates, row.x_over_n, row.rate_text) == (
        None,
        (51, 52),
        "51-52/103",
        "~50",
    )
    assert row.count_origin == "ambiguous" and "AMBIGUOUS_COUNT" in row.caveats
    assert (row.ci_low_pct, row.ci_high_pct) == (_exact(51, 103)[0], _exact(52, 103)[1])


@pytest.mark.parametrize(
    ("cohort", "printed"),
    [("pollux-drd", "22.4"), ("pollux-rd", "4.6"), ("mmy1001-dpd-cr-or-better", "29")],
)
def test_mrd_negativity_over_a_denominator_the_source_does_not_state_has_no_count_or_interval(
    kb: KnowledgeBase, cohort: str, printed: str
) -> None:
    row = _row(_table(kb, "mrd-negativity"), ID + cohort)
    assert (row.printed_pct, row.rate_pct) == (printed, float(printed))
    assert (row.n, row.responders, row.candidates, row.x_over_n) == (None, None, (), "?/not reported")
    assert (row.ci_low_pct, row.ci_high_pct) == (None, None)
    assert row.count_origin == "unknown" and row.n_unknown
    assert "UNKNOWN_DENOMINATOR" in row.caveats and "UNKNOWN_COUNT" not in row.caveats
    assert row.event == ""


def test_the_tables_name_their_endpoint_and_are_never_pooled(kb: KnowledgeBase) -> None:
    grade3 = _table(kb, "ae-grade3plus")
    assert (grade3.endpoint, grade3.threshold, grade3.pooling) == ("ae-grade3plus", "", [])
    standing = grade3.footnotes()[0]
    assert standing.startswith("Grade 3-4 adverse events by type over the denominator the source states")
    assert "Clopper-Pearson (exact)" in standing and "never pooled" in standing
    assert "RECONSTRUCTED: " + "The count is not printed" in " ".join(grade3.footnotes())
    mrd = _table(kb, "mrd-negativity", ci_method="wilson")
    assert mrd.footnotes()[0].startswith("MRD negativity over the denominator the source states; 95% ")
    assert "Wilson score" in mrd.footnotes()[0]
    assert _table(kb, "ae-any-grade").footnotes()[0].startswith("Adverse events of any grade by type")
    response = _table(kb, "response")
    assert response.endpoint == "response" and response.footnotes()[0].startswith("Response by IMWG criteria")


def test_rows_are_in_table_order_with_adverse_events_by_name_within_a_cohort(kb: KnowledgeBase) -> None:
    rows = _table(kb, "ae-grade3plus").rows
    assert [(r.cohort_id, r.event) for r in rows] == [
        (MMY1001, "anemia"),
        (MMY1001, "leukopenia"),
        (MMY1001, "neutropenia"),
        (NOOKA, "anemia"),
        (NOOKA, "neutropenia"),
        (NOOKA, "thrombocytopenia"),
    ]


def test_filters_are_the_response_comparisons(kb: KnowledgeBase) -> None:
    with_len = _table(kb, "mrd-negativity", filters=Filters(drug="lenalidomide"))
    assert {r.cohort_id for r in with_len.rows} == {ID + "pollux-drd", ID + "pollux-rd"}
    with_cd38 = _table(kb, "mrd-negativity", filters=Filters(drug_class="anti-CD38 monoclonal antibody"))
    assert {r.cohort_id for r in with_cd38.rows} == {ID + "pollux-drd", ID + "mmy1001-dpd-cr-or-better"}
    large = _table(kb, "ae-grade3plus", filters=Filters(min_n=100))
    assert {r.cohort_id for r in large.rows} == {MMY1001}
    retrospective = _table(kb, "ae-grade3plus", filters=Filters(design="retrospective series"))
    assert {r.cohort_id for r in retrospective.rows} == {NOOKA}
    # no adverse-event figure is of a population selected as daratumumab-refractory
    refractory = _table(kb, "ae-grade3plus", filters=Filters(refractory=frozenset({"daratumumab"})))
    assert refractory.rows == []
    with pytest.raises(OptionError, match="invalid drug 'aspirin'"):
        _table(kb, "ae-grade3plus", filters=Filters(drug="aspirin"))


def test_groupings_are_the_response_comparisons(kb: KnowledgeBase) -> None:
    by_study = _table(kb, "ae-grade3plus", by="study")
    assert {r.stratum_key for r in by_study.rows} == {
        "study:" + ID + "study-mmy1001-dpd",
        "study:" + ID + "study-nooka-2016",
    }
    by_regimen = _table(kb, "ae-grade3plus", by="regimen")
    assert {r.stratum for r in by_regimen.rows} == {"D-Pd (daratumumab + dexamethasone + pomalidomide)"}
    by_design = _table(kb, "mrd-negativity", by="design")
    assert all(r.stratum_key.startswith("design:") for r in by_design.rows)
    assert {r.stratum for r in _table(kb, "mrd-negativity", by="drug-class").rows} >= {
        "anti-CD38 monoclonal antibody + corticosteroid + immunomodulatory drug"
    }


def test_a_patient_attribute_grouping_or_an_unknown_option_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(OptionError, match="invalid by 'sex' for ae-grade3plus; valid: refractory-status"):
        compare(kb, "ae-grade3plus", by="sex")
    with pytest.raises(OptionError, match="invalid by 'cohort'"):
        compare(kb, "mrd-negativity", by="cohort")
    with pytest.raises(OptionError, match="invalid ci 'exact'"):
        compare(kb, "ae-any-grade", ci_method="exact")
    with pytest.raises(OptionError, match="pfs is not a proportion other than response"):
        proportions(kb, ENDPOINTS["pfs"])


DISAGREEING = """\
PREFIX id: <https://w3id.org/mmkb/id/>
PREFIX mm: <https://w3id.org/mmkb/vocab#>

# a second source giving another figure for the same count at the same data cut (a test fixture)
id:mmy1001-dpd-neutropenia-grade3plus-letter
    a mm:Proportion ;
    mm:about id:mmy1001-dpd-all ;
    mm:adverseEvent mm:Neutropenia ;
    mm:atDataCut id:mmy1001-dpd-cut-2017 ;
    mm:denominator 103 ;
    mm:measures mm:AdverseEventGrade3Plus ;
    mm:numerator 70 ;
    mm:source id:pub-letter-athens ;
    mm:verification mm:ReadInCitingText ;
.
"""


def test_where_sources_disagree_the_row_shows_both_values(tmp_path: Path) -> None:
    extra = tmp_path / "disagreeing.ttl"
    extra.write_text(DISAGREEING, encoding="utf-8")
    kb = KnowledgeBase.open([*curated_files(), extra])
    row = _row(_table(kb, "ae-grade3plus"), MMY1001, "neutropenia")
    # the primary publication's figure is the row's; the citing letter's count is shown beside it
    assert (row.responders, row.n, row.count_origin) == (80, 103, "derived")
    assert row.other_values == ("70/103 (Athens letter to the editor, Blood)",)
    assert "CONFLICT" in row.caveats
    assert [s.claim.rsplit("/", 1)[1] for s in row.sources] == [
        "mmy1001-dpd-neutropenia-grade3plus-chari2017",
        "mmy1001-dpd-neutropenia-grade3plus-letter",
    ]
