"""Golden tests of the comparison-table writers on a small hand-built table."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from kb.analysis.response_table import CAVEATS, ComparisonTable, NotPooled, Pooled, Row, Source
from kb.analysis.values import NOT_ESTIMABLE, NOT_REACHED, REPORTED, HazardRatio, Interval, Median
from kb.render.tables import (
    CSV_COLUMNS,
    FORMATS,
    render,
    to_csv,
    to_html,
    to_json,
    to_latex,
    to_markdown,
    to_tsv,
)

REQUIRED = (
    "stratum,study,cohort,design,regimen,n,responders,rate_pct,ci_low_pct,ci_high_pct,ci_method,"
    "count_origin,threshold,caveats,sources"
)
EXTRAS = (
    "x_over_n,candidates,printed_pct,data_cut,"
    "median_pfs,median_pfs_estimate,median_pfs_low,median_pfs_high,median_pfs_level,median_pfs_unit,"
    "median_pfs_status,"
    "hazard_ratio,hazard_ratio_estimate,hazard_ratio_low,hazard_ratio_high,hazard_ratio_level,"
    "hazard_ratio_status,hazard_ratio_comparator,hazard_ratio_p_value,hazard_ratio_p_value_below,"
    "evidence_rank,study_id,cohort_id,other_values,conflicts,claims,rate_text,n_unknown,derivation,source_urls"
)
EX = "https://example.org/mm/"
PFS = "progression-free survival"
# A median with its interval; a median not reached whose interval's upper bound could not be estimated;
# a hazard ratio with a stated level and a printed p bound.
MEDIAN = Median(PFS, 3.7, REPORTED, "months", "mo", Interval(2.8, 4.6), 1, f"{EX}claim/m1", "Lonial 2016")
NOT_REACHED_MEDIAN = Median(
    PFS,
    None,
    NOT_REACHED,
    "months",
    "mo",
    Interval(13.6, None, high_status=NOT_ESTIMABLE),
    2,
    f"{EX}claim/m2",
)
HAZARD_RATIO = HazardRatio(
    PFS,
    0.37,
    REPORTED,
    "Rd arm <control> & co",
    f"{EX}cohort/rd",
    Interval(0.27, 0.52, 0.95),
    p_value_below=0.001,
    data_cut=2,
    claim=f"{EX}claim/hr1",
    source="Smith_2020",
)


def _source(name: str, label: str) -> Source:
    return Source(f"{EX}claim/{name}", f"{EX}pub/{name}", label, "checked")


@pytest.fixture
def table() -> ComparisonTable:
    common = {"threshold": "PR", "ci_method": "clopper-pearson"}
    rows = [
        Row(
            stratum="refractory to lenalidomide",
            stratum_key="len",
            study="SIRIUS",
            study_id=f"{EX}study/sirius",
            cohort="16 mg/kg",
            cohort_id=f"{EX}cohort/sirius-16",
            design="prospective single-arm",
            evidence_rank=2,
            regimen="daratumumab",
            n=106,
            responders=31,
            rate_pct=29.245283,
            ci_low_pct=20.8,
            ci_high_pct=38.9,
            count_origin="reported",
            data_cut="1",
            median_pfs=MEDIAN,
            sources=(_source("s1", "Lonial 2016"), _source("s2", "Label; FDA")),
            **common,
        ),
        Row(
            stratum="refractory to lenalidomide",
            stratum_key="len",
            study="Smith series",
            study_id=f"{EX}study/smith",
            cohort="<&> cohort | A",
            cohort_id=f"{EX}cohort/smith-a",
            design="retrospective series",
            evidence_rank=5,
            regimen="pomalidomide & dexamethasone",
            n=50,
            responders=None,
            rate_pct=None,
            ci_low_pct=22.5,
            ci_high_pct=50.2,
            count_origin="ambiguous",
            candidates=(17, 18),
            printed_pct="~35",
            data_cut="2",
            median_pfs=NOT_REACHED_MEDIAN,
            hazard_ratio=HAZARD_RATIO,
            caveats=("RETROSPECTIVE", "AMBIGUOUS_COUNT"),
            sources=(_source("s3", "Smith_2020"),),
            **common,
        ),
        Row(
            stratum="refractory to pomalidomide",
            stratum_key="pom",
            study="Case 7",
            study_id=f"{EX}study/case7",
            cohort="patients 1-6",
            cohort_id=f"{EX}cohort/case7",
            design="case series",
            evidence_rank=6,
            regimen="selinexor",
            n=6,
            responders=6,
            rate_pct=100.0,
            ci_low_pct=54.07,
            ci_high_pct=100.0,
            count_origin="reported",
            caveats=("SMALL_N", "BOUNDARY"),
            sources=(_source("s4", "Doe 2021"),),
            **common,
        ),
    ]
    pooling: list[Pooled | NotPooled] = [
        Pooled("len", 3, 31.04, 22.0, 41.9, 10.0, 62.3, 0.1234, 42.0, "logit REML, Hartung-Knapp"),
        NotPooled("pom", (("FEW_STUDIES", CAVEATS["FEW_STUDIES"]), ("SMALL_N", "Only 6 patients."))),
    ]
    return ComparisonTable("refractory-status", "PR", "clopper-pearson", rows, pooling, pool_requested=True)


def _csv_rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_csv_header_is_required_columns_then_extras(table: ComparisonTable) -> None:
    text = to_csv(table)
    assert text.split("\n")[0] == f"{REQUIRED},{EXTRAS}"
    assert ",".join(CSV_COLUMNS) == f"{REQUIRED},{EXTRAS}"
    assert "\r" not in text


def test_csv_row_golden(table: ComparisonTable) -> None:
    line = to_csv(table).split("\n")[3]
    assert line == (
        "refractory to pomalidomide,Case 7,patients 1-6,case series,selinexor,6,6,100.0,54.1,100.0,"
        "clopper-pearson,reported,PR,SMALL_N;BOUNDARY,Doe 2021,6/6,,,"  # no candidates, printed figure, cut
        + "," * 7  # no median: its cell and six columns
        + "," * 9  # no hazard ratio: its cell and eight columns
        + f",6,{EX}study/case7,{EX}cohort/case7,,,{EX}claim/s4,100.0,False,,{EX}pub/s4"
    )


def test_csv_carries_medians_and_hazard_ratios_as_text_and_numbers(table: ComparisonTable) -> None:
    reported, not_reached, none = _csv_rows(to_csv(table))
    median = {k: v for k, v in reported.items() if k.startswith("median_pfs")}
    assert median == {
        "median_pfs": "3.7 (2.8-4.6) mo",
        "median_pfs_estimate": "3.7",
        "median_pfs_low": "2.8",
        "median_pfs_high": "4.6",
        "median_pfs_level": "",
        "median_pfs_unit": "months",
        "median_pfs_status": "reported",
    }
    # Not reached: no number is filled in; the bound that could not be estimated is empty too.
    assert not_reached["median_pfs"] == "NR (13.6-NE) mo"
    assert (not_reached["median_pfs_estimate"], not_reached["median_pfs_status"]) == ("", "not reached")
    assert (not_reached["median_pfs_low"], not_reached["median_pfs_high"]) == ("13.6", "")
    hazard_ratio = {k: v for k, v in not_reached.items() if k.startswith("hazard_ratio")}
    assert hazard_ratio == {
        "hazard_ratio": "0.37 (0.27-0.52) vs Rd arm <control> & co",
        "hazard_ratio_estimate": "0.37",
        "hazard_ratio_low": "0.27",
        "hazard_ratio_high": "0.52",
        "hazard_ratio_level": "0.95",
        "hazard_ratio_status": "reported",
        "hazard_ratio_comparator": "Rd arm <control> & co",
        "hazard_ratio_p_value": "",
        "hazard_ratio_p_value_below": "0.001",
    }
    assert not_reached["data_cut"] == "2"
    assert all(v == "" for k, v in none.items() if k.startswith(("median_pfs", "hazard_ratio")))


def test_csv_percentages_lists_and_missing_values(table: ComparisonTable) -> None:
    rows = _csv_rows(to_csv(table))
    assert len(rows) == 3
    for row in rows:
        for column in ("rate_pct", "ci_low_pct", "ci_high_pct"):
            assert row[column] == "" or re.fullmatch(r"\d{1,3}\.\d", row[column])
    assert rows[0]["rate_pct"] == "29.2"
    assert rows[0]["sources"] == "Lonial 2016;Label; FDA"
    assert rows[0]["claims"] == f"{EX}claim/s1;{EX}claim/s2"
    assert rows[1]["responders"] == "" and rows[1]["rate_pct"] == ""
    assert rows[1]["candidates"] == "17|18"
    assert rows[1]["x_over_n"] == "17-18/50"
    assert "FEW_STUDIES" not in to_csv(table)


def test_tsv_splits_on_tabs(table: ComparisonTable) -> None:
    lines = to_tsv(table).rstrip("\n").split("\n")
    assert lines[0].split("\t") == list(CSV_COLUMNS)
    assert all(len(line.split("\t")) == len(CSV_COLUMNS) for line in lines)
    assert _csv_rows(to_tsv(table), "\t") == _csv_rows(to_csv(table))


def test_markdown_footnotes_flags_and_pooling(table: ComparisonTable) -> None:
    text = to_markdown(table)
    standing = table.footnotes()[0]
    assert standing in text
    assert text.index(standing) < text.index("AMBIGUOUS_COUNT:")
    # Marks follow the order of CAVEATS, not of the rows.
    assert table.caveat_codes() == ["SMALL_N", "BOUNDARY", "AMBIGUOUS_COUNT", "RETROSPECTIVE"]
    for mark, code in zip("¹²³⁴", table.caveat_codes(), strict=True):
        assert text.count(f"{mark} {code}: {CAVEATS[code]}") == 1
    case_line = next(line for line in text.splitlines() if line.startswith("| Case 7 "))
    assert case_line.split(" | ")[-2] == "¹ ²"
    smith_line = next(line for line in text.splitlines() if line.startswith("| Smith series "))
    assert smith_line.split(" | ")[-2] == "³ ⁴"  # in footnote order, whatever the row's order
    assert "**refractory to lenalidomide**" in text and "**refractory to pomalidomide**" in text
    assert r"<&> cohort \| A" in text
    assert "29.2 (20.8-38.9)" in text
    assert "- refractory to pomalidomide: not pooled\n  - FEW_STUDIES: Fewer than 3 studies" in text
    assert "\n  - SMALL_N: Only 6 patients.\n" in text
    assert "exploratory pooled rate 31.0% (95% CI 22.0-41.9)" in text
    assert "τ² = 0.123, I² = 42.0%" in text
    sirius_line = next(line for line in text.splitlines() if line.startswith("| SIRIUS "))
    assert sirius_line.split(" | ")[6:8] == ["3.7 (2.8-4.6) mo", ""]
    assert smith_line.split(" | ")[6:8] == ["NR (13.6-NE) mo", "0.37 (0.27-0.52) vs Rd arm <control> & co"]


def test_markdown_without_pooling_request(table: ComparisonTable) -> None:
    table.pool_requested = False
    assert "Pooling" not in to_markdown(table)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.rows: list[dict[str, str | None]] = []
        self.rate_claims: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        attributes = dict(attrs)
        if tag == "tr" and "data-cohort" in attributes:
            self.rows.append(attributes)
        if tag == "td" and attributes.get("class") == "rate":
            self.rate_claims.append(attributes.get("data-claim"))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag


def test_html_parses_escapes_and_links_claims(table: ComparisonTable) -> None:
    text = to_html(table)
    root = ET.fromstring(text)  # well-formed as XML too
    assert root.tag == "table"
    assert [len(body.findall("tr")) for body in root.findall("tbody")] == [3, 2]
    stratum = root.find("tbody/tr/th")
    assert stratum is not None and stratum.get("colspan") == "10"
    assert "&lt;&amp;&gt; cohort | A" in text
    assert "<&>" not in text
    parser = _Collector()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    assert parser.rows[0]["data-claims"] == f"{EX}claim/s1;{EX}claim/s2"
    assert parser.rows[1]["data-cohort"] == f"{EX}cohort/smith-a"
    assert parser.rate_claims == [f"{EX}claim/s1", f"{EX}claim/s3", f"{EX}claim/s4"]
    assert '<sup title="SMALL_N">1</sup><sup title="BOUNDARY">2</sup>' in text
    cells = [
        ["".join(td.itertext()) for td in tr.findall("td")] for tr in root.iter("tr") if tr.get("data-cohort")
    ]
    assert [row[6:8] for row in cells] == [
        ["3.7 (2.8-4.6) mo", ""],
        ["NR (13.6-NE) mo", "0.37 (0.27-0.52) vs Rd arm <control> & co"],
        ["", ""],
    ]
    assert "<td>0.37 (0.27-0.52) vs Rd arm &lt;control&gt; &amp; co</td>" in text
    foot = "".join(root.find("tfoot").itertext())  # type: ignore[union-attr]
    assert table.footnotes()[0] in foot and "FEW_STUDIES" in foot


def test_latex_escapes_specials(table: ComparisonTable) -> None:
    text = to_latex(table)
    assert r"\toprule" in text and r"\midrule" in text and r"\bottomrule" in text
    assert r"pomalidomide \& dexamethasone" in text
    assert r"Smith\_2020" in text
    assert r"\textless{}\&\textgreater{} cohort \textbar{} A" in text
    assert r"Rate \% (95\% CI)" in text
    assert r"AMBIGUOUS\_COUNT" in text
    assert r"\textsuperscript{1,2}" in text and r"\textsuperscript{3,4}" in text
    assert text.count(r"{\footnotesize") == 1 + 4 + 2 + 2
    assert r" & 3.7 (2.8-4.6) mo &  & " in text
    assert (
        r" & NR (13.6-NE) mo & 0.37 (0.27-0.52) vs Rd arm \textless{}control\textgreater{} \& co & " in text
    )
    body = text.split(r"\end{tabular}")[0]
    assert re.search(r"(?<!\\)[%_#$]", body) is None


def test_json_is_typed(table: ComparisonTable) -> None:
    data = json.loads(to_json(table))
    assert data["columns"] == list(CSV_COLUMNS)
    assert data["grouping"] == "refractory-status" and data["ci_method"] == "clopper-pearson"
    first, second, third = data["rows"]
    assert first["n"] == 106 and first["responders"] == 31 and first["rate_pct"] == pytest.approx(29.245283)
    assert second["responders"] is None and second["rate_pct"] is None
    assert second["candidates"] == [17, 18]
    assert third["caveats"] == ["SMALL_N", "BOUNDARY"]
    assert first["sources"][1] == {
        "claim": f"{EX}claim/s2",
        "publication": f"{EX}pub/s2",
        "label": "Label; FDA",
        "verification": "checked",
    }
    assert first["claims"] == [f"{EX}claim/s1", f"{EX}claim/s2"]
    assert data["caveats"] == {code: CAVEATS[code] for code in table.caveat_codes()}
    assert data["footnotes"] == table.footnotes()
    assert first["median_pfs"] == {
        "endpoint": PFS,
        "estimate": 3.7,
        "status": "reported",
        "unit": "months",
        "unit_symbol": "mo",
        "interval": {
            "low": 2.8,
            "high": 4.6,
            "level": None,
            "low_status": "reported",
            "high_status": "reported",
        },
        "data_cut": 1,
        "claim": f"{EX}claim/m1",
        "source": "Lonial 2016",
    }
    assert first["hazard_ratio"] is None and third["median_pfs"] is None
    assert (first["median_pfs_estimate"], first["median_pfs_low"], first["median_pfs_high"]) == (
        3.7,
        2.8,
        4.6,
    )
    pooled, not_pooled = data["pooling"]
    assert pooled["pooled"] is True and pooled["k"] == 3 and pooled["i2_pct"] == 42.0
    assert not_pooled["failed"][0]["code"] == "FEW_STUDIES"
    assert to_json(table) == to_json(table)


def test_json_figures_are_numbers_and_a_missing_number_is_null_with_its_status(
    table: ComparisonTable,
) -> None:
    text = to_json(table)
    rows = json.loads(text)["rows"]
    median, hr = rows[1]["median_pfs"], rows[1]["hazard_ratio"]
    assert median["estimate"] is None and median["status"] == "not reached"
    assert median["interval"] == {
        "low": 13.6,
        "high": None,
        "level": None,
        "low_status": "reported",
        "high_status": "not estimable",
    }
    assert (hr["estimate"], hr["interval"]["low"], hr["interval"]["high"], hr["interval"]["level"]) == (
        0.37,
        0.27,
        0.52,
        0.95,
    )
    assert (hr["comparator"], hr["comparator_id"]) == ("Rd arm <control> & co", f"{EX}cohort/rd")
    assert (hr["p_value"], hr["p_value_below"], hr["data_cut"]) == (None, 0.001, 2)
    for value in (hr["estimate"], hr["interval"]["low"], hr["p_value_below"], rows[1]["hazard_ratio_high"]):
        assert type(value) is float
    assert '"estimate": 0.37,' in text and '"estimate": null,' in text  # numbers, not strings


def test_render_dispatches_and_rejects_unknown(table: ComparisonTable) -> None:
    assert set(FORMATS) == {"csv", "tsv", "md", "html", "latex", "json"}
    for fmt, writer in FORMATS.items():
        assert render(table, fmt) == writer(table)
    with pytest.raises(ValueError, match="xlsx") as info:
        render(table, "xlsx")
    assert "csv, tsv, md, html, latex, json" in str(info.value)


def test_empty_table_renders(table: ComparisonTable) -> None:
    empty = ComparisonTable("study", "PR", "wilson")
    for fmt in FORMATS:
        assert render(empty, fmt)
    assert to_csv(empty) == ",".join(CSV_COLUMNS) + "\n"


def test_dataframe_columns(table: ComparisonTable) -> None:
    pytest.importorskip("pandas")
    from kb.render.tables import to_dataframe

    frame = to_dataframe(table)
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert frame["n"].tolist() == [106, 50, 6]
    assert frame["responders"].isna().tolist() == [False, True, False]
    assert frame["candidates"].tolist() == ["", "17|18", ""]
    assert frame["sources"][0] == "Lonial 2016;Label; FDA"
    assert frame["median_pfs"].tolist() == ["3.7 (2.8-4.6) mo", "NR (13.6-NE) mo", ""]
    assert frame["median_pfs_estimate"].dtype == "float64"
    assert frame["median_pfs_estimate"].isna().tolist() == [False, True, True]
    assert (
        frame["hazard_ratio_estimate"][1] == 0.37
        and frame["hazard_ratio_comparator"][1] == "Rd arm <control> & co"
    )
