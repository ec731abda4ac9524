"""Reasoning over the loaded graph: count reconstruction, written to the inferred named graph."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kb.graph.store import GraphStore
from kb.namespaces import INFERRED_GRAPH, MM
from kb.queries import query_text
from kb.reasoning.counts import printed_number, reconstruct, whole_count

ORIGINS = {"derived": MM.CountDerived, "ambiguous": MM.CountAmbiguous, "inconsistent": MM.CountInconsistent}


def count_reconstruction(store: GraphStore) -> Graph:
    """For each proportion: its count origin, and the candidate counts when only a percentage is printed.

    A printed numerator is mm:CountReported unless the curator said otherwise; a finite numeric
    percentage with a positive whole denominator (at most MAX_DENOMINATOR) gets every fitting count
    as mm:numeratorCandidate and the origin derived, ambiguous or inconsistent; anything else is
    mm:CountUnknown (an ill-typed percentage or denominator is left for the shapes to report).
    """
    out = Graph()
    for row in store.rows(query_text("proportions")):
        record = URIRef(str(row["record"]))
        curated = row.get("origin")
        if row["printed"] is True:
            if curated is None:
                out.add((record, MM.countOrigin, MM.CountReported))
            continue
        percent, denominator = printed_number(row.get("percent")), whole_count(row.get("denominator"))
        if percent is not None and denominator is not None:
            hedged = row.get("hedged") is True
            result = reconstruct(percent, denominator, hedged=hedged)
            for k in result.candidates:
                out.add((record, MM.numeratorCandidate, Literal(k, datatype=XSD.nonNegativeInteger)))
            if curated is None:
                out.add((record, MM.countOrigin, ORIGINS[result.origin]))
        elif curated is None:
            out.add((record, MM.countOrigin, MM.CountUnknown))
    return out


def materialize(store: GraphStore) -> dict[str, int]:
    """Replace the inferred graph with the count reconstruction, after removing from every graph the
    statements only the reasoner writes (kb/queries/inferred-statements.rq): an export read back brings
    them along, and they are computed again here rather than kept twice or kept stale.

    Returns how many such statements each loaded graph held."""
    store.clear_graph(INFERRED_GRAPH)
    found = store.remove_selected(query_text("inferred-statements"))
    store.add_graph(INFERRED_GRAPH, count_reconstruction(store))
    return found
