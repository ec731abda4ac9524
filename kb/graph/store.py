"""Where the graph lives, chosen by one location string; everything above asks SPARQL through it.

Locations:
  memory            the shipped curated files (or the given files) loaded into an in-memory Oxigraph store
  oxigraph:DIR      an on-disk Oxigraph store in DIR (created and filled when empty)

Queries go through rdflib's API to the oxrdflib store, so Oxigraph's engine evaluates them; a query
that rdflib would answer with its own (slow) engine is refused instead of silently falling back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.query import Result, ResultRow
from rdflib.term import Node

from kb.graph.binding import bind
from kb.graph.blank_nodes import label_by_content
from kb.graph.rdf_files import read_quads
from kb.namespaces import PREFIXES

LOCATION_SCHEMES = ("memory", "oxigraph:DIR")


class LocationError(ValueError):
    """A location string that names no supported back-end."""


class QueryEngineError(RuntimeError):
    """A query that Oxigraph could not take, so it would have run on rdflib's own engine."""


@dataclass(frozen=True)
class Location:
    kind: str
    path: Path | None = None
    read_only: bool = False  # an existing on-disk store opened without writing (a built store)

    @classmethod
    def parse(cls, text: str | None) -> Location:
        if text in (None, "", "memory"):
            return cls("memory")
        assert text is not None
        if text.startswith("oxigraph:"):
            rest = text[len("oxigraph:") :]
            if not rest:
                raise LocationError("location 'oxigraph:' needs a directory, e.g. oxigraph:./mmkb-store")
            return cls("oxigraph", Path(rest))
        raise LocationError(f"unknown location {text!r}; valid: {', '.join(LOCATION_SCHEMES)}")


class GraphStore:
    """An rdflib Dataset on an Oxigraph store, one named graph per source file; queries see their union."""

    def __init__(self, location: Location | None = None) -> None:
        self.location = location or Location("memory")
        if self.location.kind == "oxigraph":
            assert self.location.path is not None
            path = str(self.location.path)
            inner = ox.Store.read_only(path) if self.location.read_only else ox.Store(path)
        else:
            inner = ox.Store()
        self.oxigraph = inner
        self.dataset = Dataset(store=OxigraphStore(store=inner), default_union=True)
        for prefix, iri in PREFIXES.items():
            self.dataset.bind(prefix, iri)

    # ------------------------------------------------------------------ writing
    # The store keeps one invariant: a triple sits in at most one named graph. Queries read the union of
    # the graphs, and Oxigraph's union is a bag (a triple in two graphs matches twice), so the invariant
    # is what makes every count and every join count each statement once, whatever was loaded how often.
    def add(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """Store the quads whose triple is in no graph yet (the first graph wins); return those."""
        fresh: dict[tuple[object, object, object], ox.Quad] = {}
        pattern = self.oxigraph.quads_for_pattern
        known: dict[object, bool] = {}  # subject -> whether the store says anything about it yet
        for q in quads:
            key = (q.subject, q.predicate, q.object)
            if key in fresh:
                continue
            said = known.get(q.subject)
            if said is None:
                said = known[q.subject] = next(pattern(q.subject, None, None), None) is not None
            if not said or next(pattern(q.subject, q.predicate, q.object), None) is None:
                fresh[key] = q
        added = list(fresh.values())
        self.oxigraph.extend(added)
        return added

    def parse_file(self, path: Path, graph: str) -> None:
        """Parse one file, every statement into the named graph `graph` (kb.graph.load keeps the named
        graphs of a dataset file apart); raises SyntaxError with line and column, and stores nothing
        unless the whole file parses."""
        name = ox.NamedNode(graph)
        self.add(ox.Quad(q.subject, q.predicate, q.object, name) for q in label_by_content(read_quads(path)))

    def add_graph(self, graph: str, triples: Graph) -> None:
        name = ox.NamedNode(graph)
        self.add(ox.Quad(ox_term(s), ox_term(p), ox_term(o), name) for s, p, o in triples)  # type: ignore[arg-type]

    def remove_selected(self, text: str) -> dict[str, int]:
        """Remove the statements a SELECT of ?g ?s ?p ?o finds; return how many left each graph."""
        from kb.namespaces import PREFIXES

        prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
        solutions = self.oxigraph.query(prologue + text, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions), "remove_selected needs a SELECT"
        found = {ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in solutions}  # type: ignore[arg-type]
        removed: dict[str, int] = {}
        for quad in found:
            self.oxigraph.remove(quad)
            removed[quad.graph_name.value] = removed.get(quad.graph_name.value, 0) + 1  # type: ignore[union-attr]
        return removed

    def clear_graph(self, graph: str) -> None:
        name = ox.NamedNode(graph)
        if self.oxigraph.contains_named_graph(name):
            self.oxigraph.remove_graph(name)

    # ------------------------------------------------------------------ reading
    def graph_names(self) -> list[str]:
        return sorted(
            str(g.identifier)
            for g in self.dataset.graphs()
            if isinstance(g.identifier, URIRef) and not str(g.identifier).startswith("urn:x-rdflib:")
        )

    def __len__(self) -> int:
        return len(self.oxigraph)

    def query(self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None) -> Result:
        """Run SPARQL on Oxigraph's engine; `bindings` become a VALUES block at the top of WHERE."""
        store = self.dataset.store
        try:
            return store.query(bind(text, bindings or {}), dict(PREFIXES), {}, "__UNION__")
        except NotImplementedError as exc:  # rdflib would fall back to its own engine here
            raise QueryEngineError(f"query not supported by the Oxigraph engine: {exc}") from exc

    def select(
        self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None
    ) -> list[dict[str, Node]]:
        """SELECT rows as dicts from variable name to term (unbound variables absent)."""
        return result_rows(self.query(text, bindings))

    def ask(self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None) -> bool:
        return bool(self.query(text, bindings).askAnswer)

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        yield from self.dataset.quads((None, None, None, None))

    def union_graph(self) -> Graph:
        """A plain in-memory rdflib copy of all triples (for tools that walk triples, like pyshacl)."""
        copy = Graph()
        for prefix, iri in PREFIXES.items():
            copy.bind(prefix, iri)
        for s, p, o, _ in self.quads():
            copy.add((s, p, o))
        return copy


def result_rows(result: Result) -> list[dict[str, Node]]:
    """SELECT solutions as dicts from variable name to term (unbound variables absent)."""
    names = [str(v) for v in result.vars or []]
    rows: list[dict[str, Node]] = []
    for row in result:
        assert isinstance(row, ResultRow)
        rows.append({n: row[i] for i, n in enumerate(names) if row[i] is not None})
    return rows


def as_int(term: Node) -> int:
    """The integer value of a literal; anything else (a typed unknown) is an error."""
    if isinstance(term, Literal):
        return int(term.toPython())
    raise ValueError(f"not a number: {term}")


def as_bool(term: Node | None) -> bool | None:
    """The value of a boolean literal, or None for anything else."""
    value = term.toPython() if isinstance(term, Literal) else None
    return value if isinstance(value, bool) else None


def ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib IRI, blank node or literal as the Oxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise TypeError(f"not an RDF term: {term!r}")
