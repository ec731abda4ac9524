"""The comparison's option lists, for the web page's selects and any client: each value with its label
and the default, and the drug, class and design names the loaded data holds."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import KBDep
from api.schemas import Choice, Options
from kb.analysis.options import CHOICES, filter_names, label
from kb.render.tables import FORMATS

router = APIRouter(tags=["compare"])


@router.get("/options")
def options(kb: KBDep) -> Options:
    def choices(option: str) -> list[Choice]:
        values = tuple(FORMATS) if option == "format" else CHOICES[option]
        return [Choice(value=v, label=label(v)) for v in values]

    names = filter_names(kb)
    return Options(
        endpoint=choices("endpoint"),
        by=choices("by"),
        threshold=choices("threshold"),
        ci=choices("ci"),
        format=choices("format"),
        drug=names["drug"],
        drug_class=names["drug_class"],
        design=names["design"],
    )
