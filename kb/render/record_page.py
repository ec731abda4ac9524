"""A record as a web page: what its IRI shows a browser. Every statement about it, with curated records
linked to their own pages and DOIs, PubMed ids and trial registry numbers linked where they resolve."""

from __future__ import annotations

from collections import defaultdict

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kb.namespaces import ID_IRI, curie, prefixed
from kb.render.markup import escape

# Identifiers written as text in the data, and where each resolves.
RESOLVERS = {
    "http://purl.org/ontology/bibo/doi": "https://doi.org/{}",
    "http://purl.org/ontology/bibo/pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "https://w3id.org/mmkb/vocab#nctId": "https://clinicaltrials.gov/study/{}",
}


def record_path(iri: str) -> str:
    """The path of a curated record on the service: its IRI's path in the id namespace (/id/NAME)."""
    return "/id/" + iri[len(ID_IRI) :]


# An identifier record's scheme (mm:identifierScheme) and where its value resolves.
SCHEME_RESOLVERS = {
    "https://w3id.org/mmkb/vocab#DOI": RESOLVERS["http://purl.org/ontology/bibo/doi"],
    "https://w3id.org/mmkb/vocab#PMID": RESOLVERS["http://purl.org/ontology/bibo/pmid"],
    "https://w3id.org/mmkb/vocab#NCT": RESOLVERS["https://w3id.org/mmkb/vocab#nctId"],
}
IDENTIFIER_VALUE = URIRef("https://w3id.org/mmkb/vocab#identifierValue")
IDENTIFIER_SCHEME = URIRef("https://w3id.org/mmkb/vocab#identifierScheme")


def identifier_url(predicate: Node, value: Node, scheme: Node | None = None) -> str | None:
    """Where an identifier written as text resolves (a DOI at doi.org, a PMID at PubMed, a registry number
    at ClinicalTrials.gov), by its property or, for an identifier record's value, its scheme; or None."""
    pattern = RESOLVERS.get(str(predicate))
    if predicate == IDENTIFIER_VALUE and scheme is not None:
        pattern = SCHEME_RESOLVERS.get(str(scheme))
    return pattern.format(str(value).strip()) if pattern and isinstance(value, Literal) else None


def _name(term: Node) -> str:
    """A term as a CURIE of the project's prefixes (dcterms:title, mm:about), else as it is."""
    return prefixed(term) or str(term)


def _value(graph: Graph, predicate: Node, value: Node) -> str:
    if isinstance(value, BNode) and (value, RDF.first, None) in graph:  # a list: its items in order
        return escape(", ".join(str(item) for item in Collection(graph, value)))
    if isinstance(value, BNode):
        rows = "".join(
            f"<li>{escape(_name(p))}: {_value(graph, p, o)}</li>"
            for p, o in sorted(graph.predicate_objects(value))
        )
        return f"<ul>{rows}</ul>"
    if isinstance(value, URIRef):
        text = escape(_name(value))
        if str(value).startswith(ID_IRI):
            return f'<a href="{escape(record_path(str(value)))}">{text}</a>'
        if str(value).startswith(("http://", "https://")) and _name(value) == str(value):
            return f'<a href="{escape(str(value))}">{text}</a>'
        return text
    url = identifier_url(predicate, value, next(graph.objects(None, IDENTIFIER_SCHEME), None))
    return f'<a href="{escape(url)}">{escape(str(value))}</a>' if url else escape(str(value))


def record_html(iri: str, graph: Graph) -> str:
    """The record's page: its label, type and statements, and links to its Turtle and JSON-LD."""
    subject = URIRef(iri)
    label = graph.value(subject, RDFS.label) or curie(subject)
    kinds = ", ".join(escape(_name(t)) for t in sorted(graph.objects(subject, RDF.type), key=str))
    values: dict[Node, list[Node]] = defaultdict(list)
    for predicate, value in graph.predicate_objects(subject):
        values[predicate].append(value)
    rows = "".join(
        f'<tr><th scope="row">{escape(_name(p))}</th><td>'
        + "<br>".join(_value(graph, p, v) for v in sorted(values[p], key=str))
        + "</td></tr>"
        for p in sorted(values, key=str)
    )
    path = escape(record_path(iri))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(str(label))} · mmkb</title></head><body>"
        f"<h1>{escape(str(label))}</h1><p><code>{escape(iri)}</code> · {kinds}</p>"
        f'<p>Also as <a href="{path}?format=turtle">Turtle</a> and '
        f'<a href="{path}?format=jsonld">JSON-LD</a>.</p>'
        f"<table>{rows}</table></body></html>\n"
    )
