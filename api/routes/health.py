"""Liveness: status, package version and the number of triples loaded."""

from __future__ import annotations

from fastapi import APIRouter

import kb
from api.deps import KBDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(knowledge_base: KBDep) -> Health:
    return Health(status="ok", version=kb.__version__, triples=len(knowledge_base))
