"""The drawings as SVG, PNG or PDF by the file name (the command line) or the route (REST): real files
through CairoSVG, the refusal of any other suffix, and the SVG byte for byte the same on every run."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.render.image_formats import PNG_SCALE, ImageFormatError, convert, image_format, svg_size

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings.from_env(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


@pytest.mark.parametrize("suffix", [".svg", ".SVG", ".png", ".pdf"])
def test_image_format_follows_the_suffix(suffix: str) -> None:
    assert image_format(f"plots/forest{suffix}") == suffix.lower().lstrip(".")


@pytest.mark.parametrize("name", ["forest.jpg", "forest.svg.txt", "forest"])
def test_any_other_suffix_is_refused_naming_it_and_the_accepted_ones(name: str) -> None:
    with pytest.raises(ImageFormatError) as refused:
        image_format(name)
    message = str(refused.value)
    assert name in message
    assert ".svg, .png and .pdf" in message


def test_cli_forest_writes_each_format_by_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    written = {}
    for suffix in ("svg", "png", "pdf"):
        out = tmp_path / f"forest.{suffix}"
        code, stdout, _ = _run(capsys, "plot", "forest", "--by", "regimen", "--out", str(out))
        assert code == 0 and stdout == ""
        written[suffix] = out.read_bytes()
    svg = written["svg"].decode("utf-8")
    assert svg.startswith("<svg ")
    assert written["pdf"].startswith(PDF_MAGIC)
    # The PNG is drawn at PNG_SCALE times the SVG's size, so that its text reads at twice the pixels.
    width, height = svg_size(svg)
    assert _png_size(written["png"]) == (round(width * PNG_SCALE), round(height * PNG_SCALE))


def test_cli_network_writes_each_format_by_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix, magic in (("svg", b"<svg "), ("png", PNG_MAGIC), ("pdf", PDF_MAGIC)):
        out = tmp_path / f"regimens.{suffix}"
        code, _, _ = _run(capsys, "network", "--kind", "regimens", "--format", "svg", "--out", str(out))
        assert code == 0
        assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize(
    "command",
    [("plot", "forest"), ("network", "--kind", "regimens", "--format", "svg")],
    ids=["forest", "network"],
)
def test_cli_refuses_another_suffix_in_one_line(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drawing.jpg"
    code, stdout, err = _run(capsys, *command, "--out", str(out))
    assert code == 2 and stdout == ""
    assert err.splitlines() == [
        f"mmkb: error: {out}: cannot write a drawing to a .jpg file; "
        "the suffixes written are .svg, .png and .pdf"
    ]
    assert not out.exists()


def test_cli_without_out_prints_svg(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = _run(capsys, "plot", "forest")
    assert code == 0 and stdout.startswith("<svg ")


def test_the_same_table_gives_the_same_bytes_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for suffix in ("svg", "pdf"):
        first, second = tmp_path / f"1.{suffix}", tmp_path / f"2.{suffix}"
        assert _run(capsys, "plot", "forest", "--by", "study", "--out", str(first))[0] == 0
        assert _run(capsys, "plot", "forest", "--by", "study", "--out", str(second))[0] == 0
        assert first.read_bytes() == second.read_bytes()


def test_a_png_too_large_is_refused_with_what_to_do() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="9000" viewBox="0 0 100 9000"></svg>'
    with pytest.raises(ImageFormatError, match="ask for SVG or PDF"):
        convert(svg, "png")
    assert convert(svg, "pdf").startswith(PDF_MAGIC)


@pytest.mark.parametrize(
    ("suffix", "media_type", "magic"),
    [
        ("svg", "image/svg+xml", b"<svg "),
        ("png", "image/png", PNG_MAGIC),
        ("pdf", "application/pdf", PDF_MAGIC),
    ],
)
def test_rest_forest_in_each_format(client: TestClient, suffix: str, media_type: str, magic: bytes) -> None:
    response = client.get(f"/plots/forest.{suffix}", params={"by": "regimen", "endpoint": "response"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.content.startswith(magic)


def test_rest_png_is_the_svg_drawn_larger(client: TestClient) -> None:
    params = {"by": "study", "threshold": "VGPR"}
    svg = client.get("/plots/forest.svg", params=params).text
    png = client.get("/plots/forest.png", params=params).content
    width, height = svg_size(svg)
    assert _png_size(png) == (round(width * PNG_SCALE), round(height * PNG_SCALE))


@pytest.mark.parametrize("suffix", ["png", "pdf"])
def test_rest_formats_take_the_same_parameters(client: TestClient, suffix: str) -> None:
    response = client.get(f"/plots/forest.{suffix}", params={"threshold": "XR"})
    assert response.status_code == 422
    assert "XR" in response.json()["error"]
    assert client.get(f"/plots/forest.{suffix}", params={"endpoint": "pfs"}).status_code == 200


# The forest plot's labels and legend, on the shipped knowledge base.

SVG_NS = "{http://www.w3.org/2000/svg}"
GROUPINGS_DRAWN = ("refractory-status", "regimen", "study", "design")
ENDPOINTS_DRAWN = ("pfs", "pfs-hr", "os")


def _forest(kb: KnowledgeBase, by: str, endpoint: str = "response") -> str:
    from kb.analysis.endpoints import compare
    from kb.analysis.response_rate import hazard_ratio_rows
    from kb.analysis.response_table import ComparisonTable
    from kb.render.forest_plot import forest_svg

    table = compare(kb, endpoint, by=by)
    if isinstance(table, ComparisonTable) and endpoint == "response":
        return forest_svg(table, hazard_ratio_rows(kb, table))
    return forest_svg(table)


def _texts_with_size(element: ET.Element, size: float) -> Iterator[tuple[str, float]]:
    """Every text's content with the font size it is drawn at (its own or the nearest ancestor's)."""
    own = float(element.get("font-size", size))
    if element.tag == f"{SVG_NS}text":
        yield element.text or "", own
    for child in element:
        yield from _texts_with_size(child, own)


def _groups(root: ET.Element, css: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == css]


@pytest.fixture(scope="module")
def plots(kb: KnowledgeBase) -> dict[tuple[str, str], str]:
    drawn = {(by, "response"): _forest(kb, by) for by in GROUPINGS_DRAWN}
    drawn.update({("study", endpoint): _forest(kb, "study", endpoint) for endpoint in ENDPOINTS_DRAWN})
    return drawn


def test_no_label_is_cut(plots: dict[tuple[str, str], str]) -> None:
    for key, svg in plots.items():
        assert "…" not in svg, key


def test_text_is_at_least_10_px_when_shown_1280_px_wide(plots: dict[tuple[str, str], str]) -> None:
    for key, svg in plots.items():
        root = ET.fromstring(svg)
        width, _ = svg_size(svg)
        sizes = [size for _, size in _texts_with_size(root, 16.0)]
        assert sizes, key
        assert min(sizes) * 1280 / width >= 10, key


def test_full_study_and_cohort_labels_wrapped_onto_lines(kb: KnowledgeBase) -> None:
    from kb.analysis.response_rate import response_rates

    table = response_rates(kb, by="refractory-status")
    root = ET.fromstring(_forest(kb, "refractory-status"))
    rows = _groups(root, "row")
    assert len(rows) == len(table.rows)  # a <title> per row, for screen readers
    shown = []
    for group in rows:
        study = " ".join(t.text or "" for t in group.iter(f"{SVG_NS}text") if t.get("class") == "study")
        cohort = " ".join(t.text or "" for t in group.iter(f"{SVG_NS}text") if t.get("class") == "cohort")
        shown.append((study, cohort))
        assert group.findtext(f"{SVG_NS}title", "").startswith(f"{study}: {cohort}: ")
    nooka = next(s for s, _ in shown if s.startswith("Nooka 2016"))
    assert nooka == next(r.study for r in table.rows if r.study.startswith("Nooka 2016"))
    assert len([t for g in rows for t in g.iter(f"{SVG_NS}text") if t.get("class") == "study"]) > len(rows)


def test_rows_that_would_read_the_same_are_told_apart_by_regimen(kb: KnowledgeBase) -> None:
    root = ET.fromstring(_forest(kb, "refractory-status"))
    cohorts = [
        " ".join(t.text or "" for t in g.iter(f"{SVG_NS}text") if t.get("class") == "cohort")
        for g in _groups(root, "row")
    ]
    athens = [c for c in cohorts if c.startswith("Athens case series: all 6 patients")]
    assert athens == [
        "Athens case series: all 6 patients; regimen: Daratumumab monotherapy 16 mg/kg",
        "Athens case series: all 6 patients; regimen: D-Pd or D-Rd",
    ]
    assert len(set(cohorts)) == len(cohorts)


def test_hazard_ratio_lines_name_comparator_and_data_cut(kb: KnowledgeBase) -> None:
    root = ET.fromstring(_forest(kb, "regimen"))
    lines = []
    for group in _groups(root, "hr-row"):
        by_class: dict[str, list[str]] = {}
        for t in group.iter(f"{SVG_NS}text"):
            by_class.setdefault(t.get("class", ""), []).append(t.text or "")
        lines.append({key: " ".join(value) for key, value in by_class.items()})
    assert [line["hr-label"].rsplit(", ", 1)[1] for line in lines] == [
        "data cut 1",
        "data cut 2",
        "data cut 3",
    ]
    assert {line["hr-comparator"] for line in lines} == {"vs POLLUX: lenalidomide + dexamethasone arm (Rd)"}
    assert [line["hr-value"] for line in lines] == [
        "0.37 (0.27-0.52)",
        "0.41 (0.31-0.53)",
        "0.44 (0.35-0.55)",
    ]
    assert "median follow-up 44.3 months" in lines[2]["hr-source"]


def test_legend_explains_marker_size_and_marks(kb: KnowledgeBase) -> None:
    root = ET.fromstring(_forest(kb, "regimen"))
    (legend,) = _groups(root, "legend")
    meanings = [t.text or "" for t in legend.iter(f"{SVG_NS}text")]
    assert meanings[0] == "Legend"
    assert (
        "its area is proportional to n, the patients in the cohort (shown: n = 10 and n = 100)" in meanings[1]
    )
    assert any(m.startswith("line: the 95% confidence interval (Clopper-Pearson)") for m in meanings)
    assert any(m.startswith("hollow square: the count is not printed") for m in meanings)
    assert any(m.startswith("grey: a case report") for m in meanings)
    assert any(m.startswith("hazard ratio") for m in meanings)
    # The two squares shown have the sides the plot gives cohorts of 10 and 100 patients.
    from kb.render.forest_plot import marker_side

    squares = [
        float(r.get("width", "0")) for r in legend.iter(f"{SVG_NS}rect") if r.get("class") == "marker-key"
    ]
    assert squares[:2] == [pytest.approx(marker_side(10)), pytest.approx(marker_side(100))]


def test_endpoint_legend_names_the_marks_drawn(kb: KnowledgeBase) -> None:
    root = ET.fromstring(_forest(kb, "study", "pfs"))
    (legend,) = _groups(root, "legend")
    meanings = [t.text or "" for t in legend.iter(f"{SVG_NS}text")]
    assert any(m.startswith("not reached") for m in meanings)
    assert any(m.startswith("open arrow: a bound the source gives as not estimable") for m in meanings)
    hr_root = ET.fromstring(_forest(kb, "study", "pfs-hr"))
    (hr_legend,) = _groups(hr_root, "legend")
    assert any(
        (t.text or "").startswith("vertical line: no difference") for t in hr_legend.iter(f"{SVG_NS}text")
    )


# The regimen network's edge labels and lone nodes.


def _network_root(kb: KnowledgeBase) -> ET.Element:
    from kb.analysis.network import regimen_network
    from kb.render.network_svg import to_svg

    return ET.fromstring(to_svg(regimen_network(kb), "regimens network"))


def _shown(group: ET.Element, css: str | None = None) -> str:
    """The text a group shows (its halo copies left out), lines joined."""
    return " ".join(
        t.text or ""
        for t in group.iter(f"{SVG_NS}text")
        if t.get("class") != "halo" and (css is None or t.get("class") == css)
    )


def test_network_edges_are_labelled_by_kind_and_study(kb: KnowledgeBase) -> None:
    root = _network_root(kb)
    labels = {}
    for group in root.iter(f"{SVG_NS}g"):
        if (group.get("class") or "").startswith("edge "):
            (label,) = [g for g in group.iter(f"{SVG_NS}g") if g.get("class") == "edge-label"]
            labels.setdefault(group.get("class"), []).append(_shown(label))
    assert labels["edge head-to-head"] == ["head-to-head comparison: POLLUX (MMY3003)"]
    assert labels["edge sequence"] == ["sequence: Athens case series"] * 2


def test_network_says_why_a_regimen_stands_alone(kb: KnowledgeBase) -> None:
    from kb.analysis.network import regimen_network

    graph = regimen_network(kb)
    lone = {graph.nodes[n]["label"] for n in graph.nodes if graph.degree(n) == 0}
    assert lone  # the case-series regimens and Baertsch's are compared with nothing
    root = _network_root(kb)
    shown = {}
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") == "node alone":
            shown[_shown(group)] = group.findtext(f"{SVG_NS}title", "")
    assert sorted(shown) == sorted(f"{label} (single-arm: no comparison)" for label in lone)
    for title in shown.values():
        assert "It stands alone: no study compares it head-to-head with another regimen" in title
    linked = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "node"]
    assert linked and all("single-arm" not in _shown(g) for g in linked)


def test_network_labels_are_whole_and_legible_without_paint_order(kb: KnowledgeBase) -> None:
    from kb.analysis.network import citation_network
    from kb.render.network_svg import to_svg

    for svg in (
        ET.tostring(_network_root(kb), encoding="unicode"),
        to_svg(citation_network(kb), "citations"),
    ):
        assert "…" not in svg
        assert "paint-order" not in svg  # a halo is a copy drawn beneath, which CairoSVG draws as well


def test_without_the_cairo_library_png_and_pdf_say_what_to_install_and_svg_still_works(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A machine without libcairo2: the import of cairosvg fails there; PNG and PDF are a clear error (503
    over HTTP, one line on the command line), never a 500 or a traceback, and SVG is written as before."""
    import sys

    monkeypatch.setitem(sys.modules, "cairosvg", None)  # what `import cairosvg` meets without the library
    for suffix in ("png", "pdf"):
        answer = client.get(f"/plots/forest.{suffix}")
        assert answer.status_code == 503
        assert "apt-get install libcairo2" in answer.json()["error"]
    assert client.get("/plots/forest.svg").status_code == 200
    code, _, err = _run(capsys, "plot", "forest", "--out", str(tmp_path / "forest.png"))
    assert code == 2
    assert err.splitlines()[-1].startswith("mmkb: error: PNG and PDF need the cairo library")
    assert not (tmp_path / "forest.png").exists()
