"""Every endpoint's views: its table in every format, its forest plot, its REST route and its command."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.compare import MEDIA_TYPES
from api.settings import Settings
from kb.analysis.endpoint_table import EndpointTable
from kb.analysis.endpoints import compare
from kb.analysis.options import CHOICES
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.render.endpoint_tables import ENDPOINT_COLUMNS
from kb.render.forest_plot import forest_svg
from kb.render.tables import FORMATS, cited_publications, render, to_dataframe

VIEWED = ("pfs", "os", "pfs-hr", "pfs-landmark")
SVG = "{http://www.w3.org/2000/svg}"
POOLED = "https://w3id.org/mmkb/id/pooled-dara16"
POLLUX_DRD = "https://w3id.org/mmkb/id/pollux-drd"


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> dict[str, EndpointTable]:
    found = {name: compare(kb, name) for name in VIEWED}
    assert all(isinstance(table, EndpointTable) for table in found.values())
    return found  # type: ignore[return-value]


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


def _json(table: EndpointTable) -> dict[str, Any]:
    return json.loads(render(table, "json"))


def _rows(document: dict[str, Any], cohort: str) -> list[dict[str, Any]]:
    return [row for row in document["rows"] if row["cohort_id"] == cohort]


@pytest.mark.parametrize("name", VIEWED)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_writes_every_row_with_its_data_cut(
    tables: dict[str, EndpointTable], name: str, fmt: str
) -> None:
    table = tables[name]
    text = render(table, fmt)
    assert table.rows
    if fmt in ("csv", "tsv"):
        rows = list(csv.DictReader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))
        assert tuple(rows[0]) == ENDPOINT_COLUMNS
        assert len(rows) == len(table.rows)
        assert [r["data_cut"] for r in rows] == [
            "" if r.data_cut is None else str(r.data_cut) for r in table.rows
        ]
    elif fmt == "json":
        assert len(json.loads(text)["rows"]) == len(table.rows)
    else:
        # The typeset formats show each row's data cut and follow-up, and every footnote's caveat code.
        for row in table.rows:
            if row.data_cut_label:
                assert row.data_cut_label.split(":")[0] in text
        for code in table.caveat_codes():
            assert code in text.replace(r"\_", "_")


def test_pooled_median_pfs_is_numbers_at_its_row(tables: dict[str, EndpointTable]) -> None:
    document = _json(tables["pfs"])
    (row,) = [r for r in _rows(document, POOLED) if r["data_cut"] == 1]
    assert row["figure"]["estimate"] == 4.0
    assert row["figure"]["interval"]["low"] == 2.8
    assert row["figure"]["interval"]["high"] == 5.6
    assert row["figure"]["unit"] == "months"
    assert (row["estimate"], row["low"], row["high"], row["unit"]) == (4.0, 2.8, 5.6, "months")
    assert row["figure_text"] == "4.0 (2.8-5.6) mo"
    assert "4.0 (2.8-5.6) mo" in render(tables["pfs"], "md")


def test_pooled_median_os_keeps_its_not_estimable_bound_as_a_status(tables: dict[str, EndpointTable]) -> None:
    document = _json(tables["os"])
    (row,) = [r for r in _rows(document, POOLED) if r["data_cut"] == 1]
    assert row["estimate"] == 20.1
    assert row["figure"]["interval"]["high"] is None
    assert row["figure"]["interval"]["high_status"] == "not estimable"
    assert (row["high"], row["high_status"]) == (None, "not estimable")
    assert row["figure_text"] == "20.1 (16.6-NE) mo"
    lines = csv.DictReader(io.StringIO(render(tables["os"], "csv")))
    (line,) = [r for r in lines if r["cohort_id"] == POOLED and r["data_cut"] == "1"]
    assert (line["estimate"], line["high"], line["high_status"]) == ("20.1", "", "not estimable")


def test_pollux_hazard_ratios_one_per_data_cut_in_order(tables: dict[str, EndpointTable]) -> None:
    document = _json(tables["pfs-hr"])
    rows = _rows(document, POLLUX_DRD)
    assert [(r["data_cut"], r["estimate"]) for r in rows] == [(1, 0.37), (2, 0.41), (3, 0.44)]
    first = rows[0]
    assert (first["low"], first["high"], first["level"]) == (0.27, 0.52, 0.95)
    assert first["comparator_id"] == "https://w3id.org/mmkb/id/pollux-rd"
    assert first["p_value_below"] == 0.001
    assert first["follow_up_months"] == 13.5
    assert first["figure_text"].startswith("0.37 (0.27-0.52) vs ")


def test_landmark_rate_is_a_percentage_at_its_time(tables: dict[str, EndpointTable]) -> None:
    (row,) = _rows(_json(tables["pfs-landmark"]), POLLUX_DRD)
    assert (row["estimate"], row["unit"], row["landmark"], row["landmark_unit"]) == (
        83.2,
        "percent",
        12.0,
        "months",
    )
    assert row["figure_text"] == "83.2% (78.3-87.2) at 12 months"


def test_dataframe_keeps_figures_as_numbers(tables: dict[str, EndpointTable]) -> None:
    frame = to_dataframe(tables["pfs-hr"])
    assert list(frame.columns) == list(ENDPOINT_COLUMNS)
    assert list(frame["estimate"]) == [0.37, 0.41, 0.44]
    assert str(frame["data_cut"].dtype) == "Int64"


def _svg(table: EndpointTable) -> ET.Element:
    return ET.fromstring(forest_svg(table))


def _classed(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def test_hazard_ratio_plot_has_the_line_of_no_effect_on_a_log_axis(tables: dict[str, EndpointTable]) -> None:
    root = _svg(tables["pfs-hr"])
    (null,) = _classed(root, "hr-null")
    ticks = {
        t.text: float(t.get("x", "0")) for t in _classed(root, "hazard-ratio-axis")[0].iter(f"{SVG}text")
    }
    assert float(null.get("x1", "")) == ticks["1"]
    # Log scale: 0.5 lies as far below 1 as 2 lies above it.
    assert ticks["1"] - ticks["0.5"] == pytest.approx(ticks["2"] - ticks["1"], abs=0.02)
    assert len(_classed(root, "marker")) == 3


def test_median_plot_has_a_time_axis_and_draws_no_number_for_what_is_not_one(
    tables: dict[str, EndpointTable],
) -> None:
    root = _svg(tables["pfs"])
    (axis,) = _classed(root, "median-axis")
    labels = [t.text for t in axis.iter(f"{SVG}text")]
    assert "Median, months" in labels and "0" in labels
    # POLLUX D-Rd's median not reached at cuts 1 and 2: a labelled mark each, no marker.
    assert len(_classed(root, "not-reached")) == 2
    assert all("not reached" in "".join(g.itertext()) for g in _classed(root, "not-reached"))
    os_root = _svg(tables["os"])
    assert len(_classed(os_root, "ne-arrow")) == 2  # MMY1001 and the pooled analysis: high bound NE


def test_landmark_plot_is_on_a_percent_axis(tables: dict[str, EndpointTable]) -> None:
    root = _svg(tables["pfs-landmark"])
    (axis,) = _classed(root, "landmark-axis")
    labels = [t.text for t in axis.iter(f"{SVG}text")]
    assert labels[:5] == ["0", "25", "50", "75", "100"]
    assert len(_classed(root, "marker")) == 2


@pytest.mark.parametrize("name", CHOICES["endpoint"])
@pytest.mark.parametrize("fmt", list(MEDIA_TYPES))
def test_rest_compares_every_endpoint_in_every_format(client: TestClient, name: str, fmt: str) -> None:
    response = client.get(f"/compare/{name}", params={"format": fmt})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    negotiated = client.get(f"/compare/{name}", headers={"Accept": MEDIA_TYPES[fmt]})
    assert negotiated.text == response.text


def test_rest_endpoint_table_is_the_library_table(
    client: TestClient, tables: dict[str, EndpointTable], kb: KnowledgeBase
) -> None:
    table = tables["pfs-hr"]
    library = json.loads(render(table, "json", kb.publications(cited_publications(table))))
    assert client.get("/compare/pfs-hr").json() == library
    assert client.get("/compare/response").json() == client.get("/compare/response-rate").json()


def test_rest_unknown_endpoint_is_422_listing_the_valid_ones(client: TestClient) -> None:
    response = client.get("/compare/pfs-median")
    assert response.status_code == 422
    body = response.json()
    assert "pfs-median" in body["error"]
    assert body["valid"] == list(CHOICES["endpoint"])
    plot = client.get("/plots/forest.svg", params={"endpoint": "pfs-median"})
    assert plot.status_code == 422
    assert plot.json()["valid"] == list(CHOICES["endpoint"])


def test_rest_forest_plot_of_an_endpoint(client: TestClient) -> None:
    response = client.get("/plots/forest.svg", params={"endpoint": "pfs-hr"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert 'class="hr-null"' in response.text
    default = client.get("/plots/forest.svg").text
    assert "Response (PR or better)" in default


def test_options_list_the_endpoints_with_their_labels(client: TestClient) -> None:
    endpoints = client.get("/options").json()["endpoint"]
    assert endpoints[0] == {"value": "response", "label": "response rate"}
    assert {"value": "pfs", "label": "median progression-free survival"} in endpoints


def test_cli_compare_pfs_csv_parses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "pfs", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("mmkb: knowledge base: ")
    rows = list(csv.DictReader(io.StringIO(out)))
    pooled = [r for r in rows if r["cohort_id"] == POOLED and r["data_cut"] == "1"]
    assert [(r["estimate"], r["low"], r["high"]) for r in pooled] == [("4.0", "2.8", "5.6")]


def test_cli_forest_plot_of_an_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", "forest", "--endpoint", "os"]) == 0
    out, _ = capsys.readouterr()
    assert 'class="ne-arrow"' in out and "Median, months" in out


def test_other_sources_figures_stand_beside_the_figure(tables: dict[str, EndpointTable]) -> None:
    table = tables["pfs"]
    row = next(r for r in table.rows if r.cohort_id == POOLED and r.data_cut == 1)
    disagreeing = dataclasses.replace(row, other_values=("4.6 mo (other source)",))
    shown = dataclasses.replace(table, rows=[disagreeing])
    for fmt in ("md", "html", "latex"):
        assert "4.0 (2.8-5.6) mo; also 4.6 mo (other source)" in render(shown, fmt)
    (line,) = csv.DictReader(io.StringIO(render(shown, "csv")))
    assert (line["figure"], line["other_values"]) == ("4.0 (2.8-5.6) mo", "4.6 mo (other source)")
    assert _json(shown)["rows"][0]["other_values"] == ["4.6 mo (other source)"]


def test_an_adverse_event_table_names_the_event_of_each_row_and_no_survival_figures() -> None:
    """A row per cohort and adverse event: every format says which event, and the response table's median
    PFS and hazard ratio (figures of the cohort, not of the event) are not shown beside it."""
    import csv as csv_module
    import io
    import json

    from kb.analysis.endpoints import compare
    from kb.knowledge_base import KnowledgeBase
    from kb.render.tables import render

    table = compare(KnowledgeBase.open(), "ae-grade3plus")
    markdown = render(table, "md")
    assert "| Study | Cohort | Event | Design |" in markdown and "Median PFS" not in markdown
    assert "| neutropenia |" in markdown
    rows = list(csv_module.DictReader(io.StringIO(render(table, "csv"))))
    neutropenia = {(r["cohort"], r["event"], r["x_over_n"]) for r in rows if r["event"] == "neutropenia"}
    assert ("MMY1001 D-Pd: all 103 treated patients", "neutropenia", "80/103") in neutropenia
    assert {r["endpoint"] for r in rows} == {"ae-grade3plus"}
    document = json.loads(render(table, "json"))
    assert document["endpoint"] == "ae-grade3plus"
    assert {r["event"] for r in document["rows"]} == {
        "anemia",
        "leukopenia",
        "neutropenia",
        "thrombocytopenia",
    }
    assert '<th scope="col">Event</th>' in render(table, "html")
    assert "Event" in render(table, "latex")
