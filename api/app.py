"""The HTTP service: create_app(kb) builds the knowledge base once and mounts one router per resource."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import kb as kb_package
from api.errors import register_error_handlers
from api.routes import (
    claims,
    compare,
    conflicts,
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
from kb.knowledge_base import KnowledgeBase

# A child of uvicorn's logger, so that the startup line shows wherever uvicorn logs.
logger = logging.getLogger("uvicorn.error.mmkb")


def include_routers(app: FastAPI) -> None:
    """Mount every resource router."""
    app.include_router(page.router)  # first: /questions/{name}.rq before /questions/{name}
    for module in (health, studies, patients, compare, plots, network, conflicts, claims, questions, export):
        app.include_router(module.router)
    app.include_router(sparql.router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    sparql.shutdown_workers()


def _open() -> KnowledgeBase:
    started = time.perf_counter()
    knowledge_base = KnowledgeBase.open()
    studies_count = len(knowledge_base.select("SELECT ?s WHERE { ?s a mm:Study }"))
    logger.info(
        "loaded %d triples, %d studies in %.2f s",
        len(knowledge_base),
        studies_count,
        time.perf_counter() - started,
    )
    return knowledge_base


def create_app(kb: KnowledgeBase | None = None) -> FastAPI:
    """The FastAPI application serving `kb` (the shipped knowledge base when None)."""
    app = FastAPI(
        title="mmkb",
        version=kb_package.__version__,
        description="Multiple-myeloma evidence: studies, claims with provenance, comparisons and SPARQL.",
        lifespan=_lifespan,
    )
    app.state.kb = kb if kb is not None else _open()
    register_error_handlers(app)
    include_routers(app)
    return app


app = create_app()
