"""Named competency questions: the list, and one question run with its answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import KBDep
from api.errors import error_responses, not_found
from kb.analysis.questions import question, question_names, questions
from kb.records import QuestionAnswer, QuestionSummary

router = APIRouter(tags=["questions"])

NAMES = question_names()


@router.get("/questions")
def list_questions() -> list[QuestionSummary]:
    return [
        QuestionSummary(name=q.name, title=q.title, description=q.description, returns=list(q.returns))
        for q in questions()
    ]


@router.get("/questions/{name}", responses=error_responses(404))
def run_question(name: Annotated[str, Path(json_schema_extra={"enum": NAMES})], kb: KBDep) -> QuestionAnswer:
    if name not in NAMES:
        raise not_found("question", name, NAMES)
    return kb.answer(question(name))
