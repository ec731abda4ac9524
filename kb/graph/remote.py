"""The store on any SPARQL 1.1 server: `sparql+http://HOST:PORT/PATH[?update=PATH&gsp=PATH]`.

Only the standard protocols are used (kb.graph.sparql_client): SPARQL 1.1 Query, SPARQL 1.1 Update
(INSERT DATA and DELETE DATA in bounded batches, DROP SILENT GRAPH) and, where the location names one,
a Graph Store Protocol endpoint for writing (POST, which merges into a graph; PUT, which replaces one).

Which graphs are the knowledge base's. A server may hold graphs of its own (Virtuoso keeps system
graphs, several thousand triples, in every default query) and its default graph may or may not be the
union of its named graphs (Oxigraph's server: only when started with --union-default-graph). So the
store keeps a catalogue of the graphs it wrote, in the named graph CATALOGUE, and names them in every
query with the protocol's default-graph-uri and named-graph-uri parameters: the default graph is then
the merge of exactly those graphs and GRAPH ?g ranges over exactly them, on any server, whatever its
settings. Rewriting the query instead (wrapping it in GRAPH ?g) would change its meaning: a join across
two files' statements would find nothing. A query that names its own dataset (FROM) keeps it. The
catalogue is read when the store is opened and before each write (which then checks its statements
against the graphs other processes wrote too); queries name the graphs known since (`refresh` reads
the catalogue again), as a knowledge base computes its findings once, when it opens.

Blank nodes. A blank node sent in INSERT DATA becomes a fresh node on the server, a different one in
every request, so nested evidence written in two batches would come apart and a file loaded twice would
be stored twice. Blank nodes are therefore stored as skolem IRIs under GENID (their labels are the
content labels of kb.graph.blank_nodes, so the same description always gets the same IRI), and turned
back into the same blank nodes in every answer; isBlank, isIRI and isURI in a query are rewritten to
treat them as blank nodes. What still shows the IRI: STR() of such a node (an error on a blank node)
and its place in ORDER BY.

Every query is parsed first by Oxigraph, on an empty store, with the same predeclared prefixes: a syntax
error or an update raises SyntaxError before anything is sent, as on the embedded store, and a store
with no graphs yet answers from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.query import Result
from rdflib.term import Node

from kb.graph.binding import bind
from kb.graph.sparql_client import SOLUTIONS, TRIPLES, Answer, Endpoints, SparqlClient, json_solutions
from kb.graph.sparql_text import declares_dataset, prologue, skolem_term_tests
from kb.graph.store import (
    Bindings,
    GraphStore,
    Location,
    LocationError,
    StoreError,
    query_prefixes,
    rdflib_term,
)
from kb.namespaces import GRAPH_IRI

GENID = "https://w3id.org/mmkb/.well-known/genid/"
CATALOGUE = GRAPH_IRI + "catalogue"
_SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_STRING = str(XSD.string)

CHECK_BATCH = 500  # triples asked about in one query (does the store hold them yet?)
# One update or Graph Store Protocol request holds at most this many statements and characters
# (Virtuoso refuses an INSERT DATA whose SQL translation passes 10,000 lines, at about 1,500 statements).
WRITE_STATEMENTS = 1000
WRITE_CHARACTERS = 1 << 20


@dataclass(frozen=True)
class _Parsed:
    """A query's form and variables, and its answer on an empty store."""

    form: str  # SELECT, ASK or CONSTRUCT (DESCRIBE included)
    names: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool = False
    triples: list[ox.Quad] = field(default_factory=list)


class RemoteGraphStore(GraphStore):
    """The named graphs of a SPARQL 1.1 server, as the knowledge base's store."""

    def __init__(
        self,
        location: Location,
        environ: Mapping[str, str] | None = None,
        *,
        graphs: Sequence[str] | None = None,
    ) -> None:
        """Open the store at `location`, with the credentials and limits `environ` (by default the
        process environment) gives (kb.graph.sparql_client). Queries name the graphs of the catalogue,
        or `graphs` when given (a built knowledge base's, kb.graph.remote_build: then nothing is asked
        of the server until a query)."""
        if location.url is None:
            raise LocationError("a remote store needs a sparql+http:// or sparql+https:// location")
        self.location = location
        self.endpoints = Endpoints.parse(location.url)
        self.client = SparqlClient(self.endpoints, environ)
        self.prefixes = query_prefixes()
        self._empty = ox.Store()  # parses every query, and answers it while there are no graphs
        # a server that cannot be reached fails here, with its URL, unless the graphs are given
        self._graphs = sorted(graphs) if graphs is not None else self._read_catalogue()

    # ------------------------------------------------------------------ writing
    def add(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        fresh: dict[tuple[object, object, object], tuple[ox.Quad, ox.Quad]] = {}
        for quad in quads:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise ValueError(f"a remote store keeps statements in named graphs only: {quad}")
            stored = skolem_quad(quad)
            fresh.setdefault((stored.subject, stored.predicate, stored.object), (quad, stored))
        pending = list(fresh.values())
        graphs = self._graphs = self._read_catalogue()  # another process may have written since
        if graphs:
            batches = (pending[i : i + CHECK_BATCH] for i in range(0, len(pending), CHECK_BATCH))
            pending = [pair for batch in batches for pair in self._absent(batch, graphs)]
        self._catalogue({q.graph_name.value for _, q in pending} - set(graphs))  # type: ignore[union-attr]
        self._write("INSERT", [q for _, q in pending], gsp=self.endpoints.gsp is not None)
        return [original for original, _ in pending]

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        self._write("DELETE", [skolem_quad(q) for q in quads], gsp=False)

    def clear_graph(self, graph: str) -> None:
        self._graphs = self._read_catalogue()
        if graph in self._graphs:
            self.drop_graph(graph)

    def drop_graph(self, graph: str) -> None:
        """Drop the graph, whether or not the catalogue holds it, then its catalogue entry."""
        name = ox.NamedNode(graph)
        self.client.update(f"DROP SILENT GRAPH {name}")
        self.client.update(f"DELETE DATA {{ GRAPH <{CATALOGUE}> {{ {_catalogue_entry(name)} }} }}")
        self._graphs = [g for g in self._graphs if g != graph]

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> None:
        """Make the graph hold exactly `quads` (each of them in it), catalogued first. With a Graph Store
        Protocol endpoint, a PUT of the first WRITE_STATEMENTS statements and POSTs of the rest (a graph
        that fits one request is replaced at once); else DROP SILENT GRAPH and INSERT DATA. Nothing is
        checked against the other graphs: the quads are a whole graph of a knowledge base already made."""
        stored = [skolem_quad(q) for q in quads]
        if any(q.graph_name != ox.NamedNode(graph) for q in stored):
            raise ValueError(f"replace_graph({graph}) was given statements of another graph")
        self._catalogue({graph} - set(self._graphs))
        if self.endpoints.gsp is None:
            self.client.update(f"DROP SILENT GRAPH <{graph}>")
            self._write("INSERT", stored, gsp=False)
            return
        lines = [f"{q.subject} {q.predicate} {q.object} ." for q in stored]
        for i, (start, end) in enumerate(list(_spans(lines, WRITE_STATEMENTS, WRITE_CHARACTERS)) or [(0, 0)]):
            body = ("\n".join(lines[start:end]) + "\n").encode()
            (self.client.post_graph if i else self.client.put_graph)(graph, body)

    def insert(self, quads: Iterable[ox.Quad]) -> None:
        """Write the quads as they are (no check of what the graphs hold), into graphs catalogued
        already."""
        self._write("INSERT", [skolem_quad(q) for q in quads], gsp=self.endpoints.gsp is not None)

    def _absent(
        self, batch: Sequence[tuple[ox.Quad, ox.Quad]], graphs: Sequence[str]
    ) -> list[tuple[ox.Quad, ox.Quad]]:
        """The quads of the batch whose triple none of the graphs holds yet."""
        rows = "\n".join(f"({i} {q.subject} {q.predicate} {q.object})" for i, (_, q) in enumerate(batch))
        text = f"SELECT ?i WHERE {{ VALUES (?i ?s ?p ?o) {{\n{rows}\n}} ?s ?p ?o }}"
        answer = self.client.query(text, SOLUTIONS, default_graphs=graphs)
        held = {int(str(row["i"])) for row in self._rows(answer)}
        return [pair for i, pair in enumerate(batch) if i not in held]

    def _catalogue(self, graphs: set[str]) -> None:
        """Record new graphs in the catalogue before anything is written into them, so that a write that
        fails half-way leaves a graph the store knows (and can clear)."""
        if not graphs:
            return
        entries = " ".join(_catalogue_entry(ox.NamedNode(g)) for g in sorted(graphs))
        self.client.update(f"INSERT DATA {{ GRAPH <{CATALOGUE}> {{ {entries} }} }}")
        self._graphs = sorted({*self._graphs, *graphs})

    def _write(self, operation: str, quads: Sequence[ox.Quad], *, gsp: bool) -> None:
        """INSERT DATA or DELETE DATA, or Graph Store Protocol POSTs, in requests of at most
        WRITE_STATEMENTS statements and WRITE_CHARACTERS characters."""
        by_graph: dict[str, list[str]] = {}
        for q in quads:
            by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
        blocks: list[str] = []
        statements = characters = 0

        def flush() -> None:
            nonlocal blocks, statements, characters
            if blocks:
                self.client.update(f"{operation} DATA {{\n" + "\n".join(blocks) + "\n}")
            blocks, statements, characters = [], 0, 0

        for graph, lines in by_graph.items():
            for start, end in _spans(lines, WRITE_STATEMENTS, WRITE_CHARACTERS):
                if gsp:
                    self.client.post_graph(graph[1:-1], ("\n".join(lines[start:end]) + "\n").encode())
                    continue
                block = f"GRAPH {graph} {{\n" + "\n".join(lines[start:end]) + "\n}"
                if statements + end - start > WRITE_STATEMENTS or characters + len(block) > WRITE_CHARACTERS:
                    flush()
                blocks.append(block)
                statements += end - start
                characters += len(block)
        flush()

    # ------------------------------------------------------------------ reading
    def graph_names(self) -> list[str]:
        return list(self._graphs)

    def name_graphs(self, graphs: Sequence[str]) -> None:
        """Name exactly these graphs in every query from now on (a built knowledge base's)."""
        self._graphs = sorted(graphs)

    def refresh(self) -> None:
        """Read the catalogue again, to see the graphs another process has written since."""
        self._graphs = self._read_catalogue()

    def _read_catalogue(self) -> list[str]:
        text = f"SELECT ?g WHERE {{ GRAPH <{CATALOGUE}> {{ ?g <{_RDF_TYPE}> <{_SD}NamedGraph> }} }}"
        answer = self.client.query(text, SOLUTIONS, named_graphs=[CATALOGUE])
        return sorted(str(r["g"]) for r in self._rows(answer))

    def __len__(self) -> int:
        graphs = self._graphs
        if not graphs:
            return 0
        text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        answer = self.client.query(text, SOLUTIONS, named_graphs=graphs)
        return int(str(self._rows(answer)[0]["n"]))

    def query(self, text: str, bindings: Bindings | None = None) -> Result:
        text = bind(text, bindings or {})
        parsed = self._parse(text)
        result = Result(parsed.form)
        if parsed.form == "SELECT":
            result.vars = [Variable(n) for n in parsed.names]
            rows = self._solutions(text, parsed)
            result.bindings = [{Variable(k): v for k, v in row.items()} for row in rows]  # type: ignore[misc]
        elif parsed.form == "ASK":
            result.askAnswer = self._boolean(text, parsed)
        else:
            result.graph = self._graph(text, parsed)
        return result

    def select(self, text: str, bindings: Bindings | None = None) -> list[dict[str, Node]]:
        text = bind(text, bindings or {})
        parsed = self._parse(text)
        if parsed.form != "SELECT":
            raise SyntaxError(f"not a SELECT query but {parsed.form}")
        return self._solutions(text, parsed)

    def _parse(self, text: str) -> _Parsed:
        """The query run by Oxigraph on an empty store: SyntaxError for a bad query or an update, and the
        answer while the store has no graphs. Read at once: pyoxigraph's answers belong to their thread."""
        local = self._empty.query(text, prefixes=self.prefixes, use_default_graph_as_union=True)
        if isinstance(local, ox.QuerySolutions):
            names = [v.value for v in local.variables]
            rows = [{n: rdflib_term(s[n]) for n in names if s[n] is not None} for s in local]
            return _Parsed("SELECT", names, rows=rows)
        if isinstance(local, ox.QueryBoolean):
            return _Parsed("ASK", boolean=bool(local))
        return _Parsed("CONSTRUCT", triples=[ox.Quad(t.subject, t.predicate, t.object) for t in local])

    def _ask_server(self, text: str, accept: str) -> Answer | None:
        """The server's answer, or None when the answer is the empty store's (no graphs, and no dataset
        of the query's own)."""
        own = declares_dataset(text)
        graphs = [] if own else self._graphs
        if not graphs and not own:
            return None
        sent = prologue(text, self.prefixes) + skolem_term_tests(text, GENID)
        return self.client.query(sent, accept, default_graphs=graphs, named_graphs=graphs)

    def _solutions(self, text: str, parsed: _Parsed) -> list[dict[str, Node]]:
        answer = self._ask_server(text, SOLUTIONS)
        return parsed.rows if answer is None else self._rows(answer)

    def _boolean(self, text: str, parsed: _Parsed) -> bool:
        answer = self._ask_server(text, SOLUTIONS)
        if answer is None:
            return parsed.boolean
        found = json_solutions(answer, self.endpoints.query).get("boolean")
        if not isinstance(found, bool):
            raise StoreError(f"the SPARQL server at {self.endpoints.query} answered an ASK without a boolean")
        return found

    def _graph(self, text: str, parsed: _Parsed) -> Graph:
        answer = self._ask_server(text, TRIPLES)
        graph = Graph()
        for q in parsed.triples if answer is None else self._triples(answer):
            graph.add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
        return graph

    def _rows(self, answer: Answer) -> list[dict[str, Node]]:
        results = json_solutions(answer, self.endpoints.query).get("results")
        bindings = results.get("bindings") if isinstance(results, dict) else None
        if not isinstance(bindings, list):
            raise StoreError(
                f"the SPARQL server at {self.endpoints.query} answered a SELECT without solutions"
            )
        made: dict[tuple[str | None, ...], Node] = {}
        rows = []
        for binding in bindings:
            row = {}
            for name, value in binding.items():
                key = (value.get("type"), value.get("value"), value.get("datatype"), value.get("xml:lang"))
                term = made.get(key)
                if term is None:
                    term = made[key] = self._term(*key)
                row[name] = term
            rows.append(row)
        return rows

    def _term(self, kind: str | None, value: str | None, datatype: str | None, language: str | None) -> Node:
        if value is None:
            raise StoreError(f"the SPARQL server at {self.endpoints.query} gave a term without a value")
        if kind == "uri":
            return BNode(value[len(GENID) :]) if value.startswith(GENID) else URIRef(value)
        if kind == "bnode":
            return BNode(value)
        if kind in ("literal", "typed-literal"):
            if language:
                return Literal(value, lang=language.lower())
            return Literal(value, datatype=URIRef(datatype or _XSD_STRING))
        raise StoreError(f"the SPARQL server at {self.endpoints.query} gave a term of unknown type {kind!r}")

    def _triples(self, answer: Answer) -> Iterator[ox.Quad]:
        rdf_format = ox.RdfFormat.from_media_type(answer.media_type) or ox.RdfFormat.N_TRIPLES
        try:
            for quad in ox.parse(answer.body, format=rdf_format):
                yield ox.Quad(unskolem(quad.subject), quad.predicate, unskolem(quad.object))  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise StoreError(f"the SPARQL server at {self.endpoints.query} answered bad RDF: {exc}") from None

    def ox_quads(self) -> Iterator[ox.Quad]:
        """Each graph's statements, one CONSTRUCT per graph (answers stay as large as one file)."""
        for graph in list(self._graphs):
            yield from self.graph_quads(graph)

    def graph_quads(self, graph: str) -> Iterator[ox.Quad]:
        """The statements of one graph, catalogued or not (nothing when the server has no such graph)."""
        name = ox.NamedNode(graph)
        text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}"
        answer = self.client.query(text, TRIPLES, named_graphs=[graph])
        for q in self._triples(answer):
            yield ox.Quad(q.subject, q.predicate, q.object, name)

    def oxigraph_engine(self) -> ox.Store:
        copy = ox.Store()
        copy.extend(self.ox_quads())
        return copy


def skolem_quad(quad: ox.Quad) -> ox.Quad:
    """The quad with its blank nodes as skolem IRIs."""
    s, o = quad.subject, quad.object
    if isinstance(s, ox.BlankNode):
        s = ox.NamedNode(GENID + s.value)
    if isinstance(o, ox.BlankNode):
        o = ox.NamedNode(GENID + o.value)
    return ox.Quad(s, quad.predicate, o, quad.graph_name)  # type: ignore[arg-type]


def unskolem(term: object) -> object:
    """A skolem IRI back as its blank node; any other term as it is."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(GENID):
        return ox.BlankNode(term.value[len(GENID) :])
    return term


def _catalogue_entry(name: ox.NamedNode) -> str:
    return f"{name} <{_RDF_TYPE}> <{_SD}NamedGraph> . {name} <{_SD}name> {name} ."


def _spans(lines: Sequence[str], most: int, characters: int) -> Iterator[tuple[int, int]]:
    """Consecutive runs of at most `most` lines and `characters` characters (a longer line is a run of
    its own)."""
    start, size = 0, 0
    for i, line in enumerate(lines):
        if i > start and (i - start >= most or size + len(line) > characters):
            yield start, i
            start, size = i, 0
        size += len(line) + 1
    if start < len(lines):
        yield start, len(lines)
