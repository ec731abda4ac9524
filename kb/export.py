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
        data = quads
    else:
        data = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    prefixes = (
        PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None
    )
    kwargs = {"prefixes": prefixes} if prefixes else {}
    output = ox.serialize(data, format=rdf_format, **kwargs)
    assert output is not None
    return output
