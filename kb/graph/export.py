"""Writers for the knowledge base in the standard RDF serializations (Oxigraph's serializers).

What an export holds is chosen by graph: the asserted statements (one named graph per curated file),
the ontology's graphs, and the inferred graph (count reconstruction, record counts, conflict findings).
The dataset formats (TriG, N-Quads, JSON-LD) keep the named graphs, so reading one back gives the same
dataset; JSON-LD is compacted with mmkb's published context (ontology/context.jsonld, CONTEXT_URL), so it
reads as plain JSON with short keys and typed values; the triple formats (Turtle, N-Triples, RDF/XML)
merge the chosen graphs into one, and say in a comment at the top which parts they hold. mmkb reads any
of them back without counting anything twice (kb.graph.load, kb.reasoning.infer).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from kb.paths import ONTOLOGY_DIR

if TYPE_CHECKING:
    from kb.graph.store import GraphStore

CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
CONTEXT_URL = "https://w3id.org/mmkb/context.jsonld"

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
    if fmt == "jsonld":
        output = compact_jsonld(output)
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


@cache
def context() -> dict[str, Any]:
    """The JSON-LD context mmkb publishes at CONTEXT_URL: prefixes, and a short term per property with
    the type its values are coerced to (an IRI, xsd:integer, xsd:decimal, xsd:boolean, ...)."""
    document: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return document["@context"]  # type: ignore[no-any-return]


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


class _Compactor:
    """Expanded JSON-LD (Oxigraph's output: full IRIs, every value an object in a list) rewritten with the
    context: property IRIs as their terms, IRIs as CURIEs, values of a coerced type as their lexical form,
    single values out of their lists. Anything the context does not cover keeps an explicit value object,
    so expanding the result gives back exactly the statements that went in."""

    def __init__(self, ctx: dict[str, Any]) -> None:
        self.prefixes = sorted(
            ((name, iri) for name, iri in ctx.items() if isinstance(iri, str) and iri.endswith(("#", "/"))),
            key=lambda item: -len(item[1]),
        )
        self.terms: dict[str, tuple[str, str | None]] = {}  # property IRI -> (term, coerced type IRI)
        for term, definition in ctx.items():
            if isinstance(definition, dict):
                iri, coerced = self.expand(definition["@id"]), definition.get("@type")
            elif any(term == name for name, _ in self.prefixes):
                continue
            else:
                iri, coerced = self.expand(definition), None
            if coerced is not None and coerced != "@id":
                coerced = self.expand(coerced)
            self.terms[iri] = (term, coerced)

    def expand(self, curie: str) -> str:
        prefix, _, rest = curie.partition(":")
        for name, iri in self.prefixes:
            if name == prefix:
                return iri + rest
        return curie

    def iri(self, iri: str) -> str:
        for name, base in self.prefixes:
            local = iri[len(base) :]
            # A CURIE whose local part could read as an IRI or another CURIE stays a full IRI.
            if iri.startswith(base) and local and "/" not in local and ":" not in local and "#" not in local:
                return f"{name}:{local}"
        return iri

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, values in node.items():
            if key == "@id":
                out["@id"] = values if values.startswith("_:") else self.iri(values)
            elif key == "@graph":
                out["@graph"] = [self.node(n) for n in values]
            elif key == _RDF_TYPE and all(set(v) == {"@id"} for v in values):
                out["@type"] = self._single([self.iri(v["@id"]) for v in values])
            elif key.startswith("@"):
                out[key] = values
            else:
                term, coerced = self.terms.get(key, (self.iri(key), None))
                out[term] = self._single([self.value(v, coerced) for v in values])
        return out

    def value(self, value: dict[str, Any], coerced: str | None) -> Any:
        if "@id" in value:
            ref = value["@id"] if value["@id"].startswith("_:") else self.iri(value["@id"])
            return ref if coerced == "@id" else {"@id": ref}
        if "@list" in value:
            return {"@list": [self.value(v, None) for v in value["@list"]]}
        datatype = value.get("@type")
        if coerced is None and datatype is None and "@language" not in value:
            return value["@value"]
        if coerced is not None and datatype == coerced:
            return value["@value"]
        out = dict(value)
        if datatype is not None:
            out["@type"] = self.iri(datatype)
        return out

    @staticmethod
    def _single(values: list[Any]) -> Any:
        return values[0] if len(values) == 1 else values


def compact_jsonld(expanded: bytes) -> bytes:
    """Oxigraph's expanded JSON-LD compacted with mmkb's context, which the document carries inline: every
    JSON-LD reader, mmkb's own and offline ones, reads it back without fetching CONTEXT_URL."""
    ctx = context()
    parsed = json.loads(expanded)
    items = parsed if isinstance(parsed, list) else [parsed]
    compactor = _Compactor(ctx)
    document = {"@context": ctx, "@graph": [compactor.node(item) for item in items]}
    return json.dumps(document, ensure_ascii=False, indent=1).encode() + b"\n"
