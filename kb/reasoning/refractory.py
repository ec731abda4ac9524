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

from kb.graph.store import GraphStore, as_int
from kb.queries import query_text


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
        self.drugs = frozenset(self.drug_class)

    def _count(self, members: Iterable[Node]) -> dict[Node, int]:
        """Distinct drugs per class, and each drug itself; a class member stands for one drug of it."""
        counts: dict[Node, int] = defaultdict(int)
        for member in set(members):
            counts[self.drug_class.get(member, member)] += 1
            if member in self.drug_class:
                counts[member] += 1
        return counts

    def necessary_unknowns(self, refractory: set[Node], unknown: set[Node], category: Node) -> set[Node]:
        """The unknown drugs without which the category could not hold even if every other unknown held."""
        return {d for d in unknown if not self._holds(self._count(refractory | (unknown - {d})), category)}

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


@dataclass(frozen=True)
class CategoryCount:
    """How many patients of a cohort are in a refractory category: certainly, possibly, and the bounds."""

    category: Node
    patients: int
    certain: tuple[Node, ...]
    possible: tuple[Node, ...]
    low: int
    high: int
    bounded_by: tuple[Node, ...] = ()  # aggregate claims that narrowed the bounds

    @property
    def known(self) -> bool:
        return self.low == self.high


def count_category(
    verdicts: dict[Node, dict[Node, bool | None]],
    unknown_drugs: dict[Node, set[Node]],
    category: Node,
    aggregates: dict[Node, tuple[int, Node]],
    refractory_to: dict[Node, dict[Node, bool | None]],
) -> CategoryCount:
    """Bounds on the number of patients in `category`.

    `verdicts[patient][category]` is True, False or None (depends on unknown drugs); `aggregates[drug]`
    is (number refractory to that drug in the cohort, claim). When the undetermined patients depend on
    one unknown drug whose cohort total is stated (`unknown_drugs` holds, per patient, the unknown drugs
    the category needs), the bounds use it: if k patients are refractory to the drug and t of them are
    known, k - t of the u patients with unknown status are; of those u, only the `possible` ones would
    complete the category.
    """
    certain = tuple(sorted((p for p, v in verdicts.items() if v[category] is True), key=str))
    possible = tuple(sorted((p for p, v in verdicts.items() if v[category] is None), key=str))
    low, high = len(certain), len(certain) + len(possible)
    used: tuple[Node, ...] = ()
    drugs = {d for p in possible for d in unknown_drugs[p]}
    if possible and len(drugs) == 1 and next(iter(drugs)) in aggregates:
        drug = next(iter(drugs))
        total, claim = aggregates[drug]
        known_yes = sum(1 for p in refractory_to if refractory_to[p].get(drug) is True)
        unknown = [p for p in refractory_to if refractory_to[p].get(drug) is None]
        remaining = total - known_yes
        others = len(unknown) - len(possible)  # unknown status, but the category is impossible anyway
        low = len(certain) + max(0, remaining - others)
        high = len(certain) + min(len(possible), max(remaining, 0))
        used = (claim,)
    return CategoryCount(category, len(verdicts), certain, possible, low, high, used)
