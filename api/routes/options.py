"""The comparison's option lists, for the web page's selects and any client: each value with its label
and the default, and the drug, class and design names the loaded data holds."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import KBDep
from kb.analysis.options import CHOICES, filter_names, label
from kb.render.tables import FORMATS

router = APIRouter(tags=["compare"])


class Choice(BaseModel):
    value: str
    label: str


class Options(BaseModel):
    """Each option of /compare/response-rate and /plots/forest.svg: its values (the first is the default)
    and, for the filters, the names the knowledge base holds."""

    by: list[Choice]
    threshold: list[Choice]
    ci: list[Choice]
    format: list[Choice]
    drug: list[str]
    drug_class: list[str]
    design: list[str]


@router.get("/options", response_model=Options)
def options(kb: KBDep) -> Options:
    def choices(option: str) -> list[Choice]:
        values = tuple(FORMATS) if option == "format" else CHOICES[option]
        return [Choice(value=v, label=label(v)) for v in values]

    names = filter_names(kb)
    return Options(
        by=choices("by"),
        threshold=choices("threshold"),
        ci=choices("ci"),
        format=choices("format"),
        drug=names["drug"],
        drug_class=names["drug_class"],
        design=names["design"],
    )
