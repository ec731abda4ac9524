"""Reasoning over the loaded graph: count reconstruction, written to the inferred named graph."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rdflib import Graph, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from kb.counts import reconstruct
from kb.namespaces import INFERRED_GRAPH, MM
from kb.queries import query_text
from kb.store import GraphStore, as_bool

# Reconstruction tries every count 0..n; beyond this n (far more patients than any study holds) the
# denominator is taken as a data error, left for the reader, rather than a loop over it.
MAX_DENOMINATOR = 1_000_000

ORIGINS = {"derived": MM.CountDerived, "ambiguous": MM.CountAmbiguous, "inconsistent": MM.CountInconsistent}


def _number(term: Node | None) -> Decimal | None:
    """A numeric literal as printed (its lexical form, so that '45.0' keeps its precision), if finite.

    Anything else (a string, an ill-typed literal such as 'abc'^^xsd:integer, NaN or INF) is None:
    it is for the shapes to report, not for the inference to read.
    """
    if not isinstance(term, Literal) or isinstance(term.value, bool):
        return None
    if not isinstance(term.value, int | float | Decimal):
        return None
    try:
        number = Decimal(str(term).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _positive_whole(term: Node | None) -> int | None:
    number = _number(term)
    if number is None or not 0 < number <= MAX_DENOMINATOR or number != number.to_integral_value():
        return None
    return int(number)


def count_reconstruction(store: GraphStore) -> Graph:
    """For each proportion: its count origin, and the candidate counts when only a percentage is printed.

    A printed numerator is mm:CountReported unless the curator said otherwise; a finite numeric
    percentage with a positive whole denominator (at most MAX_DENOMINATOR) gets every fitting count
    as mm:numeratorCandidate and the origin derived, ambiguous or inconsistent; anything else is
    mm:CountUnknown (an ill-typed percentage or denominator is left for the shapes to report).
    """
    out = Graph()
    for row in store.select(query_text("proportions")):
        record, numerator = row["record"], row["numerator"]
        curated = row.get("origin")
        if isinstance(numerator, Literal):
            if curated is None:
                out.add((record, MM.countOrigin, MM.CountReported))
            continue
        percent, denominator = _number(row.get("percent")), _positive_whole(row.get("denominator"))
        if percent is not None and denominator is not None:
            hedged = as_bool(row.get("hedged")) is True
            result = reconstruct(percent, denominator, hedged=hedged)
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
