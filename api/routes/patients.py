"""Patients of a study with their individual claims (sex, age, responses, refractoriness) and provenance."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Query

from api.deps import KBDep
from api.errors import not_found
from api.routes.claims import describe, local
from api.schemas import Claim, Patient, PatientList
from kb.namespaces import ID
from kb.queries import query_text

router = APIRouter(tags=["patients"])


@router.get("/patients", response_model=PatientList, responses={404: {"description": "unknown study"}})
def list_patients(
    kb: KBDep, study: str = Query(description="study id, e.g. study-athens-dara-imid")
) -> PatientList:
    iri = ID[study]
    if not kb.store.ask("ASK { ?s a mm:Study }", {"s": iri}):
        raise not_found("study", study)
    rows = kb.select(query_text("api-study-patients"), {"study": iri})
    claims: dict[str, list[Claim]] = defaultdict(list)
    for claim in describe(kb, about=[r["patient"] for r in rows]):
        claims[claim.about].append(claim)
    patients = [
        Patient(
            id=local(r["patient"]), label=str(r.get("label", "")), claims=claims.get(local(r["patient"]), [])
        )
        for r in rows
    ]
    return PatientList(study=study, patients=patients)
