"""Studies: design, publications, cohorts, regimens and the outcome claims about their cohorts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import KBDep, id_path
from api.errors import error_responses, not_found
from kb.records import StudyDetail, StudySummary

router = APIRouter(tags=["studies"])


@router.get("/studies")
def list_studies(kb: KBDep) -> list[StudySummary]:
    return kb.studies()


@router.get("/studies/{study_id}", responses=error_responses(404))
def get_study(study_id: Annotated[str, id_path("study-pollux")], kb: KBDep) -> StudyDetail:
    study = kb.study(study_id)
    if study is None:
        raise not_found("study", study_id, [s.id for s in kb.studies()])
    return study
