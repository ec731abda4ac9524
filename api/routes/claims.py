"""Claims: one claim with its values, source, verification, evidence, curation and how it was obtained."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import KBDep, id_path
from api.errors import error_responses, not_found
from kb.records import ClaimWithDerivation

router = APIRouter(tags=["claims"])


@router.get("/claims/{claim_id}", responses=error_responses(404))
def get_claim(claim_id: Annotated[str, id_path("sirius-orr-lonial2016")], kb: KBDep) -> ClaimWithDerivation:
    claim = kb.claim(claim_id)
    if claim is None:
        raise not_found("claim", claim_id)
    return claim
