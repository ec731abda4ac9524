"""The knowledge base's figures as a FHIR R5 `Bundle` (type collection) of Evidence, with the Groups,
EvidenceVariables and Citations they refer to (mmkb export --format fhir, GET /export?format=fhir).

Every measurement about a cohort is one Evidence, and so is every count computed from a cohort's patient
records; patient-level figures stay in the graph and the bulk tables. Entries are in a fixed order (Citations,
Groups, EvidenceVariables, Evidence, each by id), so the same knowledge base gives the same bytes."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import URIRef

from kb.analysis.cohort_reads import RELATION_WORDS, QueryRow, shared_context
from kb.namespaces import ID_IRI, MM_IRI, local_name
from kb.queries import query_text
from kb.render.fhir_codes import FULL_URL_BASE, JSON
from kb.render.fhir_definitions import caveat_code_system, extension_definitions
from kb.render.fhir_evidence import Setting, evidence
from kb.render.fhir_resources import (
    Cohort,
    Outcome,
    citation,
    exposure_variable,
    fhir_id,
    group,
    outcome_variable,
    reference,
)
from kb.render.fhir_statistic import CLASSES, Figure

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase
    from kb.records import Claim

ORDER = ("CodeSystem", "Citation", "Group", "EvidenceVariable", "Evidence")
# What narrows an endpoint, by the claim's property: words before the term's label.
QUALIFIERS = {
    "responseThreshold": "{} or better",
    "responseCategory": "exactly {}",
    "adverseEvent": "{}",
    "withProperty": "refractory to {}",
}
# Figures of two values (yes or no per patient) rather than of a quantity.
DICHOTOMOUS = ("Proportion", "RecordCount", "Count", "LandmarkRate")


def fhir_json(kb: KnowledgeBase) -> bytes:
    """The bundle as compact UTF-8 JSON."""
    return json.dumps(fhir_bundle(kb), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fhir_bundle(kb: KnowledgeBase) -> JSON:
    bundle: JSON = kb.computed(("fhir-bundle",), lambda: _Builder(kb).bundle())
    return bundle


def fhir_resource(kb: KnowledgeBase, resource_type: str, resource_id: str) -> JSON | None:
    """A resource of the export at its own address (/fhir/{type}/{id}): the bundle itself, one of its
    entries, or the definition of one of mmkb's extensions; None for any other."""
    return _index(kb).get((resource_type, resource_id))


def _index(kb: KnowledgeBase) -> dict[tuple[str, str], JSON]:
    def build() -> dict[tuple[str, str], JSON]:
        bundle = fhir_bundle(kb)
        found = [bundle] + [e["resource"] for e in bundle["entry"]] + extension_definitions()
        return {(r["resourceType"], r["id"]): r for r in found}

    index: dict[tuple[str, str], JSON] = kb.computed(("fhir-index",), build)
    return index


@dataclass
class _Read:
    """A claim to write: its IRI, its cohort, and the claim described."""

    iri: str
    cohort: str
    claim: Claim


class _Builder:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.ctx = shared_context(kb)
        self.labels: dict[str, str] = {}
        for row in kb.store.rows(query_text("fhir-labels")):
            self.labels.setdefault(str(row["resource"]), str(row["label"]))
        self.terms = {local_name(iri): label for iri, label in self.labels.items() if iri.startswith(MM_IRI)}
        self.missing = frozenset(local_name(iri) for iri in self.ctx.missingness)
        self.kinds = {
            str(r["cohort"]): local_name(str(r["kind"]))
            for r in kb.store.rows(query_text("fhir-cohort-kinds"))
        }
        self.cohort_rows: dict[str, list[QueryRow]] = defaultdict(list)
        for row in kb.store.rows(query_text("tables-cohorts")):
            self.cohort_rows[str(row["cohort"])].append(row)
        self.registry: dict[str, list[str]] = defaultdict(list)
        for row in kb.store.rows(query_text("tables-studies")):
            if "nct_id" in row:
                self.registry[str(row["study"])].append(str(row["nct_id"]))
        self.conflicts = {str(f.iri): f.message for f in kb.conflicts}
        self.drug_sets: dict[str, list[str]] = defaultdict(list)
        for row in kb.store.rows(query_text("drug-set-members")):
            self.drug_sets[str(row["drugSet"])].append(str(row["member"]))
        # each cohort's sizes as its sources give them, over every data cut
        self.sizes: dict[str, set[int]] = defaultdict(set)
        for (cohort, _cut), found in self.ctx.sizes.items():
            self.sizes[cohort] |= found
        self.resources: dict[tuple[str, str], JSON] = {}
        self.references: dict[tuple[str, str], JSON] = {}  # what a resource was built for -> its Reference

    # ------------------------------------------------------------------ the bundle
    def bundle(self) -> JSON:
        found = self.kb.store.rows(query_text("fhir-evidence-claims"))
        cohorts = {str(r["claim"]): str(r["cohort"]) for r in found}
        described = self.kb.claims([URIRef(iri) for iri in cohorts])
        self._add(caveat_code_system())
        by_name = {local_name(iri): iri for iri in cohorts}
        for claim in described:
            iri = by_name[claim.id]
            self._evidence(_Read(iri, cohorts[iri], claim))
        entries = [
            {"fullUrl": f"{FULL_URL_BASE}{kind}/{rid}", "resource": self.resources[(kind, rid)]}
            for kind, rid in sorted(self.resources, key=lambda k: (ORDER.index(k[0]), k[1]))
        ]
        return {"resourceType": "Bundle", "id": "mmkb-evidence", "type": "collection", "entry": entries}

    def _add(self, resource: JSON) -> JSON:
        """Keep `resource` (the first one of its type and id) and return a Reference to it."""
        key = (resource["resourceType"], resource["id"])
        self.resources.setdefault(key, resource)
        kept = self.resources[key]
        display = kept.get("title") or kept.get("name") or ""
        return reference(key[0], key[1], str(display))

    def _once(self, what: tuple[str, str], build: Callable[[], JSON]) -> JSON:
        """The Reference to the resource built for `what` (a kind and a key), built the first time only."""
        if what not in self.references:
            self.references[what] = self._add(build())
        return self.references[what]

    # ------------------------------------------------------------------ one Evidence
    def _evidence(self, read: _Read) -> None:
        claim = read.claim
        kind = next((c for c in CLASSES if c in claim.types), "")
        if not kind:
            return
        figure = Figure(kind, claim.values, self.terms, self.missing)
        outcome = self._outcome(claim, kind)
        info = self.ctx.cohorts.get(read.cohort, {})
        study = str(info.get("study", ""))
        comparator = None
        other = claim.values.get("comparedTo")
        if isinstance(other, str) and other:
            other_iri = _id_iri(other)
            label = self.labels.get(other_iri, other)
            comparator = (label, self._exposure(other_iri) or self._group(other_iri))
        documents = {
            local_name(iri): self._citation(iri)
            for iri in {claim.source.id, *(e.document for e in claim.evidence if e.document)}
            for iri in [_id_iri(iri)]
        }
        cut = claim.values.get("atDataCut")
        setting = Setting(
            cohort=read.cohort,
            cohort_label=self.labels.get(read.cohort, local_name(read.cohort)),
            study_label=str(info.get("studyLabel", "")),
            study_iri=study,
            design=local_name(str(info.get("design", ""))),
            design_label=str(info.get("designLabel", "")),
            registry=tuple(sorted(self.registry.get(study, []))),
            exposure=self._exposure(read.cohort),
            comparator=comparator,
            outcome=self._once(
                ("outcome", outcome.key), lambda: outcome_variable(fhir_id(outcome.key), outcome)
            ),
            outcome_title=outcome.title,
            endpoint=outcome.endpoint[0],
            data_cut=self.labels.get(_id_iri(cut), "") if isinstance(cut, str) else "",
            size=self._size(read.cohort),
            overlapping=bool(self.ctx.lineage.get(read.cohort)),
            conflicts=tuple(
                f"Conflict {local_name(c)}: {self.conflicts[c]}"
                for c in sorted(self.ctx.conflicts.get(read.iri, set()))
                if c in self.conflicts
            ),
            documents=documents,
        )
        self._group(read.cohort)
        landmark = figure.number("landmark")
        landmark_text = (
            f"Kaplan-Meier estimate of the percentage event-free at {landmark:g} months" if landmark else ""
        )
        resource = evidence(claim, read.iri, figure, setting, landmark_text)
        self.resources[("Evidence", resource["id"])] = resource

    def _outcome(self, claim: Claim, kind: str) -> Outcome:
        measures = claim.values.get("measures")
        endpoint = measures if isinstance(measures, str) and measures else "Response"
        qualifiers = []
        for prop, words in QUALIFIERS.items():
            value = claim.values.get(prop)
            if isinstance(value, str) and value:
                iri = MM_IRI + value if value in self.terms else _id_iri(value)
                label = self.terms.get(value) or self._drug_set(iri)
                qualifiers.append((prop, iri, words.format(label)))
        landmark = claim.values.get("landmark")
        return Outcome(
            endpoint=(endpoint, self.terms.get(endpoint, endpoint)),
            qualifiers=tuple(qualifiers),
            landmark_months=float(landmark) if isinstance(landmark, (int, float)) else None,
            handling="dichotomous" if kind in DICHOTOMOUS else "continuous",
        )

    def _drug_set(self, iri: str) -> str:
        names = sorted(self.labels.get(m, local_name(m)) for m in self.drug_sets.get(iri, []))
        return " + ".join(names) or self.labels.get(iri, local_name(iri))

    # ------------------------------------------------------------------ what an Evidence points at
    def _exposure(self, cohort: str) -> JSON | None:
        regimens = sorted(self.ctx.regimens.get(cohort, set()))
        if not regimens:
            return None
        named = [(r, self.ctx.regimen_label.get(r) or self.labels.get(r, local_name(r))) for r in regimens]
        variable_id = fhir_id("regimen-" + "-or-".join(local_name(r) for r in regimens))
        return self._once(("regimens", variable_id), lambda: exposure_variable(variable_id, named))

    def _group(self, cohort: str) -> JSON:
        return self._once(("cohort", cohort), lambda: group(self._cohort(cohort)))

    def _cohort(self, cohort: str) -> Cohort:
        rows = self.cohort_rows.get(cohort, [])
        info = self.ctx.cohorts.get(cohort, {})
        parents = sorted({str(row["parent"]) for row in rows if "parent" in row})
        defining = []
        for relation, members in sorted(self.ctx.definitions.get(cohort, {}).items()):
            named = tuple(sorted((drug, label) for drug, label in members.items()))
            words = RELATION_WORDS.get(relation, relation)
            if relation in ("definingRefractoriness", "definingExposure") or len(named) == 1:
                defining.append((relation, words, named))  # every member: one characteristic each
            else:  # one of several: a single characteristic, its value in words
                defining.append((relation, words, (("", " or ".join(label for _, label in named)),)))
        return Cohort(
            iri=cohort,
            label=self.labels.get(cohort, local_name(cohort)),
            study_label=str(info.get("studyLabel", "")),
            kind=self.kinds.get(cohort, ""),
            parents=tuple(self.labels.get(p, local_name(p)) for p in parents),
            eligibility=next((str(r["eligibility"]) for r in rows if "eligibility" in r), ""),
            size=self._size(cohort),
            defining=tuple(defining),
        )

    def _size(self, cohort: str) -> int | None:
        """The cohort's size where its sources agree on one."""
        sizes = self.sizes.get(cohort, set())
        return next(iter(sizes)) if len(sizes) == 1 else None

    def _citation(self, iri: str) -> JSON:
        return self._once(("document", iri), lambda: citation(self.kb.publication(URIRef(iri)), iri))


def _id_iri(name: str) -> str:
    """A record's IRI from its local name (records share the id namespace)."""
    return ID_IRI + name
