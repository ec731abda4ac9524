"""Patients of a study with their individual claims (sex, age, responses, refractoriness) and provenance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import KBDep, id_query
from api.errors import error_responses, not_found
from kb.records import PatientList

router = APIRouter(tags=["patients"])


@router.get("/patients", responses=error_responses(404))
def list_patients(kb: KBDep, study: Annotated[str, id_query("study-athens-dara-imid")]) -> PatientList:
    patients = kb.patients(study)
    if patients is None:
        raise not_found("study", study)
    return patients
