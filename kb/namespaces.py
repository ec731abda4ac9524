"""The vocabulary as namespaces (MM is closed over the terms the ontology declares), and the two ways an
IRI is shown: its local name and its CURIE."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox
from rdflib import Literal, Namespace
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD, ClosedNamespace
from rdflib.term import Node

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
ONTOLOGY_GRAPHS = GRAPH_IRI + "ontology/"  # the prefix of the ontology files' graph names

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


def local_name(term: Node | str | None) -> str:
    """An IRI's local name (after the last '#' or '/'); a literal's whole text; "" for nothing."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def curie(term: Node | str) -> str:
    """An IRI of the vocabulary or of a record as a CURIE (mm:Study, id:study-pollux); any other term,
    literals included, as its text."""
    text = str(term)
    if not isinstance(term, Literal):
        for prefix in ("mm", "id"):
            if text.startswith(PREFIXES[prefix]):
                return f"{prefix}:{text[len(PREFIXES[prefix]) :]}"
    return text


def prefixed(term: Node | str, prefixes: Mapping[str, str] = PREFIXES) -> str | None:
    """The term as prefix:name under the namespace of `prefixes` it is in (dcterms:title, mm:about), or
    None when it is in none of them."""
    text = str(term)
    for prefix, namespace in prefixes.items():
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return None
