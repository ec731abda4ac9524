"""Conflict findings: the rule, its message and each involved claim with its source and evidence."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from api.deps import KBDep
from api.schemas import Conflict

router = APIRouter(tags=["conflicts"])


@router.get("/conflicts", response_model=list[Conflict])
def list_conflicts(kb: KBDep) -> list[Conflict]:
    return [Conflict.model_validate(asdict(c)) for c in kb.conflict_findings()]
