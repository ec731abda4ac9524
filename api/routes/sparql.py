"""The SPARQL 1.1 Protocol endpoint: the only place user SPARQL runs, in confined worker processes."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF
from starlette.concurrency import run_in_threadpool

from api import sparql_protocol as protocol
from api.negotiation import negotiate
from api.settings import Settings
from api.sparql_engine import Job
from api.sparql_openapi import GET_DOC, POST_DOC
from api.sparql_pool import PoolLimits, Unavailable, WorkerPool, WorkerPools
from api.sparql_protocol import Refused
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


def workers(app: FastAPI) -> WorkerPools:
    """The app's SPARQL workers: made when its lifespan starts (`lifespan`), or on first use by an app
    served without it."""
    pools: WorkerPools | None = getattr(app.state, "sparql", None)
    if pools is None:  # checked and set on the event loop, with no await between
        pools = app.state.sparql = WorkerPools()
    return pools


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The part of the lifespan of an app serving this router: each run of the app has its own workers,
    all ended when it stops (a stopped app answers 503)."""
    pools = app.state.sparql = WorkerPools()
    try:
        yield
    finally:
        pools.close()


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or Settings()


@router.get("/sparql", response_model=None, **GET_DOC)
async def sparql_get(request: Request) -> Response:
    """A query in `query=`, or without one the service description (Turtle) or a query form (HTML)."""
    settings = _settings(request)
    try:
        query = protocol.from_get(request.url.query, settings.sparql_max_query_bytes)
        if query is None:
            return await run_in_threadpool(_describe, request)
        return await _answer(request, settings, query)
    except Refused as exc:
        return _text(exc.status, str(exc))


@router.post("/sparql", response_model=None, **POST_DOC)
async def sparql_post(request: Request) -> Response:
    """A query as a URL-encoded form field `query` or as an application/sparql-query body."""
    settings = _settings(request)
    media_type = protocol.content_type(request.headers.get("content-type"))
    try:
        protocol.check_post(media_type, request.url.query)
        limit = settings.sparql_max_query_bytes
        if media_type == protocol.FORM:  # percent-encoding may triple the query, plus the other fields
            limit = 3 * limit + 64 * 1024
        body = await protocol.read_body(request.stream(), request.headers.get("content-length"), limit)
        query = protocol.from_post(media_type, request.url.query, body, settings.sparql_max_query_bytes)
        return await _answer(request, settings, query)
    except Refused as exc:
        return _text(exc.status, str(exc))


async def _answer(request: Request, settings: Settings, query: protocol.QueryRequest) -> Response:
    solutions_type, graph_type = protocol.answer_types(request.headers.get("accept"))
    job = Job(
        query.query,
        solutions_type,
        graph_type,
        settings.sparql_max_rows,
        settings.sparql_max_result_bytes,
        query.default_graphs,
        query.named_graphs,
    )
    try:
        pool = await _pool(request, settings)
        outcome = await pool.run(job, settings.sparql_deadline_seconds)
    except Unavailable as exc:
        message = f"{exc}; the deadline is {settings.sparql_deadline_seconds:g} s"
        return _text(503, message, headers={"Retry-After": "1"})
    return Response(outcome.body, status_code=outcome.status, media_type=outcome.media_type)


async def _pool(request: Request, settings: Settings) -> WorkerPool:
    kb: KnowledgeBase = request.app.state.kb
    pools = workers(request.app)
    pool = pools.started(kb)
    if pool is not None:
        return pool
    limits = PoolLimits(
        settings.sparql_workers,
        settings.sparql_queue,
        settings.sparql_worker_memory_mb,
        recycle_mb=settings.sparql_worker_memory_mb // 2,  # a worker past half its limit is replaced
    )
    prefixes = json.dumps(PREFIXES).encode()

    def dump() -> bytes:
        return kb.store.dump_nquads()

    # the workers of a built store open it themselves, read-only: nothing is copied to them
    store_path = str(kb.build.path) if kb.build is not None else None
    return await pools.start(kb, dump, prefixes, limits, store_path)


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


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8", headers=headers)


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
