"""The HTTP service: create_app(kb, settings) mounts one router per resource behind the service-wide
middleware. Nothing is loaded at import: the knowledge base is the one passed in, or is opened once
when the app starts (its lifespan): the built store of the `store` setting (MMKB_STORE), else the files
named in MMKB_DATA, else the shipped ones.

A service on a built store serves the build the store pointed to when it started, REST and SPARQL
alike, until it is restarted; a later `mmkb build` leaves that build in place while it is open.

    uvicorn --factory api.app:create_app        # settings from MMKB_* variables, data from MMKB_STORE
                                                # or MMKB_DATA
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

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
    context,
    docs,
    export,
    fhir,
    health,
    network,
    ontology,
    options,
    page,
    patients,
    plots,
    questions,
    records,
    sparql,
    studies,
)
from api.settings import Settings, SettingsError
from kb.knowledge_base import KnowledgeBase

# A child of uvicorn's logger, so that the startup line shows wherever uvicorn logs.
logger = logging.getLogger("uvicorn.error.mmkb")

# What any route may answer whatever its parameters: a Host not served (400), a body over the limit
# (413), a parameter that does not validate (422).
COMMON_ERRORS = error_responses(400, 413, 422)

# The RDF files an app built without a knowledge base serves, separated like PATH (os.pathsep);
# unset or empty serves the shipped curated files.
DATA_ENV = "MMKB_DATA"


def include_routers(app: FastAPI) -> None:
    """Mount every resource router."""
    app.include_router(page.router)  # first: /questions/{name}.rq before /questions/{name}
    app.include_router(docs.router)
    for module in (
        health,
        studies,
        patients,
        compare,
        options,
        plots,
        network,
        conflicts,
        claims,
        questions,
        export,
        fhir,
        records,
        ontology,
        context,
    ):
        app.include_router(module.router, responses=COMMON_ERRORS)
    app.include_router(sparql.router)


def data_paths(environ: Mapping[str, str] | None = None) -> list[Path] | None:
    """The files named by MMKB_DATA in `environ` (os.environ when None), or None for the shipped ones."""
    text = (os.environ if environ is None else environ).get(DATA_ENV, "")
    paths = [Path(part) for part in text.split(os.pathsep) if part.strip()]
    return paths or None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.kb is None:  # startup, before any request: loading here blocks nothing
        app.state.kb = _loaded(app.state.data_paths, app.state.settings.store)
        app.state.triples = app.state.kb.triples()
    async with sparql.lifespan(app):  # this app's SPARQL workers, ended when it stops
        yield


def _loaded(paths: list[Path] | None, store: str) -> KnowledgeBase:
    """The knowledge base of the built `store`, else of `paths` (the shipped files when None), opened and
    logged."""
    started = time.perf_counter()
    knowledge_base = KnowledgeBase.from_store(store) if store else KnowledgeBase.open(paths)
    studies = knowledge_base.select("SELECT (COUNT(?s) AS ?n) WHERE { ?s a mm:Study }")[0]["n"]
    logger.info(
        "%s %d triples, %s studies in %.2f s",
        f"opened the build {knowledge_base.built_from.where}: " if knowledge_base.built_from else "loaded",
        knowledge_base.triples(),
        studies,
        time.perf_counter() - started,
    )
    return knowledge_base


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
    """The FastAPI application serving `kb` under `settings` (defaults and MMKB_* environment variables
    when None). Without `kb`, the built store of `settings.store`, else the files named in MMKB_DATA (the
    shipped ones when unset), are opened when the app starts, so a factory call with no arguments loads
    nothing."""
    settings = settings if settings is not None else Settings.from_env()
    if kb is None and settings.store and data_paths():
        raise SettingsError(f"MMKB_STORE serves a built store and {DATA_ENV} names files: set one of them")
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
    app.state.data_paths = data_paths() if kb is None else None
    app.state.kb = kb
    app.state.triples = kb.triples() if kb is not None else 0  # counted once: /health reads it
    register_error_handlers(app)
    include_routers(app)
    app.add_middleware(  # outermost; the key covers what the inner layers check
        ResponseCache,
        max_entries=settings.response_cache_entries,
        max_bytes=settings.response_cache_bytes,
        max_entry_bytes=settings.response_cache_entry_bytes,
        version=lambda: store_version(app.state.kb),
    )
    return app


def store_version(knowledge_base: KnowledgeBase | None) -> str:
    """What the answers of `knowledge_base` are a function of: its build (a new one for every build), or,
    for files loaded in memory, the knowledge base object itself."""
    if knowledge_base is None:
        return ""
    if knowledge_base.built_from is not None:
        return f"build:{knowledge_base.built_from.id}"
    return f"loaded:{id(knowledge_base)}"
