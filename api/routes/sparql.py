"""The SPARQL 1.1 Protocol endpoint: the only place user SPARQL runs, read-only, local, with a deadline."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request, Response
from pyparsing import ParseException
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from api.sparql_worker import GRAPH_FORMATS, SOLUTION_FORMATS, Busy, Job, Timeout, pool_for
from api.sparql_worker import shutdown_workers as shutdown_workers
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import PREFIXES

router = APIRouter()

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS.SPARQL_Results_JSON,
    "application/sparql-results+xml": FORMATS.SPARQL_Results_XML,
    "text/csv": FORMATS.SPARQL_Results_CSV,
    "text/tab-separated-values": FORMATS.SPARQL_Results_TSV,
    "text/turtle": FORMATS.Turtle,
    "application/n-triples": FORMATS["N-Triples"],
    "application/ld+json": FORMATS["JSON-LD"],
    "application/rdf+xml": FORMATS.RDF_XML,
}
NO_OUTBOUND = "this endpoint makes no outbound requests"


@dataclass(frozen=True)
class SparqlSettings:
    """Per-query deadline, the most rows (or triples) an answer may hold, and how many worker processes."""

    deadline_seconds: float = 10.0
    max_rows: int = 10000
    workers: int = 2


class Refused(Exception):
    """A request answered with an error status before any evaluation."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


async def _body(request: Request) -> bytes:
    return await request.body()


Body = Annotated[bytes, Depends(_body)]


@router.get("/sparql", response_model=None)
def sparql_get(request: Request) -> Response:
    """A query in `query=`, or without one the service description (Turtle) or a query form (HTML)."""
    params = parse_qsl(request.url.query, keep_blank_values=True)
    try:
        if any(name == "update" for name, _ in params):
            raise Refused(403, "SPARQL Update is not allowed: this endpoint is read-only")
        queries = [value for name, value in params if name == "query"]
        if not queries:
            return _describe(request)
        return _answer(request, queries, params)
    except Refused as exc:
        return _text(exc.status, str(exc))


@router.post("/sparql", response_model=None)
def sparql_post(request: Request, body: Body) -> Response:
    """A query as a URL-encoded form field `query` or as an application/sparql-query body."""
    url_params = parse_qsl(request.url.query, keep_blank_values=True)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/sparql-update" or any(n == "update" for n, _ in url_params):
            raise Refused(403, "SPARQL Update is not allowed: this endpoint is read-only")
        if content_type == "application/x-www-form-urlencoded":
            form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            if any(name == "update" for name, _ in form):
                raise Refused(403, "SPARQL Update is not allowed: this endpoint is read-only")
            if any(name == "query" for name, _ in url_params):
                raise Refused(400, "the query is given both in the URL and in the request body")
            params = url_params + form
            queries = [value for name, value in form if name == "query"]
        elif content_type == "application/sparql-query":
            if any(name == "query" for name, _ in url_params):
                raise Refused(400, "the query is given both in the URL and in the request body")
            params = url_params
            queries = [body.decode("utf-8", errors="replace")]
        else:
            raise Refused(
                415,
                "POST a query as application/x-www-form-urlencoded (field 'query') "
                "or as application/sparql-query",
            )
        if not queries or not queries[0].strip():
            raise Refused(400, "no query: send the SPARQL query in the 'query' field or as the body")
        return _answer(request, queries, params)
    except Refused as exc:
        return _text(exc.status, str(exc))


def _answer(request: Request, queries: list[str], params: list[tuple[str, str]]) -> Response:
    if len(queries) > 1:
        raise Refused(400, f"{len(queries)} queries given; send exactly one 'query'")
    kb: KnowledgeBase = request.app.state.kb
    settings: SparqlSettings = getattr(request.app.state, "sparql_settings", None) or SparqlSettings()
    graphs = set(kb.store.graph_names())
    form, from_default, from_named = _check(queries[0], graphs)
    offered = list(SOLUTION_FORMATS) if form in ("SelectQuery", "AskQuery") else list(GRAPH_FORMATS)
    media_type = negotiate(request.headers.get("accept"), offered)
    if media_type is None:
        raise Refused(406, f"no acceptable format; this query can answer in {', '.join(offered)}")
    default_graph = [value for name, value in params if name == "default-graph-uri"]
    named_graphs = [value for name, value in params if name == "named-graph-uri"]
    for graph in default_graph + named_graphs:
        if graph not in graphs:
            raise Refused(400, f"unknown graph {graph!r}; GET /sparql lists the graphs of this dataset")
    job = Job(queries[0], media_type, settings.max_rows)
    if default_graph or named_graphs:  # the protocol's dataset overrides the query's FROM clauses
        job = Job(queries[0], media_type, settings.max_rows, tuple(default_graph), tuple(named_graphs))
    elif from_default or from_named:
        job = Job(queries[0], media_type, settings.max_rows, tuple(from_default), tuple(from_named))
    pool = pool_for(
        kb, lambda: kb.store.oxigraph.dump(format=ox.RdfFormat.N_QUADS) or b"", PREFIXES, settings.workers
    )
    try:
        outcome = pool.run(job, settings.deadline_seconds)
    except Timeout as exc:
        return _text(503, f"{exc}; the deadline is {settings.deadline_seconds:g} s. Narrow the query.")
    except Busy:
        return _text(503, "all query workers are busy; try again later")
    return Response(outcome.body, status_code=outcome.status, media_type=outcome.media_type)


def _check(query: str, graphs: set[str]) -> tuple[str, list[str], list[str]]:
    """The query's form and FROM / FROM NAMED graphs; Refused for updates, syntax errors and remote data."""
    try:
        parsed = parseQuery(query)
    except ParseException as exc:
        _refuse_update(query, exc)
    if _contains(parsed, "ServiceGraphPattern"):
        raise Refused(400, f"SERVICE is not allowed: {NO_OUTBOUND}")
    prologue = translatePrologue(parsed[0], None, PREFIXES)
    form = parsed[1]
    defaults: list[str] = []
    named: list[str] = []
    # CompValue.get returns the key itself for a missing key, so ask the plain dict.
    for clause in dict.get(form, "datasetClause") or []:
        iri = str(prologue.absolutize(clause["default"] if "default" in clause else clause["named"]))
        if iri not in graphs:
            raise Refused(400, f"FROM <{iri}> is not a graph of this dataset: {NO_OUTBOUND}")
        (defaults if "default" in clause else named).append(iri)
    return str(form.name), defaults, named


def _refuse_update(query: str, syntax_error: ParseException) -> NoReturn:
    """Not a query: 403 for an update (400 for LOAD, which fetches), else 400 with the parser's message."""
    try:
        update = parseUpdate(query)
    except ParseException:
        raise Refused(400, f"SPARQL syntax error: {syntax_error}") from None
    if any(getattr(op, "name", None) == "Load" for op in update.request):
        raise Refused(400, f"LOAD is not allowed: {NO_OUTBOUND}")
    raise Refused(403, "SPARQL Update is not allowed: this endpoint is read-only")


def _contains(node: Any, name: str) -> bool:
    if isinstance(node, CompValue):
        return node.name == name or any(_contains(value, name) for value in node.values())
    if isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        return any(_contains(item, name) for item in node)
    return False


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the Accept header likes best (ties go to the earlier offer), or None."""
    ranges: list[tuple[str, float]] = []
    for part in (accept or "*/*").split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for field in fields[1:]:
            key, _, value = field.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((fields[0].lower(), q))
    best, best_q = None, 0.0
    for media_type in offered:
        q = _quality(media_type, ranges)
        if q > best_q:
            best, best_q = media_type, q
    return best


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """q of the most specific range matching `media_type` (0 when none does)."""
    main = media_type.split("/")[0]
    found: tuple[int, float] = (-1, 0.0)
    for pattern, q in ranges:
        specificity = (
            2 if pattern == media_type else 1 if pattern == f"{main}/*" else 0 if pattern == "*/*" else -1
        )
        if specificity > found[0]:
            found = (specificity, q)
    return found[1]


def _describe(request: Request) -> Response:
    media_type = negotiate(request.headers.get("accept"), ["text/turtle", "text/html"])
    if media_type is None:
        raise Refused(406, "the service description is available as text/turtle or text/html")
    endpoint = str(request.url.replace(query=""))
    if media_type == "text/html":
        return Response(_FORM.format(endpoint=html.escape(endpoint, quote=True)), media_type="text/html")
    kb: KnowledgeBase = request.app.state.kb
    return Response(service_description(endpoint, kb.store.graph_names()), media_type="text/turtle")


def service_description(endpoint: str, graph_names: list[str]) -> str:
    """The SPARQL 1.1 Service Description of this endpoint in Turtle."""
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    service = URIRef(endpoint + "#service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for iri in FORMAT_IRIS.values():
        graph.add((service, SD.resultFormat, iri))
    dataset, default = BNode(), BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for name in graph_names:
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
    return graph.serialize(format="turtle")


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain")


_FORM = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>mmkb SPARQL</title></head>
<body>
<h1>mmkb SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 queries over the union of all graphs; prefixes such as mm: are predeclared.</p>
<form method="get" action="{endpoint}">
<textarea name="query" rows="16" cols="90">SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT 10</textarea><br>
<button type="submit">Run query</button>
</form>
</body>
</html>
"""
