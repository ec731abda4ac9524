"""Interpretations: readings of a source's wording that resolve a rule's finding, so it is no conflict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from rdflib import URIRef
from rdflib.term import Node

from kb.graph.store import GraphStore
from kb.queries import query_text


class HasInvolved(Protocol):
    @property
    def involves(self) -> tuple[Node, ...]: ...


@dataclass(frozen=True)
class Interpretation:
    iri: URIRef
    reading: str
    reads: frozenset[Node]
    quotes: tuple[str, ...]

    def resolves(self, finding: HasInvolved) -> bool:
        """A finding is resolved when this interpretation reads every claim it involves."""
        return bool(finding.involves) and set(finding.involves) <= self.reads


def interpretations(store: GraphStore) -> list[Interpretation]:
    readings: dict[Node, str] = {}
    reads: dict[Node, set[Node]] = {}
    quotes: dict[Node, list[str]] = {}
    for row in store.select(query_text("interpretations")):
        iri = row["interpretation"]
        readings[iri] = str(row["reading"])
        reads.setdefault(iri, set()).add(row["claim"])
        if "exact" in row and str(row["exact"]) not in quotes.setdefault(iri, []):
            quotes[iri].append(str(row["exact"]))
    return [
        Interpretation(URIRef(str(i)), readings[i], frozenset(reads[i]), tuple(quotes.get(i, ())))
        for i in sorted(readings, key=str)
    ]


def resolving(finding: HasInvolved, candidates: Iterable[Interpretation]) -> Interpretation | None:
    return next((i for i in candidates if i.resolves(finding)), None)
