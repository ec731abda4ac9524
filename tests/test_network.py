"""Network views on the shipped data: regimen comparisons and sequences, citations, and the exports."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
import rdflib.plugins.sparql.processor as rdflib_processor

from kb.analysis.network import (
    CITES,
    HEAD_TO_HEAD,
    SEQUENCE,
    SUMMARIZES,
    citation_network,
    regimen_network,
    to_graphml,
    to_node_link,
)
from kb.render.network_svg import to_svg

ID = "https://w3id.org/mmkb/id/"
LETTER = ID + "pub-letter-athens"
DARA = "regimen:daratumumab"
DRD = "regimen:daratumumab+dexamethasone+lenalidomide"
DPD = "regimen:daratumumab+dexamethasone+pomalidomide"
RD = "regimen:dexamethasone+lenalidomide"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def regimens(kb) -> nx.MultiDiGraph:
    return regimen_network(kb)


@pytest.fixture(scope="module")
def citations(kb) -> nx.DiGraph:
    return citation_network(kb)


def edges_of_kind(graph: nx.MultiDiGraph, source: str, target: str, kind: str) -> list[dict]:
    return [data for data in graph.get_edge_data(source, target, default={}).values() if data["kind"] == kind]


def test_networks_are_built_on_oxigraph_alone(kb, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rdflib's SPARQL engine was used instead of Oxigraph's")

    monkeypatch.setattr(rdflib_processor, "evalQuery", refuse)
    assert regimen_network(kb).number_of_edges() > 0
    assert citation_network(kb).number_of_edges() > 0


def test_same_composition_in_two_studies_is_one_node(regimens):
    drd = regimens.nodes[DRD]
    assert drd["label"] == "daratumumab + lenalidomide + dexamethasone"
    assert drd["drugs"] == ["daratumumab", "dexamethasone", "lenalidomide"]
    assert {ID + "pollux-drd-regimen", ID + "athens-drd"} <= set(drd["regimens"])
    assert {ID + "study-pollux", ID + "study-athens-dara-imid"} <= set(drd["studies"])
    assert "D-Rd" in drd["abbreviations"]


def test_pollux_is_a_head_to_head_edge_from_drd_to_rd(regimens):
    (edge,) = edges_of_kind(regimens, DRD, RD, HEAD_TO_HEAD)
    assert edge["study"] == ID + "study-pollux"
    assert edge["design"].endswith("#RandomizedPhase3")
    assert ID + "pollux-pfs-hr-dimopoulos2016" in edge["hazard_ratios"]
    assert not edges_of_kind(regimens, RD, DRD, HEAD_TO_HEAD)


def test_single_arm_and_dose_randomized_studies_give_no_head_to_head_edge(regimens):
    studies = {d["study"] for *_, d in regimens.edges(data=True) if d["kind"] == HEAD_TO_HEAD}
    assert studies == {ID + "study-pollux"}


@pytest.mark.parametrize(("received", "cohort"), [(DPD, "athens-pom-added"), (DRD, "athens-len-added")])
def test_letter_patients_are_sequence_edges_from_daratumumab_alone(regimens, received, cohort):
    (edge,) = edges_of_kind(regimens, DARA, received, SEQUENCE)
    assert edge["cohort"] == ID + cohort
    assert edge["study"] == ID + "study-athens-dara-imid"


def test_letter_cites_22_works_numbered_1_to_22(citations):
    cited = {t: d for _, t, d in citations.out_edges(LETTER, data=True) if d["kind"] == CITES}
    assert len(cited) == 22
    assert sorted(d["reference_number"] for d in cited.values()) == list(range(1, 23))
    (ref11,) = [t for t, d in cited.items() if d["reference_number"] == 11]
    assert ref11 == ID + "pub-usmani-2016"
    assert citations.nodes[ref11]["year"] == 2016


def test_secondary_summaries_point_to_what_they_summarize(citations):
    assert citations.edges[ID + "web-mmhub-sirius", ID + "pub-lonial-2016"]["kind"] == SUMMARIZES
    lonial = citations.nodes[ID + "pub-lonial-2016"]
    assert (lonial["pmid"], lonial["type"]) == ("26778538", "journal article")


@pytest.mark.parametrize("build", [regimen_network, citation_network])
def test_graphml_round_trips(kb, build):
    graph = build(kb)
    back = nx.read_graphml(io.BytesIO(to_graphml(graph)))
    assert sorted(back.nodes) == sorted(graph.nodes)
    assert back.number_of_edges() == graph.number_of_edges()
    for node, data in graph.nodes(data=True):
        expected = "; ".join(data["drugs"]) if "drugs" in data else data["label"]
        assert back.nodes[node]["drugs" if "drugs" in data else "label"] == expected


def test_graphml_keeps_hazard_ratios_as_one_string(regimens):
    back = nx.read_graphml(io.BytesIO(to_graphml(regimens)))
    (edge,) = [d for u, v, d in back.edges(data=True) if (u, v) == (DRD, RD)]
    assert edge["hazard_ratios"].count("; ") == 2


@pytest.mark.parametrize("build", [regimen_network, citation_network])
def test_node_link_json_is_deterministic(kb, build):
    text = to_node_link(build(kb))
    assert text == to_node_link(build(kb))
    data = json.loads(text)
    ids = [n["id"] for n in data["nodes"]]
    assert ids == sorted(ids)
    assert len(data["links"]) == build(kb).number_of_edges()


@pytest.mark.parametrize("build", [regimen_network, citation_network])
def test_svg_is_byte_identical_parses_and_titles_every_node_and_edge(kb, build):
    graph = build(kb)
    svg = to_svg(graph, "Network")
    assert svg == to_svg(build(kb), "Network")
    root = ET.fromstring(svg)
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    for cls, count in (("node", graph.number_of_nodes()), ("edge", graph.number_of_edges())):
        groups = [g for g in root.iter(SVG + "g") if g.get("class", "").split()[:1] == [cls]]
        assert len(groups) == count
        for group in groups:
            title = group.find(SVG + "title")
            assert title is not None and title.text and title.text.endswith(".")


def test_svg_styles_edges_by_kind(regimens):
    root = ET.fromstring(to_svg(regimens, "Regimens"))
    dashed = {
        g.get("class"): g.find(SVG + "path").get("stroke-dasharray")
        for g in root.iter(SVG + "g")
        if g.get("class", "").startswith("edge ")
    }
    assert dashed["edge head-to-head"] is None
    assert dashed["edge sequence"]


def test_svg_of_an_empty_graph_is_valid():
    ET.fromstring(to_svg(nx.DiGraph(), "Nothing"))
