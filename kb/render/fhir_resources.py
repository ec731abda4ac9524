"""The resources an Evidence points at, as FHIR R5 JSON: a cohort as a `Group`, a regimen or an outcome as an
`EvidenceVariable`, a publication as a `Citation` (with its DOI, PMID and where they resolve)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kb.links import doi_url, pubmed_url
from kb.namespaces import ID_IRI, local_name
from kb.records import Publication
from kb.render.fhir_codes import (
    DOI_SYSTEM,
    JSON,
    PUBMED_SYSTEM,
    UCUM,
    concept,
    identifier,
    mm_coding,
)

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def fhir_id(name: str) -> str:
    """A FHIR id for a local name: the name itself where FHIR allows it (letters, digits, '-', '.', at most
    64), else its allowed characters with a hash of the whole name, so that two names never share an id."""
    if _ID.fullmatch(name):
        return name
    kept = re.sub(r"[^A-Za-z0-9\-.]+", "-", name).strip("-")[:55]
    return f"{kept}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def reference(resource_type: str, resource_id: str, display: str = "") -> JSON:
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


@dataclass(frozen=True)
class Cohort:
    """What a Group says of a cohort."""

    iri: str
    label: str
    study_label: str
    kind: str  # Arm, Subgroup, PatientGroup
    parents: tuple[str, ...]  # labels of the cohorts it is a subgroup of
    eligibility: str
    size: int | None  # the one size its sources give, where they agree on one
    # (relation, words, ((drug, label), ...)): a drug "" for a set that is only said in words
    defining: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]


def group(cohort: Cohort) -> JSON:
    kind = {"Arm": "arm", "Subgroup": "subgroup", "PatientGroup": "patient group"}.get(cohort.kind, "cohort")
    lines = [f"The {kind} '{cohort.label}' of {cohort.study_label}."]
    if cohort.parents:
        lines.append("A subgroup of " + "; ".join(cohort.parents) + ".")
    if cohort.eligibility:
        lines.append(f"Eligibility as the source states it: {cohort.eligibility}")
    out: JSON = {
        "resourceType": "Group",
        "id": fhir_id(local_name(cohort.iri)),
        "identifier": [identifier(cohort.iri)],
        "type": "person",
        "membership": "definitional",
        "name": cohort.label,
        "description": "\n\n".join(lines),
    }
    if cohort.size is not None:
        out["quantity"] = cohort.size
    characteristics = [
        {
            "code": concept(mm_coding(relation), text=words),
            # a drug by its term; "one of several" in words alone (the set is no single concept)
            "valueCodeableConcept": concept(mm_coding(drug, label), text=label)
            if drug
            else concept(text=label),
            "exclude": False,
        }
        for relation, words, members in cohort.defining
        for drug, label in members
    ]
    if characteristics:
        out["characteristic"] = characteristics
    return out


def exposure_variable(variable_id: str, regimens: Iterable[tuple[str, str]]) -> JSON:
    """The regimen (or, for a cohort given one of several, the regimens) a cohort received."""
    regimens = sorted(regimens)
    text = " or ".join(label for _, label in regimens)
    return {
        "resourceType": "EvidenceVariable",
        "id": variable_id,
        "status": "active",
        "title": text,
        "description": f"Treatment with {text}.",
        "actual": True,
        "characteristic": [
            {"description": label, "definitionCodeableConcept": concept(text=label)} for _, label in regimens
        ],
        "handling": "dichotomous",
    }


@dataclass(frozen=True)
class Outcome:
    """The variable an Evidence measures: the endpoint, and what narrows it (a response threshold or
    category, an adverse event, a drug set, a landmark time)."""

    endpoint: tuple[str, str]  # (term, label)
    qualifiers: tuple[tuple[str, str, str], ...] = ()  # (property, term or record IRI, words)
    landmark_months: float | None = None
    handling: str = "continuous"

    @property
    def title(self) -> str:
        words = [self.endpoint[1]] + [text for _, _, text in self.qualifiers]
        if self.landmark_months is not None:
            words.append(f"at {self.landmark_months:g} months")
        return ", ".join(words)

    @property
    def key(self) -> str:
        parts = [self.endpoint[0]] + [local_name(term) for _, term, _ in self.qualifiers]
        if self.landmark_months is not None:
            parts.append(f"{self.landmark_months:g}mo")
        return "outcome-" + "-".join(parts)


def outcome_variable(variable_id: str, outcome: Outcome) -> JSON:
    characteristics: list[JSON] = [
        {
            "description": outcome.endpoint[1],
            "definitionCodeableConcept": concept(mm_coding(*outcome.endpoint)),
        }
    ]
    for prop, term, words in outcome.qualifiers:
        value = concept(mm_coding(term), text=words) if not term.startswith(ID_IRI) else concept(text=words)
        characteristics.append(
            {
                "description": words,
                "definitionByTypeAndValue": {"type": concept(mm_coding(prop)), "valueCodeableConcept": value},
            }
        )
    if outcome.landmark_months is not None:
        characteristics[0]["timeFromEvent"] = [
            {
                "description": "from the start of treatment",
                "quantity": {
                    "value": outcome.landmark_months,
                    "system": UCUM,
                    "code": "mo",
                    "unit": "months",
                },
            }
        ]
    return {
        "resourceType": "EvidenceVariable",
        "id": variable_id,
        "status": "active",
        "title": outcome.title,
        "actual": True,
        "characteristic": characteristics,
        "handling": outcome.handling,
    }


def citation(publication: Publication, iri: str) -> JSON:
    """A publication (or another source document) as a Citation: its IRI, title, DOI and PMID, and the
    addresses where they resolve."""
    identifiers, locations = [], []
    if publication.doi:
        identifiers.append({"system": DOI_SYSTEM, "value": publication.doi})
        locations.append({"url": doi_url(publication.doi)})
    if publication.pmid:
        identifiers.append({"system": PUBMED_SYSTEM, "value": publication.pmid})
        locations.append({"url": pubmed_url(publication.pmid)})
    if publication.url:
        locations.append({"url": publication.url})
    artifact: JSON = {}
    if identifiers:
        artifact["identifier"] = identifiers
    if publication.title:
        artifact["title"] = [{"text": publication.title}]
    if locations:
        artifact["webLocation"] = locations
    out: JSON = {
        "resourceType": "Citation",
        "id": fhir_id(publication.id),
        "url": iri,
        "identifier": [identifier(iri)],
        "title": publication.label or publication.title or publication.id,
        "status": "active",
    }
    if artifact:
        out["citedArtifact"] = artifact
    return out
