"""KnowledgeBase: the loaded, reasoned graph and the questions it answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rdflib.query import Result
from rdflib.term import Node

from kb.graph.load import Loaded, LoadError, load
from kb.graph.store import GraphStore, as_bool, as_int
from kb.namespaces import INFERRED_GRAPH
from kb.queries import query_text
from kb.reasoning.conflicts import Finding, Resolved, classify_findings, conflicts_graph
from kb.reasoning.derivation import record_counts
from kb.reasoning.infer import materialize
from kb.reasoning.refractory import CategoryCount, RefractoryCategories, count_category


class LoadFailed(Exception):
    """Some files could not be read; nothing was loaded from them."""

    def __init__(self, errors: list[LoadError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class KnowledgeBase:
    """The ontology and curated evidence in one store, with count reconstruction and conflict findings."""

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.store: GraphStore = loaded.store
        materialize(self.store)
        self.store.add_graph(INFERRED_GRAPH, record_counts(self.store))
        found = classify_findings(self.store)
        self.conflicts: list[Finding] = found.conflicts
        self.resolved: list[Resolved] = found.resolved
        self.store.add_graph(INFERRED_GRAPH, conflicts_graph(self.conflicts, self.resolved))
        self.categories = RefractoryCategories(self.store)

    @classmethod
    def open(cls, paths: Sequence[Path] | None = None, *, location: str | None = None) -> KnowledgeBase:
        """Load the shipped curated files (or `paths`) with the ontology; raise LoadFailed on bad files."""
        loaded = load(list(paths) if paths is not None else None, location=location)
        if loaded.errors:
            raise LoadFailed(loaded.errors)
        return cls(loaded)

    def query(self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None) -> Result:
        return self.store.query(text, bindings)

    def select(
        self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None
    ) -> list[dict[str, Node]]:
        return self.store.select(text, bindings)

    def ask_named(
        self, name: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None
    ) -> list[dict[str, Node]]:
        """Run kb/queries/<name>.rq."""
        return self.store.select(query_text(name), bindings)

    def _refractory_to(self, patient: Node) -> dict[Node, bool | None]:
        """Each drug the patient's claims speak of: refractory (True), not (False), or unknown (None)."""
        status: dict[Node, bool | None] = {}
        for row in self.ask_named("patient-refractoriness", {"patient": patient}):
            value = as_bool(row["refractory"])
            if status.get(row["drug"]) is not True:
                status[row["drug"]] = value
        return status

    def _known_and_unknown(self, patient: Node) -> tuple[set[Node], set[Node]]:
        """Drugs the patient is known refractory to, and drugs whose status no claim settles (typed unknown,
        or never mentioned: silence is not a 'no')."""
        status = self._refractory_to(patient)
        refractory = {d for d, v in status.items() if v is True}
        settled = {d for d, v in status.items() if v is not None}
        return refractory, set(self.categories.drugs) - settled

    def refractory_categories(self, patient: Node) -> dict[Node, bool | None]:
        """Refractory categories of one patient from its refractoriness claims (unknown drugs kept open)."""
        return self.categories.classify(*self._known_and_unknown(patient))

    def category_counts(self, cohort: Node) -> list[CategoryCount]:
        """For each refractory category, how many of the cohort's patients are in it: certain, possible and
        the bounds that the cohort's aggregate statements (e.g. "3 were carfilzomib refractory") allow."""
        patients = [
            r["p"] for r in self.select("SELECT DISTINCT ?p WHERE { ?p mm:memberOf ?c }", {"c": cohort})
        ]
        status = {p: self._refractory_to(p) for p in patients}
        known = {p: self._known_and_unknown(p) for p in patients}
        verdicts = {p: self.categories.classify(*known[p]) for p in patients}
        aggregates = {
            r["drug"]: (as_int(r["numerator"]), r["claim"])
            for r in self.ask_named("cohort-refractory-counts", {"cohort": cohort})
        }
        counts = []
        for category in sorted(self.categories.definitions, key=str):
            needed = {p: self.categories.necessary_unknowns(*known[p], category) for p in patients}
            counts.append(count_category(verdicts, needed, category, aggregates, status))
        return counts

    def __len__(self) -> int:
        return len(self.store)
