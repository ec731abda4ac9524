"""Writers for the knowledge base in the standard RDF serializations (Oxigraph's serializers).

What an export holds is chosen by graph: the asserted statements (one named graph per curated file),
the ontology's graphs, and the inferred graph (count reconstruction, record counts, conflict findings).
The dataset formats (TriG, N-Quads, JSON-LD) keep the named graphs, so reading one back gives the same
dataset; the triple formats (Turtle, N-Triples, RDF/XML) merge the chosen graphs into one, and say in a
comment at the top which parts they hold. mmkb reads any of them back without counting anything twice
(kb.graph.load, kb.reasoning.infer).
"""

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


def export(store: GraphStore, fmt: str, *, inferred: bool = True, ontology: bool = True) -> bytes:
    """The knowledge base in `fmt`: the asserted statements, plus the inferred graph and the ontology
    unless left out. Output is sorted, so the same knowledge base always gives the same bytes."""
    import pyoxigraph as ox

    from kb.graph.built_store import BUILD_GRAPH
    from kb.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPHS, PREFIXES

    try:
        rdf_format: ox.RdfFormat = getattr(ox.RdfFormat, RDF_FORMATS[fmt])
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(RDF_FORMATS)}") from None

    def kept(graph: object) -> bool:
        name = graph.value if isinstance(graph, ox.NamedNode) else ""
        if name == INFERRED_GRAPH:
            return inferred
        if name == BUILD_GRAPH:  # a built store's stamp describes the store, not the knowledge base
            return False
        return ontology or not name.startswith(ONTOLOGY_GRAPHS)

    quads = sorted((q for q in store.ox_quads() if kept(q.graph_name)), key=str)
    if rdf_format.supports_datasets:
        output = ox.serialize(quads, format=rdf_format, prefixes=PREFIXES)
    else:
        # Each triple sits in one graph only (GraphStore.add), so merging the graphs repeats nothing.
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        output = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES)
    assert output is not None
    return _with_header(output, fmt, contents(inferred=inferred, ontology=ontology))


def contents(*, inferred: bool, ontology: bool) -> str:
    """One sentence saying what an export holds."""
    parts = ["the asserted statements of the curated files"]
    if ontology:
        parts.append("the ontology")
    if inferred:
        parts.append("the inferred statements (count reconstruction, record counts, conflict findings)")
    held = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    left = [
        name
        for name, wanted in (("the ontology", ontology), ("the inferred statements", inferred))
        if not wanted
    ]
    sentence = f"mmkb knowledge base export: {held}"
    if left:
        sentence += f"; without {' and '.join(left)}"
    return sentence + ". Read back by mmkb, inferred statements are computed again, never added twice."


def _with_header(output: bytes, fmt: str, sentence: str) -> bytes:
    """The sentence as a comment where the format has comments (JSON-LD has none)."""
    if fmt in ("turtle", "ntriples", "trig", "nquads"):
        return f"# {sentence}\n".encode() + output
    if fmt == "rdfxml":
        declaration, _, rest = output.partition(b"\n")
        if declaration.startswith(b"<?xml"):
            return declaration + f"\n<!-- {sentence} -->\n".encode() + rest
        return f"<!-- {sentence} -->\n".encode() + output
    return output
