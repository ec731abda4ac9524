"""The records the knowledge base answers with: plain data, ids as local names, numbers as numbers.

`KnowledgeBase` builds them from query rows; the command line prints them and the REST API maps them,
field for field, onto its response models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Publication:
    id: str
    label: str = ""
    title: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""


@dataclass
class Evidence:
    """Where a claim's value is printed: a quote (`exact`, `prefix`, `suffix`) or a table cell."""

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


@dataclass
class CurationActivity:
    id: str
    label: str = ""
    ended_at: str = ""
    curator: str = ""


@dataclass(kw_only=True)
class Claim:
    """A claim with its values, source, verification, derivation method, evidence and curation."""

    id: str
    types: list[str]
    about: str
    values: dict[str, Any]
    source: Publication
    verification: str = ""
    derivation: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    curation: CurationActivity | None = None


@dataclass(kw_only=True)
class ClaimWithDerivation(Claim):
    """A claim and how its number was obtained (`Explanation.as_dict()`), None when nothing says."""

    how: dict[str, Any] | None = None


@dataclass
class Cohort:
    id: str
    label: str = ""
    subgroup_of: str = ""
    sizes: list[int] = field(default_factory=list)


@dataclass(kw_only=True)
class StudySummary:
    id: str
    label: str
    design: str = ""
    design_label: str = ""
    evidence_rank: int | None = None
    publications: list[Publication] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)


@dataclass
class Component:
    id: str
    drug: str = ""
    drug_label: str = ""
    dose: Any = None
    unit: str = ""
    schedule: str = ""


@dataclass
class Regimen:
    id: str
    label: str = ""
    cohorts: list[str] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)


@dataclass(kw_only=True)
class StudyDetail(StudySummary):
    """A study with the regimens its cohorts received and the outcome claims about its cohorts."""

    regimens: list[Regimen] = field(default_factory=list)
    outcomes: list[Claim] = field(default_factory=list)


@dataclass
class Patient:
    id: str
    label: str = ""
    claims: list[Claim] = field(default_factory=list)


@dataclass
class PatientList:
    study: str
    patients: list[Patient] = field(default_factory=list)


@dataclass
class InvolvedClaim:
    id: str
    source_label: str = ""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Conflict:
    """A conflict finding: the rule that fired, its message and the claims it involves."""

    id: str
    rule: str
    message: str
    involves: list[InvolvedClaim] = field(default_factory=list)


@dataclass
class Answer:
    """A named question's answer: its columns and one row of text values per solution."""

    name: str
    title: str
    description: str
    returns: list[str]
    columns: list[str]
    rows: list[list[str]]
