"""Every endpoint compared through the library, with the sources' own numbers: medians with their intervals
and statuses, hazard ratios by data cut, landmark rates; never pooled; the same filters and groupings as
the response comparison."""

from __future__ import annotations

import pytest

from kb.analysis.endpoint_table import ENDPOINTS, EndpointTable, LandmarkRate
from kb.analysis.endpoints import compare
from kb.analysis.response_rate import Filters
from kb.analysis.response_table import ComparisonTable, OptionError
from kb.analysis.values import NOT_ESTIMABLE, NOT_REACHED, REPORTED, HazardRatio, Median
from kb.knowledge_base import KnowledgeBase

POOLED = "https://w3id.org/mmkb/id/pooled-dara16"
POLLUX_DRD = "https://w3id.org/mmkb/id/pollux-drd"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.open()


def _table(kb: KnowledgeBase, endpoint: str, **options) -> EndpointTable:
    table = compare(kb, endpoint, **options)
    assert isinstance(table, EndpointTable)
    return table


def _rows(table: EndpointTable, cohort: str):
    return [r for r in table.rows if r.cohort_id == cohort]


def test_pooled_gen501_sirius_median_pfs_is_4_0_months_2_8_to_5_6(kb: KnowledgeBase) -> None:
    (row,) = [r for r in _rows(_table(kb, "pfs"), POOLED) if r.data_cut == 1]
    median = row.figure
    assert isinstance(median, Median)
    assert (median.estimate, median.status, median.unit) == (4.0, REPORTED, "months")
    assert median.interval is not None
    assert (median.interval.low, median.interval.high) == (2.8, 5.6)
    assert "usmani" in median.claim  # the primary publication's claim is the row's figure
    assert "MEDIAN_NOT_POOLED" in row.caveats  # medians are never pooled, and the row says so


def test_pooled_median_os_is_20_1_with_a_high_bound_not_estimable(kb: KnowledgeBase) -> None:
    (row,) = [r for r in _rows(_table(kb, "os"), POOLED) if r.data_cut == 1]
    median = row.figure
    assert isinstance(median, Median) and median.interval is not None
    assert (median.estimate, median.interval.low, median.interval.high) == (20.1, 16.6, None)
    assert median.interval.high_status == NOT_ESTIMABLE
    assert "NOT_ESTIMABLE" in row.caveats


def test_pollux_pfs_hazard_ratio_at_each_data_cut_in_order(kb: KnowledgeBase) -> None:
    rows = _rows(_table(kb, "pfs-hr"), POLLUX_DRD)
    found = []
    for row in rows:
        hr = row.figure
        assert isinstance(hr, HazardRatio) and hr.interval is not None
        found.append((row.data_cut, hr.estimate, hr.interval.low, hr.interval.high, hr.comparator_id))
    comparator = "https://w3id.org/mmkb/id/pollux-rd"
    assert found == [
        (1, 0.37, 0.27, 0.52, comparator),
        (2, 0.41, 0.31, 0.53, comparator),
        (3, 0.44, 0.35, 0.55, comparator),
    ]
    assert [r.follow_up_months for r in rows] == [13.5, 25.4, 44.3]
    assert all("HR_NOT_POOLED" in r.caveats for r in rows)


def test_a_median_not_reached_is_a_status_never_a_number(kb: KnowledgeBase) -> None:
    first = [r for r in _rows(_table(kb, "pfs"), POLLUX_DRD) if r.data_cut == 1]
    (row,) = first
    assert isinstance(row.figure, Median)
    assert (row.figure.estimate, row.figure.status) == (None, NOT_REACHED)
    assert "IMMATURE_MEDIAN" in row.caveats


def test_landmark_rates_with_their_intervals(kb: KnowledgeBase) -> None:
    rows = _rows(_table(kb, "pfs-landmark"), POLLUX_DRD)
    (row,) = rows
    rate = row.figure
    assert isinstance(rate, LandmarkRate) and rate.interval is not None
    assert (rate.landmark, rate.percent, rate.interval.low, rate.interval.high) == (12, 83.2, 78.3, 87.2)


def test_a_time_the_source_does_not_call_a_median_says_so(kb: KnowledgeBase) -> None:
    nooka = [r for r in _table(kb, "pfs").rows if r.study.startswith("Nooka")]
    assert nooka and all("NOT_A_MEDIAN" in r.caveats for r in nooka)


def test_a_source_giving_the_same_median_without_the_interval_does_not_disagree(kb: KnowledgeBase) -> None:
    (row,) = [r for r in _rows(_table(kb, "pfs"), POOLED) if r.data_cut == 1]
    assert row.other_values == ()
    assert len(row.sources) == 2  # the primary publication and the letter, both kept


def test_filters_and_groupings_are_the_response_comparisons(kb: KnowledgeBase) -> None:
    with_pom = _table(kb, "pfs", filters=Filters(drug="pomalidomide"))
    assert with_pom.rows
    assert {r.study.split(" ")[0] for r in with_pom.rows} <= {"MMY1001", "Nooka"}
    refractory = _table(kb, "pfs", filters=Filters(refractory=frozenset({"daratumumab", "pomalidomide"})))
    assert {r.cohort_id.rsplit("/", 1)[1] for r in refractory.rows} == {"nooka-cohort3"}
    by_regimen = _table(kb, "os", by="regimen")
    assert {r.stratum_key.split(":")[0] for r in by_regimen.rows} == {"regimen"}
    assert _table(kb, "pfs", filters=Filters(min_n=100)).rows
    assert all(r.study.split(" ")[0] != "Nooka" for r in _table(kb, "pfs", filters=Filters(min_n=100)).rows)


def test_response_is_the_response_rate_comparison(kb: KnowledgeBase) -> None:
    table = compare(kb, "response", threshold="VGPR")
    assert isinstance(table, ComparisonTable)
    assert table.threshold == "VGPR"


def test_an_unknown_endpoint_or_grouping_lists_the_valid_ones(kb: KnowledgeBase) -> None:
    with pytest.raises(OptionError, match="invalid endpoint 'pfs2'; valid: response, pfs, os"):
        compare(kb, "pfs2")
    with pytest.raises(OptionError, match="invalid by 'sex' for pfs"):
        compare(kb, "pfs", by="sex")


def test_every_endpoint_answers_with_a_table_of_its_kind(kb: KnowledgeBase) -> None:
    for name, endpoint in ENDPOINTS.items():
        table = compare(kb, name)
        kind = ComparisonTable if endpoint.kind == "proportion" else EndpointTable
        assert isinstance(table, kind), name
        assert table.footnotes()[0]
        if isinstance(table, ComparisonTable):
            assert table.endpoint == name


def test_an_endpoint_no_source_reports_is_an_empty_table_that_says_what_it_is(kb: KnowledgeBase) -> None:
    """No source of the knowledge base reports a time to response: no row, and no row is made up."""
    table = _table(kb, "ttr")
    assert table.rows == []
    assert table.footnotes()[0].startswith("Median time to response by Kaplan-Meier")


def test_regimens_are_in_clinical_order_by_their_usual_abbreviations(kb: KnowledgeBase) -> None:
    """By regimen: monotherapy, then doublets, then triplets, each by its abbreviation (a group of
    several abbreviations after those of one, a regimen without one after those with one)."""
    table = compare(kb, "response", by="regimen")
    order: list[str] = []
    for row in table.rows:
        if row.stratum not in order:
            order.append(row.stratum)
    assert order == [
        "daratumumab",
        "Rd (dexamethasone + lenalidomide)",
        "daratumumab + pomalidomide",
        "D-Pd (daratumumab + dexamethasone + pomalidomide)",
        "D-Rd (daratumumab + dexamethasone + lenalidomide)",
        "D-Pd / D-Rd (daratumumab + dexamethasone + lenalidomide or daratumumab + dexamethasone + "
        "pomalidomide)",
    ]
