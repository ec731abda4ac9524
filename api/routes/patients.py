"""Patients of a study with their individual claims (sex, age, responses, refractoriness) and provenance."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter

from api.deps import KBDep, id_query
from api.errors import error_responses, not_found
from api.schemas import PatientList

router = APIRouter(tags=["patients"])


@router.get("/patients", response_model=PatientList, responses=error_responses(404))
def list_patients(kb: KBDep, study: Annotated[str, id_query("study-athens-dara-imid")]) -> PatientList:
    patients = kb.patients(study)
    if patients is None:
        raise not_found("study", study)
    return PatientList.model_validate(asdict(patients))
