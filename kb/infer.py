"""Reasoning over the loaded graph: count reconstruction, written to the inferred named graph."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal
from rdflib.namespace import XSD

from kb.counts import reconstruct
from kb.namespaces import INFERRED_GRAPH, MM
from kb.queries import query_text
from kb.store import GraphStore, as_bool

ORIGINS = {"derived": MM.CountDerived, "ambiguous": MM.CountAmbiguous, "inconsistent": MM.CountInconsistent}


def count_reconstruction(store: GraphStore) -> Graph:
    """For each proportion: its count origin, and the candidate counts when only a percentage is printed.

    A printed numerator is mm:CountReported unless the curator said otherwise; a percentage with a
    denominator gets every fitting count as mm:numeratorCandidate and the origin derived, ambiguous
    or inconsistent; anything else is mm:CountUnknown.
    """
    out = Graph()
    for row in store.select(query_text("proportions")):
        record, numerator, denominator = row["record"], row["numerator"], row["denominator"]
        percent, curated = row.get("percent"), row.get("origin")
        if isinstance(numerator, Literal):
            if curated is None:
                out.add((record, MM.countOrigin, MM.CountReported))
            continue
        if isinstance(percent, Literal) and isinstance(denominator, Literal) and int(denominator) > 0:
            hedged = as_bool(row.get("hedged")) is True
            result = reconstruct(Decimal(str(percent)), int(denominator), hedged=hedged)
            for k in result.candidates:
                out.add((record, MM.numeratorCandidate, Literal(k, datatype=XSD.nonNegativeInteger)))
            if curated is None:
                out.add((record, MM.countOrigin, ORIGINS[result.origin]))
        elif curated is None:
            out.add((record, MM.countOrigin, MM.CountUnknown))
    return out


def materialize(store: GraphStore) -> None:
    """Replace the inferred graph with the count reconstruction."""
    store.clear_graph(INFERRED_GRAPH)
    store.add_graph(INFERRED_GRAPH, count_reconstruction(store))
