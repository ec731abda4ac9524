"""Conflict findings: the rule, its message and each involved claim with its source and evidence."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import KBDep
from api.routes.claims import evidence_of, local
from api.schemas import Conflict, InvolvedClaim
from kb.queries import query_text

router = APIRouter(tags=["conflicts"])


@router.get("/conflicts", response_model=list[Conflict])
def list_conflicts(kb: KBDep) -> list[Conflict]:
    involved = sorted({i for f in kb.conflicts for i in f.involves}, key=str)
    evidence = evidence_of(kb, involved)
    labels = {
        r["claim"]: str(r.get("sourceLabel", ""))
        for r in (kb.select(query_text("api-claims"), {"claim": involved}) if involved else [])
    }
    return [
        Conflict(
            id=local(f.iri),
            rule=local(f.rule),
            message=f.message,
            involves=[
                InvolvedClaim(id=local(i), source_label=labels.get(i, ""), evidence=evidence.get(i, []))
                for i in f.involves
            ],
        )
        for f in sorted(kb.conflicts, key=lambda f: str(f.iri))
    ]
