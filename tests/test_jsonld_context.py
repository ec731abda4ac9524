"""The JSON-LD export is compacted with the shipped context, the service serves that context, and
reading the export back gives the knowledge base's statements graph by graph."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from api.app import create_app
from api.settings import Settings
from kb.graph.export import CONTEXT_FILE, compact_jsonld, context, export
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM_IRI
from kb.paths import VOCABULARY_FILE

XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    settings = Settings.from_env(allowed_hosts=("testserver",))
    with TestClient(create_app(kb, settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(kb: KnowledgeBase) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(export(kb.store, "jsonld"))
    return parsed


def expanded(kb: KnowledgeBase) -> list[ox.Quad]:
    """The statements the export holds, straight from the store (inferred graph and ontology included)."""
    from kb.graph.built_store import BUILD_GRAPH

    return [q for q in kb.store.ox_quads() if getattr(q.graph_name, "value", "") != BUILD_GRAPH]


def graphs(dataset: Dataset) -> dict[str, Graph]:
    return {str(g.identifier): g for g in dataset.graphs() if len(g)}


def test_export_carries_the_shipped_context(document: dict[str, Any]) -> None:
    assert document["@context"] == json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def test_export_is_compact_json(document: dict[str, Any]) -> None:
    nodes = [node for graph in document["@graph"] for node in graph["@graph"]]
    pollux = next(n for n in nodes if n.get("@id") == "id:study-pollux")
    assert pollux["@type"] == "mm:Study"
    counted = [n for n in nodes if "denominator" in n and isinstance(n["denominator"], str)]
    assert counted, "a denominator is a plain value under its short term"
    assert all(n["denominator"].isdigit() for n in counted)
    assert not any(key.startswith("http") for n in nodes for key in n), "every property has a short key"


def test_round_trip_gives_the_same_graphs(kb: KnowledgeBase) -> None:
    body = export(kb.store, "jsonld")
    read = Dataset()
    read.parse(data=body, format="json-ld")
    original = Dataset()
    original.parse(data=ox.serialize(expanded(kb), format=ox.RdfFormat.N_QUADS), format="nquads")
    want, got = graphs(original), graphs(read)
    assert sorted(got) == sorted(want)
    different = [name for name in want if not isomorphic(want[name], got[name])]
    assert different == []


def test_oxigraph_reads_back_the_same_quads(kb: KnowledgeBase) -> None:
    body = export(kb.store, "jsonld")
    assert set(ox.parse(body, format=ox.RdfFormat.JSON_LD)) == set(expanded(kb))


def test_values_outside_the_context_keep_their_type() -> None:
    expanded_doc = json.dumps(
        [
            {
                "@id": "https://w3id.org/mmkb/id/x",
                MM_IRI + "denominator": [{"@id": MM_IRI + "NotReported"}],
                MM_IRI + "percent": [{"@value": "35", "@type": XSD + "integer"}],
                "http://example.org/p": [{"@value": "a", "@language": "en"}],
            }
        ]
    ).encode()
    compact = compact_jsonld(expanded_doc)
    node = json.loads(compact)["@graph"][0]
    assert node["denominator"] == {"@id": "mm:NotReported"}
    assert node["percent"] == {"@value": "35", "@type": "xsd:integer"}
    assert set(ox.parse(compact, format=ox.RdfFormat.JSON_LD)) == set(
        ox.parse(expanded_doc, format=ox.RdfFormat.JSON_LD)
    )


def test_every_vocabulary_property_has_a_term() -> None:
    kinds = {
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
    }
    properties = {
        t.subject.value
        for t in ox.parse(path=str(VOCABULARY_FILE))
        if t.predicate.value == RDF_TYPE and t.object.value in kinds and t.subject.value.startswith(MM_IRI)
    }
    terms = {
        (d["@id"] if isinstance(d, dict) else d).replace("mm:", MM_IRI, 1)
        for d in context().values()
        if isinstance(d, dict | str)
    }
    assert sorted(properties - terms) == []


def test_service_serves_the_context(client: TestClient) -> None:
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json() == json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
