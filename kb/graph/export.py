"""Writers for the whole graph in the standard RDF serializations (Oxigraph's serializers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.graph.store import GraphStore

# Each format's pyoxigraph RdfFormat member, by name: the command line lists the formats without
# loading pyoxigraph.
RDF_FORMATS: dict[str, str] = {
    "turtle": "TURTLE",
    "ntriples": "N_TRIPLES",
    "jsonld": "JSON_LD",
    "trig": "TRIG",
    "nquads": "N_QUADS",
    "rdfxml": "RDF_XML",
}


def export(store: GraphStore, fmt: str) -> bytes:
    """The whole graph (ontology, curated files, inferred findings): named graphs kept for trig/nquads,
    merged into one graph (duplicates removed) for the triple formats."""
    import pyoxigraph as ox

    from kb.namespaces import PREFIXES

    try:
        rdf_format: ox.RdfFormat = getattr(ox.RdfFormat, RDF_FORMATS[fmt])
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
