"""Tests of the forest plot SVG on a hand-built comparison table."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from kb.analysis.response_table import ComparisonTable, NotPooled, Pooled, Row, Source
from kb.analysis.values import NOT_ESTIMABLE, REPORTED, HazardRatio, Interval
from kb.render.forest_plot import HR_MAX, HR_MIN, HazardRatioRow, forest_svg, prop_x

SVG = "{http://www.w3.org/2000/svg}"


def _row(**kwargs: object) -> Row:
    base: dict[str, object] = {
        "stratum": "Daratumumab-refractory",
        "stratum_key": "dara",
        "study": "SIRIUS",
        "study_id": "https://example.org/study/sirius",
        "cohort": "all 106 patients given daratumumab 16 mg/kg",
        "cohort_id": "https://example.org/cohort/sirius-16",
        "design": "prospective single-arm",
        "evidence_rank": 2,
        "regimen": "daratumumab",
        "threshold": "PR",
        "n": 106,
        "responders": 31,
        "rate_pct": 29.2,
        "ci_low_pct": 20.8,
        "ci_high_pct": 38.9,
        "ci_method": "clopper-pearson",
        "count_origin": "reported",
        "sources": (Source("c1", "p1", "Lonial 2016, Lancet"),),
    }
    base.update(kwargs)
    return Row(**base)  # type: ignore[arg-type]


ROWS = [
    _row(),
    _row(
        study="GEN501 <part 2> & co",
        cohort='16 mg/kg "expansion" cohort',
        cohort_id="https://example.org/cohort/gen501",
        n=42,
        responders=None,
        candidates=(15, 16),
        rate_pct=36.0,
        ci_low_pct=21.6,
        ci_high_pct=53.9,
        count_origin="ambiguous",
        printed_pct="36",
        caveats=("AMBIGUOUS_COUNT",),
        sources=(Source("c2", "p2", "Lokhorst 2015, NEJM"),),
    ),
    _row(
        stratum="Pomalidomide-refractory",
        stratum_key="pom",
        study="Smith case",
        cohort="one patient",
        cohort_id="https://example.org/cohort/smith",
        design="case report",
        evidence_rank=6,
        n=1,
        responders=1,
        rate_pct=100.0,
        ci_low_pct=2.5,
        ci_high_pct=100.0,
        caveats=("BOUNDARY", "CASE_REPORT", "SMALL_N"),
        sources=(Source("c3", "p3", "Smith 2019, Blood"),),
    ),
    _row(
        stratum="Pomalidomide-refractory",
        stratum_key="pom",
        study="Retro series",
        cohort="pomalidomide-refractory patients",
        cohort_id="https://example.org/cohort/retro",
        design="retrospective series",
        evidence_rank=4,
        n=20,
        responders=None,
        rate_pct=None,
        ci_low_pct=None,
        ci_high_pct=None,
        count_origin="unknown",
        caveats=("RETROSPECTIVE", "UNKNOWN_COUNT"),
        sources=(Source("c4", "p4", "Jones 2020, Haematologica"),),
    ),
]


def _hr(
    estimate: float | None, low: float, high: float, comparator: str, source: str, **kwargs: object
) -> HazardRatio:
    values: dict[str, object] = {
        "endpoint": "progression-free survival",
        "estimate": estimate,
        "status": REPORTED if estimate is not None else NOT_ESTIMABLE,
        "comparator": comparator,
        "comparator_id": f"https://example.org/cohort/{comparator[:3]}",
        "interval": Interval(low, high),
        "source": source,
    }
    values.update(kwargs)
    return HazardRatio(**values)  # type: ignore[arg-type]


HRS = [
    HazardRatioRow(
        "CASTOR",
        _hr(0.39, 0.28, 0.53, "bortezomib-dexamethasone", "Palumbo 2016, NEJM", p_value_below=0.0001),
    ),
    HazardRatioRow(
        "Trial <B>",
        _hr(1.5, 0.9, 2.5, "pomalidomide & dexamethasone", "Doe 2021", interval=Interval(0.9, 2.5, 0.95)),
    ),
]


def _table(pooling: list[Pooled | NotPooled] | None = None, requested: bool = False) -> ComparisonTable:
    return ComparisonTable(
        grouping="refractory drug set",
        threshold="PR",
        ci_method="clopper-pearson",
        rows=list(ROWS),
        pooling=pooling or [],
        pool_requested=requested,
    )


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _row_group(root: ET.Element, cohort: str) -> ET.Element:
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if group.get("class") == "row" and title is not None and cohort in (title.text or ""):
            return group
    raise AssertionError(f"no row group for {cohort}")


def _marker(group: ET.Element) -> ET.Element:
    marker = group.find(f"{SVG}rect[@class='marker']")
    assert marker is not None
    return marker


@pytest.fixture(scope="module")
def svg() -> str:
    return forest_svg(_table(), HRS)


@pytest.fixture(scope="module")
def root(svg: str) -> ET.Element:
    return _parse(svg)


def test_parses_as_svg(root: ET.Element) -> None:
    assert root.find(f"{SVG}title") is not None


def test_deterministic(svg: str) -> None:
    assert forest_svg(_table(), HRS) == svg
    assert forest_svg(_table(), list(HRS)) == svg


def test_larger_n_larger_square(root: ET.Element) -> None:
    big = _marker(_row_group(root, "all 106 patients"))
    small = _marker(_row_group(root, "expansion"))
    assert float(big.get("width", "0")) > float(small.get("width", "0"))
    assert big.get("width") == big.get("height")


def test_hollow_for_ambiguous_count(root: ET.Element) -> None:
    assert _marker(_row_group(root, "expansion")).get("fill") == "none"
    assert _marker(_row_group(root, "all 106 patients")).get("fill") != "none"


def test_reconstructed_caveat_is_hollow() -> None:
    table = _table()
    table.rows = [replace(ROWS[0], count_origin="derived", caveats=("RECONSTRUCTED",))]
    assert _marker(_row_group(_parse(forest_svg(table)), "all 106 patients")).get("fill") == "none"


def test_grey_for_case_report(root: ET.Element) -> None:
    group = _row_group(root, "one patient")
    assert _marker(group).get("stroke") == "#888"
    assert _marker(group).get("fill") == "#888"
    assert _marker(_row_group(root, "all 106 patients")).get("stroke") != "#888"


def test_no_estimate_text_instead_of_marker(root: ET.Element) -> None:
    group = _row_group(root, "pomalidomide-refractory patients")
    assert group.find(f"{SVG}rect[@class='marker']") is None
    assert any(t.text == "no estimate" for t in group.iter(f"{SVG}text"))


def test_each_row_title_has_rate_and_ci(root: ET.Element) -> None:
    titles = [g.findtext(f"{SVG}title", "") for g in root.iter(f"{SVG}g") if g.get("class") == "row"]
    assert len(titles) == len(ROWS)
    expected = {
        "SIRIUS": "31 of 106 responded (PR or better), 29.2% (95% CI 20.8-38.9, Clopper-Pearson)",
        "GEN501": "36.0% (95% CI 21.6-53.9, Clopper-Pearson)",
        "Smith": "100.0% (95% CI 2.5-100.0, Clopper-Pearson)",
        "Retro": "no estimate",
    }
    for study, fragment in expected.items():
        (title,) = [t for t in titles if t.startswith(study)]
        assert fragment in title
    assert titles[0] == (
        "SIRIUS: all 106 patients given daratumumab 16 mg/kg: 31 of 106 responded (PR or better), "
        "29.2% (95% CI 20.8-38.9, Clopper-Pearson); source: Lonial 2016, Lancet"
    )


def test_stratum_headings(root: ET.Element) -> None:
    headings = [g.findtext(f"{SVG}text") for g in root.iter(f"{SVG}g") if g.get("class") == "stratum"]
    assert headings == ["Daratumumab-refractory", "Pomalidomide-refractory"]


def test_hr_panel_log_scale(root: ET.Element) -> None:
    null = root.find(f".//{SVG}line[@class='hr-null']")
    assert null is not None
    x1 = float(null.get("x1", "nan"))
    assert x1 == float(null.get("x2", "nan"))
    markers = {
        g.findtext(f"{SVG}title", "").split(":")[0]: g.find(f"{SVG}rect[@class='hr-marker']")
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "hr-row"
    }
    centres = {}
    for label, rect in markers.items():
        assert rect is not None
        centres[label] = float(rect.get("x", "nan")) + float(rect.get("width", "nan")) / 2
    assert centres["CASTOR"] < x1 < centres["Trial <B>"]
    # Distances from the line at 1 are proportional to log(HR).
    ratio = (x1 - centres["CASTOR"]) / (centres["Trial <B>"] - x1)
    assert ratio == pytest.approx(-math.log(0.39) / math.log(1.5), rel=1e-3)
    # And the line at 1 sits where log(1) falls between the axis ends.
    ticks = sorted(
        float(line.get("x1", "nan"))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "hr-axis"
        for line in g.findall(f"{SVG}line")
        if line.get("class") != "hr-null" and line.get("x1") == line.get("x2")
    )
    lo, hi = ticks[0], ticks[-1]
    fraction = (math.log(1) - math.log(HR_MIN)) / (math.log(HR_MAX) - math.log(HR_MIN))
    assert x1 == pytest.approx(lo + fraction * (hi - lo), abs=0.01)


def test_no_hr_panel_without_hazard_ratios() -> None:
    root = _parse(forest_svg(_table()))
    assert root.find(f".//{SVG}line[@class='hr-null']") is None
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "hr-row"]


def test_no_diamond_without_pooled_entry(root: ET.Element) -> None:
    assert root.find(f".//{SVG}polygon") is None
    not_pooled = NotPooled("dara", (("FEW_STUDIES", "Fewer than 3 studies."),))
    root2 = _parse(forest_svg(_table([not_pooled], requested=True)))
    assert root2.find(f".//{SVG}polygon") is None
    assert "Not pooled, Daratumumab-refractory: FEW_STUDIES" in ET.tostring(root2, encoding="unicode")


def test_diamond_with_pooled_entry() -> None:
    pooled = Pooled("dara", 2, 31.0, 22.0, 41.0, None, None, 0.01, 10.0, "logit random effects")
    root = _parse(forest_svg(_table([pooled], requested=True)))
    diamonds = root.findall(f".//{SVG}polygon[@class='diamond']")
    assert len(diamonds) == 1
    xs = [float(p.split(",")[0]) for p in diamonds[0].get("points", "").split()]
    # The diamond spans its CI, 22% to 41%, on the proportion axis.
    assert min(xs) == pytest.approx(prop_x(22.0))
    assert max(xs) == pytest.approx(prop_x(41.0))
    assert prop_x(41.0) - prop_x(22.0) == pytest.approx((prop_x(100.0) - prop_x(0.0)) * 0.19)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "pooled (exploratory)" in texts


def test_footer(svg: str, root: ET.Element) -> None:
    footer = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "footer")
    text = " ".join(t.text or "" for t in footer.iter(f"{SVG}text"))
    assert "Clopper-Pearson (exact)" in text
    assert "Response by IMWG criteria, best response PR or better" in text
    assert "AMBIGUOUS_COUNT:" in text
    # each caveat numbered as the rows mark it, in the order of the footnotes
    assert text.index("¹ SMALL_N:") < text.index("² CASE_REPORT:") < text.index("³ BOUNDARY:")
    assert "⁴ AMBIGUOUS_COUNT:" in text


def test_each_row_marks_its_caveats_by_their_footnote_numbers(root: ET.Element) -> None:
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "row"]
    marked = [t.text or "" for g in rows for t in g.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert any(text.rstrip().endswith(("¹", "²", "³", "⁴")) for text in marked)


def test_special_characters_escaped(svg: str, root: ET.Element) -> None:
    assert "GEN501 &lt;part 2&gt; &amp; co" in svg
    assert "&quot;expansion&quot;" in svg
    assert "<part 2>" not in svg
    assert "<B>" not in svg
    group = _row_group(root, 'GEN501 <part 2> & co: 16 mg/kg "expansion" cohort')
    assert any((t.text or "").startswith("GEN501 <part 2>") for t in group.iter(f"{SVG}text"))
    hr_titles = [g.findtext(f"{SVG}title", "") for g in root.iter(f"{SVG}g") if g.get("class") == "hr-row"]
    assert "Trial <B>: hazard ratio 1.50 (95% CI 0.90-2.50) vs pomalidomide & dexamethasone" in hr_titles[1]


def _hr_texts(root: ET.Element) -> dict[str, tuple[str, dict[str, str]]]:
    """Each HR line's title and its texts by class (label, comparator, value, source; wrapped lines joined),
    by label."""
    out = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "hr-row":
            texts: dict[str, str] = {}
            for t in group.iter(f"{SVG}text"):
                key = t.get("class", "")
                texts[key] = f"{texts[key]} {t.text}" if key in texts else t.text or ""
            out[texts["hr-label"]] = (group.findtext(f"{SVG}title", ""), texts)
    return out


def test_hr_text_is_formatted_from_the_values(root: ET.Element) -> None:
    texts = _hr_texts(root)
    title, cells = texts["CASTOR"]
    # No level stated: "CI", not an assumed 95%; the p value bound as printed.
    assert title == (
        "CASTOR: hazard ratio 0.39 (CI 0.28-0.53) vs bortezomib-dexamethasone; p < 0.0001; "
        "source: Palumbo 2016, NEJM"
    )
    assert cells["hr-value"] == "0.39 (0.28-0.53)"
    # The comparator and the source under the label, whole (wrapped, never cut).
    assert cells["hr-comparator"] == "vs bortezomib-dexamethasone"
    assert cells["hr-source"] == "source: Palumbo 2016, NEJM"
    assert texts["Trial <B>"][1]["hr-value"] == "1.50 (0.90-2.50)"
    assert texts["Trial <B>"][1]["hr-comparator"] == "vs pomalidomide & dexamethasone"


def test_hr_without_a_number_has_no_marker_and_says_why() -> None:
    not_estimable = HazardRatioRow("Trial C", _hr(None, 0.5, 1.2, "placebo", "Roe 2022"))
    root = _parse(forest_svg(_table(), [*HRS, not_estimable]))
    group = next(
        g
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "hr-row" and "Trial C" in g.findtext(f"{SVG}title", "")
    )
    assert group.find(f"{SVG}rect[@class='hr-marker']") is None
    assert group.find(f"{SVG}line[@class='hr-ci']") is not None
    assert _hr_texts(root)["Trial C"][1]["hr-value"] == "NE (0.50-1.20)"
    assert _hr_texts(root)["Trial C"][1]["hr-comparator"] == "vs placebo"
    assert "hazard ratio NE (CI 0.50-1.20) vs placebo" in group.findtext(f"{SVG}title", "")


def test_a_pooled_diamond_shows_its_prediction_interval_dashed() -> None:
    pooled = Pooled("dara", 4, 31.0, 22.0, 41.0, 12.0, 60.0, 0.2, 55.0, "logit random effects")
    root = _parse(forest_svg(_table([pooled], requested=True)))
    (line,) = root.findall(f".//{SVG}line[@class='prediction']")
    assert line.get("stroke-dasharray")
    xs = sorted(float(line.get(a, "0")) for a in ("x1", "x2"))
    assert xs == [pytest.approx(prop_x(12.0)), pytest.approx(prop_x(60.0))]
    without = _parse(
        forest_svg(_table([Pooled("dara", 2, 31.0, 22.0, 41.0, None, None, 0.0, 0.0, "m")], True))
    )
    assert not without.findall(f".//{SVG}line[@class='prediction']")
