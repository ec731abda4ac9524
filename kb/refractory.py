"""Refractory categories derived from the drugs a patient or population is refractory to.

The categories and their definitions live in the ontology (mm:requirementSet of class-count
requirements); this module only evaluates them. Drugs whose refractoriness is unknown make a
category undetermined (None) when it holds with them but not without them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib.term import Node

from kb.queries import query_text
from kb.store import GraphStore, as_int


@dataclass(frozen=True)
class Requirement:
    drug_class: Node
    min_drugs: int


class RefractoryCategories:
    """The ontology's refractory categories, evaluated on drug sets."""

    def __init__(self, store: GraphStore) -> None:
        sets: dict[Node, dict[Node, list[Requirement]]] = defaultdict(lambda: defaultdict(list))
        for row in store.select(query_text("refractory-requirements")):
            sets[row["category"]][row["set"]].append(Requirement(row["class"], as_int(row["minDrugs"])))
        self.definitions = {c: [tuple(reqs) for reqs in by_set.values()] for c, by_set in sets.items()}
        self.drug_class = {row["drug"]: row["class"] for row in store.select(query_text("drug-classes"))}

    def _count(self, members: Iterable[Node]) -> dict[Node, int]:
        """Distinct drugs per class; a class given as a member stands for one drug of that class."""
        counts: dict[Node, int] = defaultdict(int)
        for member in set(members):
            counts[self.drug_class.get(member, member)] += 1
        return counts

    def _holds(self, counts: dict[Node, int], category: Node) -> bool:
        return any(
            all(counts.get(r.drug_class, 0) >= r.min_drugs for r in requirements)
            for requirements in self.definitions[category]
        )

    def classify(self, refractory: Iterable[Node], unknown: Iterable[Node] = ()) -> dict[Node, bool | None]:
        """For each category: True (holds), False (cannot hold), None (depends on the unknown drugs)."""
        known = set(refractory)
        possible = self._count(known | set(unknown))
        certain = self._count(known)
        return {
            category: True
            if self._holds(certain, category)
            else (None if self._holds(possible, category) else False)
            for category in self.definitions
        }
