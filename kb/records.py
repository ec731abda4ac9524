"""The records the knowledge base answers with: plain data, ids as local names, numbers as numbers.

Each record also carries `iri`, where it dereferences (https://w3id.org/mmkb/id/NAME, served by the
service at /id/NAME), and each identifier its link: a publication's DOI at doi.org and PMID at PubMed,
a study's registry numbers at ClinicalTrials.gov ("" where the data has none).

`KnowledgeBase` builds them from query rows; the command line prints them and the REST API returns
them as they are (FastAPI describes and serializes dataclasses), so each shape is defined here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class Labelled:
    """A resource by its local name and IRI, with its rdfs:label ("" when it has none)."""

    id: str
    iri: str = ""
    label: str = ""


@dataclass(kw_only=True)
class Publication(Labelled):
    """A publication: its DOI and PMID, each with its link (doi.org, PubMed), and its own web address."""

    title: str = ""
    doi: str = ""
    doi_url: str = ""
    pmid: str = ""
    pubmed_url: str = ""
    url: str = ""


@dataclass(kw_only=True)
class Evidence:
    """Where a claim's value is printed: a quote (`exact`, `prefix`, `suffix`) or a table cell."""

    kind: str = ""  # "quote" or "table"
    document: str = ""
    document_iri: str = ""
    document_label: str = ""
    url: str = ""
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    table: str = ""
    row: str = ""
    column: str = ""


@dataclass(kw_only=True)
class CurationActivity(Labelled):
    ended_at: str = ""
    curator: str = ""


@dataclass(kw_only=True)
class Claim:
    """A claim with its values, source, verification, derivation method, evidence and curation."""

    id: str
    iri: str = ""
    types: list[str]
    about: str
    about_iri: str = ""
    values: dict[str, Any]
    source: Publication
    verification: str = ""
    derivation: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    curation: CurationActivity | None = None


@dataclass(kw_only=True)
class DerivationInput:
    """A claim a number was obtained from: what it says and where; `counted` says, for a counted
    record, whether it meets the count's condition (null when unknown or not a count)."""

    id: str
    types: list[str]
    about: str
    source: str
    value: str
    counted: bool | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass(kw_only=True)
class Derivation:
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
    candidates: list[int] = field(default_factory=list)
    inputs: list[DerivationInput] = field(default_factory=list)
    interpretations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class ClaimWithDerivation(Claim):
    """A claim and how its number was obtained (`how` is null when nothing says)."""

    how: Derivation | None = None


@dataclass(kw_only=True)
class Cohort(Labelled):
    subgroup_of: str = ""
    sizes: list[int] = field(default_factory=list)


@dataclass(kw_only=True)
class Registration:
    """A trial registry number (NCT...) and its ClinicalTrials.gov link."""

    nct_id: str
    url: str


@dataclass(kw_only=True)
class StudySummary:
    id: str
    iri: str = ""
    label: str
    design: str = ""
    design_label: str = ""
    evidence_rank: int | None = None
    registrations: list[Registration] = field(default_factory=list)
    publications: list[Publication]
    cohorts: list[Cohort]


@dataclass(kw_only=True)
class Component:
    id: str
    iri: str = ""
    drug: str = ""
    drug_label: str = ""
    dose: Any = None
    unit: str = ""
    schedule: str = ""


@dataclass(kw_only=True)
class Regimen(Labelled):
    cohorts: list[str]
    components: list[Component]


@dataclass(kw_only=True)
class StudyDetail(StudySummary):
    """A study with the regimens its cohorts received and the outcome claims about its cohorts."""

    regimens: list[Regimen]
    outcomes: list[Claim]


@dataclass(kw_only=True)
class Patient(Labelled):
    claims: list[Claim]


@dataclass(kw_only=True)
class PatientList:
    study: str
    patients: list[Patient]


@dataclass(kw_only=True)
class InvolvedClaim:
    id: str
    iri: str = ""
    source_label: str = ""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(kw_only=True)
class Conflict:
    """A conflict finding: the rule that fired, its message and the claims it involves."""

    id: str
    iri: str = ""
    rule: str
    message: str
    involves: list[InvolvedClaim]


@dataclass(kw_only=True)
class QuestionSummary:
    """A named question: its name, title, description and the variables it returns."""

    name: str
    title: str
    description: str
    returns: list[str]


@dataclass(kw_only=True)
class QuestionAnswer(QuestionSummary):
    """A named question's answer: its columns and one row of text values per solution."""

    columns: list[str]
    rows: list[list[str]]
