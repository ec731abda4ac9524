"""A record as a web page: what its IRI shows a browser. Every statement about it, with curated records
linked to their own pages and DOIs, PubMed ids and trial registry numbers linked where they resolve."""

from __future__ import annotations

from collections import defaultdict

from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kb.links import IDENTIFIER_SCHEME, identifier_url
from kb.namespaces import ID_IRI, curie, prefixed
from kb.render.markup import escape


def record_path(iri: str) -> str:
    """The path of a curated record on the service: its IRI's path in the id namespace (/id/NAME)."""
    return "/id/" + iri[len(ID_IRI) :]


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
