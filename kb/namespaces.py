"""The vocabulary as namespaces; MM is closed over the terms the ontology declares."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Namespace
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD, ClosedNamespace

from kb.paths import ONTOLOGY_FILES

MM_IRI = "https://w3id.org/mmkb/vocab#"
ID_IRI = "https://w3id.org/mmkb/id/"
GRAPH_IRI = "https://w3id.org/mmkb/graph/"


def _declared_terms() -> list[str]:
    terms: set[str] = set()
    for path in ONTOLOGY_FILES:
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            subject = triple.subject
            if isinstance(subject, ox.NamedNode) and subject.value.startswith(MM_IRI):
                terms.add(subject.value[len(MM_IRI) :])
    return sorted(terms)


MM = ClosedNamespace(MM_IRI, _declared_terms())
ID = Namespace(ID_IRI)
OA = Namespace("http://www.w3.org/ns/oa#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SH = Namespace("http://www.w3.org/ns/shacl#")

INFERRED_GRAPH = GRAPH_IRI + "inferred"

PREFIXES: dict[str, str] = {
    "mm": MM_IRI,
    "id": ID_IRI,
    "oa": str(OA),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "xsd": str(XSD),
    "dcterms": str(DCTERMS),
    "bibo": str(BIBO),
    "owl": "http://www.w3.org/2002/07/owl#",
}
