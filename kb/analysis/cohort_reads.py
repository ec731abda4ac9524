"""What the comparison rows read from the graph, once: cohorts, regimens with schedules, strata, names,
and medians and hazard ratios as values."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Literal
from rdflib.term import Node

from kb.analysis.response_table import OptionError
from kb.analysis.values import NOT_REPORTED, REPORTED, HazardRatio, Interval, Median
from kb.graph.store import as_int
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import local_name

RELATION_ORDER = {
    "definingExposure": 1,
    "refractoryToExactlyOneOf": 2,
    "refractoryToAtLeastOneOf": 3,
    "definingRefractoriness": 4,
}
RELATION_WORDS = {
    "definingExposure": "naive to",
    "refractoryToExactlyOneOf": "refractory to exactly one of",
    "refractoryToAtLeastOneOf": "refractory to at least one of",
    "definingRefractoriness": "refractory to",
}
UNSELECTED = "not selected by refractory status"
BEFORE_UNKNOWN = "refractory status before the earlier regimen not recorded"
# Designs up to this evidence rank are prospective (a pooled post hoc analysis pools prospective trials).
PROSPECTIVE_RANK = 4


def number(term: Node | None) -> float | None:
    """A numeric literal's value; None for anything else (a typed unknown, no term)."""
    if isinstance(term, Literal) and not isinstance(term.toPython(), bool):
        return float(term.toPython())
    return None


def figure(term: Node | None, statuses: Mapping[Node, str]) -> tuple[float | None, str]:
    """(number, REPORTED) for a numeric literal; (None, why) for a typed unknown, by its label in
    `statuses`; (None, NOT_REPORTED) when the claim has no term at all."""
    value = number(term)
    if value is not None:
        return value, REPORTED
    if term is None:
        return None, NOT_REPORTED
    return None, statuses.get(term, str(term))


def interval(row: Mapping[str, Node], statuses: Mapping[Node, str]) -> Interval | None:
    """The interval of a query row with ?low ?high (and ?level); None when it gives neither bound."""
    if "low" not in row and "high" not in row:
        return None
    low, low_status = figure(row.get("low"), statuses)
    high, high_status = figure(row.get("high"), statuses)
    return Interval(low, high, number(row.get("level")), low_status, high_status)


def missingness_labels(kb: KnowledgeBase) -> dict[Node, str]:
    """Each typed unknown (mm:Missingness) with its label: the status of a figure that has no number."""
    rows = kb.select("SELECT ?c ?label WHERE { ?c a mm:Missingness ; skos:prefLabel ?label }")
    return {r["c"]: str(r["label"]) for r in rows}


def _cut(row: Mapping[str, Node]) -> int | None:
    return as_int(row["cutSequence"]) if "cutSequence" in row else None


def median_from(row: Mapping[str, Node], statuses: Mapping[Node, str], source: str = "") -> Median:
    """A median from a cohort-pfs query row."""
    estimate, status = figure(row["median"], statuses)
    return Median(
        endpoint=str(row["endpointLabel"]),
        estimate=estimate,
        status=status,
        unit=str(row.get("unitLabel", "")),
        unit_symbol=str(row.get("unitSymbol", "")),
        interval=interval(row, statuses),
        data_cut=_cut(row),
        claim=str(row["claim"]),
        source=source,
    )


def hazard_ratio_from(row: Mapping[str, Node], statuses: Mapping[Node, str]) -> HazardRatio:
    """A hazard ratio from a cohort-hazard-ratios query row."""
    estimate, status = figure(row["estimate"], statuses)
    return HazardRatio(
        endpoint=str(row["endpointLabel"]),
        estimate=estimate,
        status=status,
        comparator=str(row["comparatorLabel"]),
        comparator_id=str(row["comparator"]),
        interval=interval(row, statuses),
        p_value=number(row.get("p")),
        p_value_below=number(row.get("pBelow")),
        data_cut=_cut(row),
        claim=str(row["claim"]),
        source=str(row.get("sourceLabel", "")),
    )


def _norm(name: str) -> str:
    """A filter name compared case-insensitively and without spaces, hyphens or punctuation."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


@dataclass(frozen=True)
class Stratum:
    """A population's refractory status: the relation, its drug-set members (IRIs) and a label."""

    key: str
    label: str
    relation: str = ""
    members: frozenset[Node] = frozenset()


class Context:
    """Everything the rows need, read once from the graph."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.cohorts = {r["cohort"]: r for r in kb.ask_named("cohorts")}
        self.arms = {r["c"] for r in kb.select("SELECT ?c WHERE { ?c a mm:Arm }")}
        self.regimens: dict[Node, set[Node]] = defaultdict(set)
        for r in kb.ask_named("cohort-regimens"):
            self.regimens[r["cohort"]].add(r["regimen"])
        self.prior_regimens: dict[Node, set[Node]] = defaultdict(set)
        for r in kb.select("SELECT ?c ?r WHERE { ?c mm:priorRegimen ?r }"):
            self.prior_regimens[r["c"]].add(r["r"])
        # A subgroup without a regimen of its own received its parent cohort's.
        for r in kb.select(
            "SELECT ?c ?p WHERE { ?c mm:subgroupOf+ ?p . ?p mm:receivedRegimen ?x } ORDER BY ?c ?p"
        ):
            if not self.regimens.get(r["c"]):
                self.regimens[r["c"]] = set(self.regimens[r["p"]])
        self.regimen_label: dict[Node, str] = {}
        self.regimen_drugs: dict[Node, dict[Node, str]] = defaultdict(dict)
        self.regimen_classes: dict[Node, dict[Node, str]] = defaultdict(dict)
        for r in kb.ask_named("regimen-components"):
            self.regimen_label[r["regimen"]] = str(r.get("abbreviation") or r["label"])
            self.regimen_drugs[r["regimen"]][r["drug"]] = str(r["drugLabel"])
            self.regimen_classes[r["regimen"]][r["class"]] = str(r["classLabel"])
        # Each regimen's drugs with their schedule concept (None for a typed unknown).
        self.schedules: dict[Node, dict[Node, Node | None]] = defaultdict(dict)
        self.schedule_labels: dict[Node, str] = {}
        for r in kb.ask_named("regimen-schedules"):
            schedule = r.get("schedule") if "scheduleLabel" in r else None
            self.schedules[r["regimen"]][r["drug"]] = schedule
            if schedule is not None:
                self.schedule_labels[schedule] = str(r["scheduleLabel"])
        self.drug_class = {r["drug"]: r["class"] for r in kb.ask_named("drug-classes")}
        self.definitions: dict[Node, dict[str, dict[Node, str]]] = defaultdict(lambda: defaultdict(dict))
        for r in kb.ask_named("cohort-definitions"):
            self.definitions[r["cohort"]][str(r["relation"])][r["member"]] = str(r["memberLabel"])
        self.parents: dict[Node, list[Node]] = defaultdict(list)
        for r in kb.select("SELECT ?c ?p WHERE { ?c mm:subgroupOf ?p } ORDER BY ?c ?p"):
            self.parents[r["c"]].append(r["p"])
        self.names: dict[str, dict[str, Node]] = defaultdict(dict)
        self.preferred: dict[str, dict[Node, str]] = defaultdict(dict)
        for r in kb.ask_named("vocabulary-names"):
            kind = str(r["kind"])
            self.names[kind][_norm(str(r["name"]))] = r["concept"]
            self.names[kind][_norm(local_name(r["concept"]))] = r["concept"]
            self.preferred[kind][r["concept"]] = str(r["preferred"])
        self._read_evidence(kb)

    def _read_evidence(self, kb: KnowledgeBase) -> None:
        """The claims the rows are built from: responses, candidates, medians, hazard ratios, lineage."""
        self.candidates: dict[Node, list[int]] = defaultdict(list)
        for r in kb.ask_named("numerator-candidates"):
            self.candidates[r["claim"]].append(as_int(r["candidate"]))
        self.missingness = missingness_labels(kb)
        self.pfs: dict[Node, list[dict[str, Node]]] = defaultdict(list)
        for r in kb.ask_named("cohort-pfs"):
            self.pfs[r["cohort"]].append(r)
        self.hazard_ratios: dict[Node, list[dict[str, Node]]] = defaultdict(list)
        for r in kb.ask_named("cohort-hazard-ratios"):
            self.hazard_ratios[r["cohort"]].append(r)
        self.lineage: dict[Node, set[Node]] = defaultdict(set)
        for r in kb.ask_named("cohort-lineage"):
            self.lineage[r["cohort"]].add(r["other"])
        self.conflicts: dict[Node, set[str]] = defaultdict(set)
        for r in kb.ask_named("claim-conflicts"):
            self.conflicts[r["record"]].add(str(r["conflict"]))
        self.sizes: dict[tuple[Node, int], set[int]] = defaultdict(set)
        for r in kb.ask_named("cohort-sizes"):
            self.sizes[(r["cohort"], as_int(r.get("cutSequence") or Literal(0)))].add(as_int(r["size"]))
        self.category_counts = kb.ask_named("response-category-counts")
        self.with_patients = {r["c"] for r in kb.select("SELECT DISTINCT ?c WHERE { ?x mm:memberOf ?c }")}
        self.response_claims = kb.ask_named("response-claims")
        # Each cohort's patients with their best response to a regimen the cohort received.
        self.patient_responses: dict[Node, dict[Node, dict[str, Node]]] = defaultdict(dict)
        for r in kb.ask_named("patient-responses"):
            if r["regimen"] in self.regimens[r["cohort"]]:
                self.patient_responses[r["cohort"]][r["patient"]] = r
        publications = "SELECT ?p ?l WHERE { ?p a/rdfs:subClassOf* mm:Publication ; rdfs:label ?l }"
        self.labels = {r["p"]: str(r["l"]) for r in kb.select(publications)}
        self.ranks = {
            r["c"]: as_int(r["r"]) for r in kb.select("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")
        }

    # ---------------------------------------------------------------- filter names
    def resolve(self, kind: str, value: str) -> Node:
        """The drug, class or design a filter value names (label, synonym, notation or identifier)."""
        found = self.names[kind].get(_norm(value))
        if found is None:
            valid = sorted(self.preferred[kind].values(), key=str.lower)
            option = {"drug": "drug", "class": "drug_class", "design": "design"}[kind]
            raise OptionError(f"invalid {option} {value!r}; valid: {', '.join(valid)}")
        return found

    def resolve_drug_or_class(self, value: str) -> Node:
        if _norm(value) in self.names["drug"]:
            return self.names["drug"][_norm(value)]
        if _norm(value) in self.names["class"]:
            return self.names["class"][_norm(value)]
        valid = sorted({*self.preferred["drug"].values(), *self.preferred["class"].values()}, key=str.lower)
        raise OptionError(f"invalid refractory {value!r}; valid: {', '.join(valid)}")

    # ---------------------------------------------------------------- strata
    def _definition(self, cohort: Node) -> tuple[str, dict[Node, str]] | None:
        """The cohort's defining relation and drug set, from it or the cohorts it is inside."""
        seen: set[Node] = set()
        todo = [cohort]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            if current in self.definitions:
                relation = max(self.definitions[current], key=lambda r: RELATION_ORDER.get(r, 0))
                return relation, dict(self.definitions[current][relation])
            todo += self.parents.get(current, [])
        return None

    def _priors(self, cohort: Node) -> set[Node]:
        priors = set(self.prior_regimens.get(cohort, set()))
        for parent in self.parents.get(cohort, []):
            priors |= self._priors(parent)
        return priors

    def stratum(self, cohort: Node, before: Node | None = None) -> Stratum:
        """The cohort's refractory status when the counted regimen started.

        A cohort is defined by its status when its own regimen starts. For a response to `before`, a
        regimen it received just before (mm:priorRegimen), the status then is the same drug set without
        the members that regimen contains: refractoriness to them may have arisen on it. For any other
        earlier regimen the status is not recorded.
        """
        found = self._definition(cohort)
        if found is None:
            return Stratum("unselected", UNSELECTED)
        relation, members = found
        if before is not None:
            if before not in self._priors(cohort) or relation != "definingRefractoriness":
                return Stratum("before-unknown", BEFORE_UNKNOWN)
            given = set(self.regimen_drugs[before])
            given_classes = {self.drug_class.get(d) for d in given}
            members = {m: label for m, label in members.items() if m not in given and m not in given_classes}
            if not members:
                return Stratum("before-unknown", BEFORE_UNKNOWN)
        key = relation + ":" + ",".join(sorted(local_name(m) for m in members))
        label = f"{RELATION_WORDS.get(relation, relation)} {' + '.join(sorted(members.values()))}"
        return Stratum(key, label, relation, frozenset(members))

    def covers(self, stratum: Stratum, wanted: Iterable[Node]) -> bool:
        """Whether a population refractory to all of `stratum` is refractory to at least `wanted`:
        a wanted drug must be a member; a wanted class is met by that class or any drug of it."""
        if stratum.relation != "definingRefractoriness":
            return False
        member_classes = {self.drug_class.get(m) for m in stratum.members}
        return all(w in stratum.members or w in member_classes for w in wanted)

    # ---------------------------------------------------------------- regimens
    def regimen_key(self, regimens: Iterable[Node]) -> str:
        """Regimen identity by drug and schedule IRIs: the same drugs on different schedules differ, and a
        drug whose schedule is not reported matches only its own regimen."""
        keys = set()
        for regimen in regimens:
            parts = sorted(
                f"{drug}@{schedule if schedule is not None else regimen}"
                for drug, schedule in self.schedules[regimen].items()
            )
            keys.add("+".join(parts) or str(regimen))
        return " or ".join(sorted(keys))

    def schedule_text(self, regimens: Iterable[Node], drugs: set[Node]) -> str:
        """The schedules of `drugs` in these regimens, in words."""
        words = set()
        for regimen in regimens:
            for drug, schedule in self.schedules[regimen].items():
                if drug in drugs:
                    label = self.regimen_drugs[regimen].get(drug, local_name(drug))
                    words.add(
                        self.schedule_labels[schedule] if schedule else f"{label} schedule not reported"
                    )
        return ", ".join(sorted(words))

    def regimen_text(self, regimens: Iterable[Node]) -> str:
        return " or ".join(sorted(self.regimen_label.get(r, local_name(r)) for r in regimens))

    def composition_key(self, regimens: Iterable[Node]) -> str:
        """Regimens by their drug IRIs, so that the same combination in two studies groups together."""
        combos = {"+".join(sorted(str(d) for d in self.regimen_drugs[r])) for r in regimens}
        return " or ".join(sorted(c for c in combos if c)) or "unknown"

    def composition_text(self, regimens: Iterable[Node]) -> str:
        combos = {" + ".join(sorted(self.regimen_drugs[r].values())) for r in regimens}
        return " or ".join(sorted(c for c in combos if c)) or "unknown"

    def class_key(self, regimens: Iterable[Node]) -> str:
        return "+".join(sorted({str(c) for r in regimens for c in self.regimen_classes[r]})) or "unknown"

    def class_text(self, regimens: Iterable[Node]) -> str:
        classes = {label for r in regimens for label in self.regimen_classes[r].values()}
        return " + ".join(sorted(classes)) or "unknown"

    def drugs(self, regimens: Iterable[Node]) -> set[Node]:
        return {d for r in regimens for d in self.regimen_drugs[r]}

    def classes(self, regimens: Iterable[Node]) -> set[Node]:
        return {c for r in regimens for c in self.regimen_classes[r]}

    def rank(self, cohort: Node) -> int:
        return as_int(self.cohorts[cohort]["rank"])
