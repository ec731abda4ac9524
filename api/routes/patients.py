"""Patients of a study with their individual claims (sex, age, responses, refractoriness) and provenance."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter

from api.deps import KBDep, id_query
from api.errors import error_responses, not_found
from api.routes.claims import describe, local
from api.schemas import Claim, Patient, PatientList
from kb.namespaces import ID
from kb.queries import query_text

router = APIRouter(tags=["patients"])


@router.get("/patients", response_model=PatientList, responses=error_responses(404))
def list_patients(kb: KBDep, study: Annotated[str, id_query("study-athens-dara-imid")]) -> PatientList:
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
