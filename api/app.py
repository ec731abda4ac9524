"""The HTTP service: create_app(kb, settings) builds the knowledge base once and mounts one router per
resource behind the service-wide middleware."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

import kb as kb_package
from api.cache import ResponseCache
from api.errors import error_responses, register_error_handlers
from api.http.middleware import AllowedHosts, BodyLimit, SameOriginWrites, SecurityHeaders
from api.routes import (
    claims,
    compare,
    conflicts,
    docs,
    export,
    health,
    network,
    page,
    patients,
    plots,
    questions,
    sparql,
    studies,
)
from api.settings import Settings
from kb.knowledge_base import KnowledgeBase

# A child of uvicorn's logger, so that the startup line shows wherever uvicorn logs.
logger = logging.getLogger("uvicorn.error.mmkb")

# What any route may answer whatever its parameters: a Host not served (400), a body over the limit
# (413), a parameter that does not validate (422).
COMMON_ERRORS = error_responses(400, 413, 422)


def include_routers(app: FastAPI) -> None:
    """Mount every resource router."""
    app.include_router(page.router)  # first: /questions/{name}.rq before /questions/{name}
    app.include_router(docs.router)
    for module in (health, studies, patients, compare, plots, network, conflicts, claims, questions, export):
        app.include_router(module.router, responses=COMMON_ERRORS)
    app.include_router(sparql.router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    sparql.shutdown_workers()


def _loaded(kb: KnowledgeBase | None) -> tuple[KnowledgeBase, int]:
    """`kb`, or the shipped knowledge base opened and logged when None, with its number of triples.

    Counting scans every triple (Oxigraph's len is not O(1)); the graph is read-only, so it is counted
    once here and /health reads the number."""
    if kb is not None:
        return kb, len(kb)
    started = time.perf_counter()
    knowledge_base = KnowledgeBase.open()
    triples = len(knowledge_base)
    studies_count = len(knowledge_base.select("SELECT ?s WHERE { ?s a mm:Study }"))
    logger.info(
        "loaded %d triples, %d studies in %.2f s", triples, studies_count, time.perf_counter() - started
    )
    return knowledge_base, triples


def middleware(settings: Settings) -> list[Middleware]:
    """The service-wide middleware, outermost first: every answer, refusals included, has the headers."""
    stack = [
        Middleware(SecurityHeaders),
        Middleware(AllowedHosts, hosts=(*settings.allowed_hosts, settings.host)),
    ]
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Accept", "Content-Type"],
            )
        )
    stack += [
        Middleware(SameOriginWrites, trusted_origins=settings.cors_origins),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
    ]
    return stack


def create_app(kb: KnowledgeBase | None = None, settings: Settings | None = None) -> FastAPI:
    """The FastAPI application serving `kb` (the shipped knowledge base when None) under `settings`
    (defaults and MMKB_* environment variables when None)."""
    settings = settings if settings is not None else Settings.from_env()
    app = FastAPI(
        title="mmkb",
        version=kb_package.__version__,
        description="Multiple-myeloma evidence: studies, claims with provenance, comparisons and SPARQL.",
        lifespan=_lifespan,
        middleware=middleware(settings),
        docs_url=None,  # served by api.routes.docs from local files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.kb, app.state.triples = _loaded(kb)
    register_error_handlers(app)
    include_routers(app)
    app.add_middleware(  # outermost; the key covers what the inner layers check
        ResponseCache,
        max_entries=settings.response_cache_entries,
        max_bytes=settings.response_cache_bytes,
        max_entry_bytes=settings.response_cache_entry_bytes,
    )
    return app


app = create_app()
