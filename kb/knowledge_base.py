"""KnowledgeBase: the loaded, reasoned graph and the questions it answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rdflib.query import Result
from rdflib.term import Node

from kb.conflicts import Finding, conflicts_graph, find_conflicts
from kb.infer import materialize
from kb.load import Loaded, LoadError, load
from kb.namespaces import INFERRED_GRAPH
from kb.queries import query_text
from kb.refractory import RefractoryCategories
from kb.store import GraphStore, as_bool


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
        self.conflicts: list[Finding] = find_conflicts(self.store)
        self.store.add_graph(INFERRED_GRAPH, conflicts_graph(self.conflicts))
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

    def refractory_categories(self, patient: Node) -> dict[Node, bool | None]:
        """Refractory categories of one patient from its refractoriness claims (unknown drugs kept open)."""
        refractory, unknown = set(), set()
        for row in self.ask_named("patient-refractoriness", {"patient": patient}):
            value = as_bool(row["refractory"])
            if value is True:
                refractory.add(row["drug"])
            elif value is None:
                unknown.add(row["drug"])
        return self.categories.classify(refractory, unknown - refractory)

    def __len__(self) -> int:
        return len(self.store)
