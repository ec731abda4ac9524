"""Real SPARQL clients against a live service: SPARQLWrapper and rdflib SPARQLStore agree with the library."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, SPARQLWrapper

QUERY = """
PREFIX mm: <https://w3id.org/mmkb/vocab#>
SELECT ?claim ?n ?d WHERE {
  ?claim a mm:Proportion ; mm:measures mm:Response ; mm:numerator ?n ; mm:denominator ?d .
  FILTER(isLiteral(?n) && isLiteral(?d))
} ORDER BY ?claim
"""


def _library_rows(kb) -> list[tuple[str, int, int]]:
    return [(str(r["claim"]), int(r["n"]), int(r["d"])) for r in kb.select(QUERY)]


def test_sparqlwrapper_get_and_post_match_the_library(kb, live_server):
    expected = _library_rows(kb)
    assert ("https://w3id.org/mmkb/id/sirius-orr-lonial2016", 31, 106) in expected
    for method in ("GET", "POST"):
        client = SPARQLWrapper(live_server + "/sparql")
        client.setMethod(method)
        client.setQuery(QUERY)
        client.setReturnFormat(JSON)
        bindings = client.query().convert()["results"]["bindings"]
        rows = [(b["claim"]["value"], int(b["n"]["value"]), int(b["d"]["value"])) for b in bindings]
        assert rows == expected


def test_sparqlwrapper_csv_and_construct(kb, live_server):
    client = SPARQLWrapper(live_server + "/sparql")
    client.setQuery(QUERY)
    client.setReturnFormat(CSV)
    lines = client.query().convert().decode().splitlines()
    assert lines[0] == "claim,n,d" and len(lines) == len(_library_rows(kb)) + 1
    client.setQuery(
        "PREFIX mm: <https://w3id.org/mmkb/vocab#> CONSTRUCT { ?p mm:patientLabel ?l } "
        "WHERE { ?p mm:memberOf <https://w3id.org/mmkb/id/athens-all> ; mm:patientLabel ?l }"
    )
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 6


def test_rdflib_sparqlstore_matches_the_library(kb, live_server):
    store = SPARQLStore(live_server + "/sparql", returnFormat="json")
    remote = [(str(r[0]), int(r[1]), int(r[2])) for r in store.query(QUERY)]
    assert remote == _library_rows(kb)
    asked = store.query("ASK { <https://w3id.org/mmkb/id/study-sirius> ?p ?o }")
    assert asked.askAnswer is True
    # Read-only: the store refuses updates, and the service answers them with 403 in any case.
    label = next(
        store.objects(
            URIRef("https://w3id.org/mmkb/id/study-sirius"),
            URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
        )
    )
    assert isinstance(label, Literal) and "SIRIUS" in str(label)
