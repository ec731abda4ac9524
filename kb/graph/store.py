"""Where the graph lives, chosen by one location string; everything above asks SPARQL through it.

Locations:
  memory                  the curated files (or the given files) loaded into an in-memory Oxigraph store
  oxigraph:DIR            an on-disk Oxigraph store in DIR (created and filled when empty)
  sparql+http://HOST:PORT/PATH[?update=PATH&gsp=PATH]
                          a SPARQL 1.1 server (also sparql+https://): kb.graph.remote

`GraphStore` is the interface; `open_store(location)` opens the back-end the location names (the
embedded `OxigraphGraphStore`, or `kb.graph.remote.RemoteGraphStore`). Every back-end keeps one
named graph per source file and answers queries over the union of the named graphs.

On the embedded back-end queries go through rdflib's API to the oxrdflib store, so Oxigraph's engine
evaluates them; a query that rdflib would answer with its own (slow) engine is refused instead of
silently falling back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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
from kb.graph.fast_rows import Value, plain, solution_rows
from kb.graph.rdf_files import read_quads
from kb.graph.sparql_text import declares_dataset
from kb.namespaces import PREFIXES

LOCATION_SCHEMES = ("memory", "oxigraph:DIR", "sparql+http://HOST:PORT/PATH")
SPARQL_SCHEMES = ("sparql+http://", "sparql+https://")

Bindings = Mapping[str, Node | Sequence[Node]]


class LocationError(ValueError):
    """A location string that names no supported back-end."""


class QueryEngineError(RuntimeError):
    """A query that Oxigraph could not take, so it would have run on rdflib's own engine."""


class StoreError(OSError):
    """The store's server failed, refused or could not be reached (the message names its URL)."""


@dataclass(frozen=True)
class Location:
    kind: str
    path: Path | None = None
    read_only: bool = False  # an existing on-disk store opened without writing (a built store)
    url: str | None = None  # a SPARQL server: the location without its "sparql+" prefix

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
        if text.startswith(SPARQL_SCHEMES):
            from kb.graph.sparql_client import Endpoints

            url = text.removeprefix("sparql+")
            Endpoints.parse(url)  # a LocationError names what is wrong with it
            return cls("sparql", url=url)
        raise LocationError(f"unknown location {text!r}; valid: {', '.join(LOCATION_SCHEMES)}")


def query_prefixes() -> dict[str, str]:
    """The prefixes every query may use undeclared: rdflib's usual ones and the knowledge base's own."""
    return {**{name: str(iri) for name, iri in Graph().namespaces()}, **PREFIXES}


def open_store(location: Location | None = None) -> GraphStore:
    """The store the location names (memory when none is given)."""
    if location is not None and location.kind == "sparql":
        from kb.graph.remote import RemoteGraphStore

        return RemoteGraphStore(location)
    return OxigraphGraphStore(location)


class GraphStore(ABC):
    """Named graphs, one per source file, and SPARQL over their union."""

    location: Location

    # ------------------------------------------------------------------ writing
    # Every back-end keeps one invariant: a triple sits in at most one named graph. Queries read the union
    # of the graphs, and the union default graph of Oxigraph (and of Virtuoso) is a bag (a triple in two
    # graphs matches twice), so the invariant is what makes every count and every join count each
    # statement once, whatever was loaded how often.
    @abstractmethod
    def add(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """Store the quads whose triple is in no graph yet (the first graph wins); return those."""

    @abstractmethod
    def remove(self, quads: Iterable[ox.Quad]) -> None:
        """Remove these quads (each from its graph)."""

    @abstractmethod
    def clear_graph(self, graph: str) -> None:
        """Remove the named graph and everything in it (nothing happens if there is no such graph)."""

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
        found = {
            ox.Quad(ox_term(r["s"]), ox_term(r["p"]), ox_term(r["o"]), ox_term(r["g"]))  # type: ignore[arg-type]
            for r in self.select(text)
        }
        self.remove(found)
        removed: dict[str, int] = {}
        for quad in found:
            removed[quad.graph_name.value] = removed.get(quad.graph_name.value, 0) + 1  # type: ignore[union-attr]
        return removed

    # ------------------------------------------------------------------ reading
    @abstractmethod
    def graph_names(self) -> list[str]:
        """The named graphs, sorted."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def query(self, text: str, bindings: Bindings | None = None) -> Result:
        """Run a SPARQL query over the union of the named graphs (or over the dataset its FROM and FROM
        NAMED clauses give); `bindings` become a VALUES block at the top of WHERE. A syntax error, or an
        update, raises SyntaxError."""

    def select(self, text: str, bindings: Bindings | None = None) -> list[dict[str, Node]]:
        """SELECT rows as dicts from variable name to term (unbound variables absent)."""
        return result_rows(self.query(text, bindings))

    def ask(self, text: str, bindings: Bindings | None = None) -> bool:
        return bool(self.query(text, bindings).askAnswer)

    def rows(self, text: str, bindings: Bindings | None = None) -> list[dict[str, Value]]:
        """SELECT rows as plain values (kb.graph.fast_rows), the read of the hot paths: here the rows of
        `select` converted; a back-end that can read its engine's own results reads those instead."""
        return [{name: plain(term) for name, term in row.items()} for row in self.select(text, bindings)]

    @abstractmethod
    def ox_quads(self) -> Iterator[ox.Quad]:
        """Every statement with its graph, as pyoxigraph quads."""

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        for q in self.ox_quads():
            graph = None if isinstance(q.graph_name, ox.DefaultGraph) else rdflib_term(q.graph_name)
            yield rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object), graph

    def dump_nquads(self) -> bytes:
        """Every statement with its graph, in N-Quads."""
        return ox.serialize(self.ox_quads(), format=ox.RdfFormat.N_QUADS) or b""

    @abstractmethod
    def oxigraph_engine(self) -> ox.Store:
        """An Oxigraph store holding these statements, for work that needs Oxigraph's own query API (SHACL
        pre-binding by substitution): the store itself when embedded, a fresh copy otherwise."""

    def union_graph(self) -> Graph:
        """A plain in-memory rdflib copy of all triples (for tools that walk triples, like pyshacl)."""
        copy = Graph()
        for prefix, iri in PREFIXES.items():
            copy.bind(prefix, iri)
        copy.addN(
            (rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object), copy)
            for q in self.ox_quads()
        )
        return copy


class OxigraphGraphStore(GraphStore):
    """An rdflib Dataset on an embedded Oxigraph store, in memory or in a directory."""

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

    def add(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
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

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        for quad in quads:
            self.oxigraph.remove(quad)

    def clear_graph(self, graph: str) -> None:
        name = ox.NamedNode(graph)
        if self.oxigraph.contains_named_graph(name):
            self.oxigraph.remove_graph(name)

    def graph_names(self) -> list[str]:
        return sorted(
            str(g.identifier)
            for g in self.dataset.graphs()
            if isinstance(g.identifier, URIRef) and not str(g.identifier).startswith("urn:x-rdflib:")
        )

    def __len__(self) -> int:
        return len(self.oxigraph)

    def query(self, text: str, bindings: Bindings | None = None) -> Result:
        store = self.dataset.store
        text = bind(text, bindings or {})
        # oxrdflib's "__UNION__" would override a FROM of the query; any other name keeps its dataset
        dataset = "query's own" if declares_dataset(text) else "__UNION__"
        try:
            return store.query(text, dict(PREFIXES), {}, dataset)
        except NotImplementedError as exc:  # rdflib would fall back to its own engine here
            raise QueryEngineError(f"query not supported by the Oxigraph engine: {exc}") from exc

    def rows(self, text: str, bindings: Bindings | None = None) -> list[dict[str, Value]]:
        """SELECT rows as plain values, read from Oxigraph's own results: no rdflib term is built."""
        text = bind(text, bindings or {})
        union = not declares_dataset(text)  # as in query(): a FROM of the query keeps its dataset
        solutions = self.oxigraph.query(text, prefixes=PREFIXES, use_default_graph_as_union=union)
        if not isinstance(solutions, ox.QuerySolutions):
            raise SyntaxError("not a SELECT query")
        return solution_rows(solutions)

    def ox_quads(self) -> Iterator[ox.Quad]:
        return self.oxigraph.quads_for_pattern(None, None, None, None)

    def dump_nquads(self) -> bytes:
        return self.oxigraph.dump(format=ox.RdfFormat.N_QUADS) or b""

    def oxigraph_engine(self) -> ox.Store:
        return self.oxigraph


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


def rdflib_term(term: object) -> Node:
    """An Oxigraph IRI, blank node or literal as the rdflib term (the one oxrdflib gives)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"not an RDF term: {term!r}")
