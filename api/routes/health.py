"""Liveness: status, package version and the number of triples loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request

import kb
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> Health:
    # Answered on the event loop, never queued behind the thread pool that the synchronous routes share:
    # it only reads the triple count the app took when it started.
    return Health(status="ok", version=kb.__version__, triples=request.app.state.triples)
