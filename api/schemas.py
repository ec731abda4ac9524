"""Response models: the public contract of the REST API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str
    version: str
    triples: int


class Error(BaseModel):
    error: str
    valid: list[str] = Field(default_factory=list)


class Publication(BaseModel):
    id: str
    label: str = ""
    title: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""


class Evidence(BaseModel):
    kind: str = ""  # "quote" or "table"
    document: str = ""
    document_label: str = ""
    url: str = ""
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    table: str = ""
    row: str = ""
    column: str = ""


class CurationActivity(BaseModel):
    id: str
    label: str = ""
    ended_at: str = ""
    curator: str = ""


class Claim(BaseModel):
    id: str
    types: list[str]
    about: str
    values: dict[str, Any]
    source: Publication
    verification: str = ""
    derivation: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    curation: CurationActivity | None = None


class Cohort(BaseModel):
    id: str
    label: str = ""
    subgroup_of: str = ""
    sizes: list[int] = Field(default_factory=list)


class StudySummary(BaseModel):
    id: str
    label: str
    design: str = ""
    design_label: str = ""
    evidence_rank: int | None = None
    publications: list[Publication]
    cohorts: list[Cohort]


class Component(BaseModel):
    id: str
    drug: str = ""
    drug_label: str = ""
    dose: Any = None
    unit: str = ""
    schedule: str = ""


class Regimen(BaseModel):
    id: str
    label: str = ""
    cohorts: list[str]
    components: list[Component]


class StudyDetail(StudySummary):
    regimens: list[Regimen]
    outcomes: list[Claim]


class Patient(BaseModel):
    id: str
    label: str = ""
    claims: list[Claim]


class PatientList(BaseModel):
    study: str
    patients: list[Patient]


class InvolvedClaim(BaseModel):
    id: str
    source_label: str = ""
    evidence: list[Evidence] = Field(default_factory=list)


class Conflict(BaseModel):
    id: str
    rule: str
    message: str
    involves: list[InvolvedClaim]


class QuestionSummary(BaseModel):
    name: str
    title: str
    description: str
    returns: list[str]


class QuestionAnswer(QuestionSummary):
    columns: list[str]
    rows: list[list[str]]


class DerivationInput(BaseModel):
    """A claim a number was obtained from; `counted` says whether a counted record met the condition."""

    id: str
    types: list[str]
    about: str
    source: str
    value: str
    counted: bool | None = None
    evidence: list[dict[str, str]] = Field(default_factory=list)


class Derivation(BaseModel):
    """How a claim's number was obtained: the method, the inputs with their evidence, candidate counts."""

    id: str
    derivation: str
    method: str
    note: str = ""
    percent: str = ""
    denominator: str = ""
    hedged: bool = False
    tolerance: str = ""
    count_origin: str = ""
    candidates: list[int] = Field(default_factory=list)
    inputs: list[DerivationInput] = Field(default_factory=list)
    interpretations: list[dict[str, Any]] = Field(default_factory=list)


class ClaimWithDerivation(Claim):
    how: Derivation | None = None
