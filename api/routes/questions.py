"""Named competency questions: the list, and one question run with its answer."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import KBDep
from api.errors import error_responses, not_found
from api.schemas import QuestionAnswer, QuestionSummary
from kb.questions import question, questions

router = APIRouter(tags=["questions"])


@router.get("/questions", response_model=list[QuestionSummary])
def list_questions() -> list[QuestionSummary]:
    return [
        QuestionSummary(name=q.name, title=q.title, description=q.description, returns=list(q.returns))
        for q in questions()
    ]


@router.get("/questions/{name}", response_model=QuestionAnswer, responses=error_responses(404))
def run_question(name: str, kb: KBDep) -> QuestionAnswer:
    names = [q.name for q in questions()]
    if name not in names:
        raise not_found("question", name, names)
    q = question(name)
    rows = kb.select(q.text)
    return QuestionAnswer(
        name=q.name,
        title=q.title,
        description=q.description,
        returns=list(q.returns),
        columns=list(q.returns),
        rows=[[str(r.get(column, "")) for column in q.returns] for r in rows],
    )
