"""Writers for the whole graph in the standard RDF serializations (Oxigraph's serializers)."""

from __future__ import annotations

import pyoxigraph as ox

from kb.namespaces import PREFIXES
from kb.store import GraphStore

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def export(store: GraphStore, fmt: str) -> bytes:
    """The whole graph (ontology, curated files, inferred findings): named graphs kept for trig/nquads,
    merged into one graph (duplicates removed) for the triple formats."""
    try:
        rdf_format = RDF_FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(RDF_FORMATS)}") from None
    quads = sorted(store.oxigraph.quads_for_pattern(None, None, None, None), key=str)
    if rdf_format.supports_datasets:
        output = ox.serialize(quads, format=rdf_format, prefixes=PREFIXES)
    else:
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
        output = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES)
    assert output is not None
    return output
