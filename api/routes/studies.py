"""Studies: design, publications, cohorts, regimens and the outcome claims about their cohorts."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter
from rdflib.term import Node

from api.deps import KBDep, id_path
from api.errors import error_responses, not_found
from api.routes.claims import describe, local, publication, value
from api.schemas import Cohort, Component, Regimen, StudyDetail, StudySummary
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID
from kb.queries import query_text

router = APIRouter(tags=["studies"])


def _cohorts(kb: KnowledgeBase, study: Node | None = None) -> dict[Node, list[Cohort]]:
    bindings = {"study": study} if study is not None else None
    cohorts: dict[Node, dict[Node, Cohort]] = defaultdict(dict)
    for r in kb.select(query_text("api-study-cohorts"), bindings):
        cohort = cohorts[r["study"]].setdefault(
            r["cohort"],
            Cohort(id=local(r["cohort"]), label=str(r.get("label", "")), subgroup_of=local(r.get("parent"))),
        )
        size = value(r["size"]) if "size" in r else None
        if isinstance(size, int) and size not in cohort.sizes:
            cohort.sizes.append(size)
    return {s: list(c.values()) for s, c in cohorts.items()}


def _summaries(kb: KnowledgeBase, study: Node | None = None) -> list[StudySummary]:
    bindings = {"study": study} if study is not None else None
    cohorts = _cohorts(kb, study)
    studies: dict[Node, StudySummary] = {}
    for r in kb.select(query_text("api-studies"), bindings):
        summary = studies.get(r["study"])
        if summary is None:
            rank = value(r["rank"]) if "rank" in r else None
            summary = studies[r["study"]] = StudySummary(
                id=local(r["study"]),
                label=str(r["label"]),
                design=local(r.get("design")),
                design_label=str(r.get("designLabel", "")),
                evidence_rank=rank if isinstance(rank, int) else None,
                publications=[],
                cohorts=cohorts.get(r["study"], []),
            )
        if "publication" in r and all(p.id != local(r["publication"]) for p in summary.publications):
            summary.publications.append(publication(kb, r["publication"]))
    return list(studies.values())


def _regimens(kb: KnowledgeBase, study: Node) -> list[Regimen]:
    regimens: dict[Node, Regimen] = {}
    for r in kb.select(query_text("api-study-regimens"), {"study": study}):
        regimen = regimens.setdefault(
            r["regimen"],
            Regimen(id=local(r["regimen"]), label=str(r.get("regimenLabel", "")), cohorts=[], components=[]),
        )
        if local(r["cohort"]) not in regimen.cohorts:
            regimen.cohorts.append(local(r["cohort"]))
        component = local(r.get("component"))
        if component and all(c.id != component for c in regimen.components):
            regimen.components.append(
                Component(
                    id=component,
                    drug=local(r.get("drug")),
                    drug_label=str(r.get("drugLabel", "")),
                    dose=value(r["dose"]) if "dose" in r else None,
                    unit=local(r.get("unit")),
                    schedule=local(r.get("schedule")),
                )
            )
    return list(regimens.values())


@router.get("/studies", response_model=list[StudySummary])
def list_studies(kb: KBDep) -> list[StudySummary]:
    return _summaries(kb)


@router.get("/studies/{study_id}", response_model=StudyDetail, responses=error_responses(404))
def get_study(study_id: Annotated[str, id_path("study-pollux")], kb: KBDep) -> StudyDetail:
    iri = ID[study_id]
    found = _summaries(kb, iri)
    if not found:
        raise not_found("study", study_id, [s.id for s in _summaries(kb)])
    summary = found[0]
    cohorts = [ID[c.id] for c in summary.cohorts]
    return StudyDetail(
        **summary.model_dump(),
        regimens=_regimens(kb, iri),
        outcomes=describe(kb, about=cohorts),
    )
