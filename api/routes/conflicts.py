"""Conflict findings: the rule, its message and each involved claim with its source and evidence."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import KBDep
from kb.records import Conflict

router = APIRouter(tags=["conflicts"])


@router.get("/conflicts")
def list_conflicts(kb: KBDep) -> list[Conflict]:
    return kb.conflict_findings()
