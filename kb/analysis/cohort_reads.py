"""What the comparison rows read from the graph, once: cohorts, regimens with schedules, strata, names,
and medians and hazard ratios as values.

Query rows are read as plain values (kb.graph.fast_rows): IRIs are strings, numbers are numbers. A
comparison reads some sixteen queries, and building an rdflib term for every value read would cost
several times what the engine takes to answer them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

from kb.analysis.response_table import OptionError
from kb.analysis.values import NOT_REPORTED, REPORTED, HazardRatio, Interval, Median
from kb.graph.fast_rows import Value, is_number, whole
from kb.graph.store import GraphStore
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import local_name
from kb.queries import query_text

Iri = str  # an IRI as fast_rows reads it
QueryRow = Mapping[str, Value]

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


def number(value: Value | None) -> float | None:
    """A number's value as a float; None for anything else (a typed unknown, no value)."""
    return float(value) if is_number(value) else None  # type: ignore[arg-type]


def figure(value: Value | None, statuses: Mapping[Iri, str]) -> tuple[float | None, str]:
    """(number, REPORTED) for a number; (None, why) for a typed unknown, by its label in `statuses`;
    (None, NOT_REPORTED) when the claim has no value at all."""
    found = number(value)
    if found is not None:
        return found, REPORTED
    if value is None:
        return None, NOT_REPORTED
    return None, statuses.get(str(value), str(value))


def interval(row: QueryRow, statuses: Mapping[Iri, str]) -> Interval | None:
    """The interval of a query row with ?low ?high (and ?level); None when it gives neither bound."""
    if "low" not in row and "high" not in row:
        return None
    low, low_status = figure(row.get("low"), statuses)
    high, high_status = figure(row.get("high"), statuses)
    return Interval(low, high, number(row.get("level")), low_status, high_status)


def status_labels(store: GraphStore) -> dict[Iri, str]:
    """Each typed unknown (mm:Missingness) with its label: the status of a figure that has no number."""
    found = store.rows("SELECT ?c ?label WHERE { ?c a mm:Missingness ; skos:prefLabel ?label }")
    return {str(r["c"]): str(r["label"]) for r in found}


def missingness_labels(kb: KnowledgeBase) -> dict[Node, str]:
    """status_labels keyed by the typed unknowns as rdflib terms."""
    return {URIRef(iri): label for iri, label in status_labels(kb.store).items()}


def _cut(row: QueryRow) -> int | None:
    return whole(row["cutSequence"]) if "cutSequence" in row else None


def median_from(row: QueryRow, statuses: Mapping[Iri, str], source: str = "") -> Median:
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


def hazard_ratio_from(row: QueryRow, statuses: Mapping[Iri, str]) -> HazardRatio:
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


def _grouped(found: Iterable[QueryRow], key: str, value: str) -> dict[Iri, set[Iri]]:
    """The values of column `value` by the value of column `key`."""
    out: dict[Iri, set[Iri]] = defaultdict(set)
    for row in found:
        out[str(row[key])].add(str(row[value]))
    return out


@dataclass(frozen=True)
class Stratum:
    """A population's refractory status: the relation, its drug-set members (IRIs) and a label."""

    key: str
    label: str
    relation: str = ""
    members: frozenset[Iri] = frozenset()


class Context:
    """Everything the rows need, read once from the graph."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.cohorts: dict[Iri, QueryRow] = {str(r["cohort"]): r for r in self._named("cohorts")}
        self.arms = {str(r["c"]) for r in self._rows("SELECT ?c WHERE { ?c a mm:Arm }")}
        self.regimens = _grouped(self._named("cohort-regimens"), "cohort", "regimen")
        self.prior_regimens = _grouped(self._rows("SELECT ?c ?r WHERE { ?c mm:priorRegimen ?r }"), "c", "r")
        # A subgroup without a regimen of its own received its parent cohort's.
        for r in self._rows(
            "SELECT ?c ?p WHERE { ?c mm:subgroupOf+ ?p . ?p mm:receivedRegimen ?x } ORDER BY ?c ?p"
        ):
            if not self.regimens.get(str(r["c"])):
                self.regimens[str(r["c"])] = set(self.regimens[str(r["p"])])
        self.regimen_label: dict[Iri, str] = {}
        self.abbreviations: dict[Iri, str] = {}  # the regimen's usual abbreviation (D-Rd), where given
        self.regimen_drugs: dict[Iri, dict[Iri, str]] = defaultdict(dict)
        self.regimen_classes: dict[Iri, dict[Iri, str]] = defaultdict(dict)
        for r in self._named("regimen-components"):
            regimen = str(r["regimen"])
            self.regimen_label[regimen] = str(r.get("abbreviation") or r["label"])
            if "abbreviation" in r:
                self.abbreviations[regimen] = str(r["abbreviation"])
            self.regimen_drugs[regimen][str(r["drug"])] = str(r["drugLabel"])
            self.regimen_classes[regimen][str(r["class"])] = str(r["classLabel"])
        # Each regimen's drugs with their schedule concept (None for a typed unknown).
        self.schedules: dict[Iri, dict[Iri, Iri | None]] = defaultdict(dict)
        self.schedule_labels: dict[Iri, str] = {}
        for r in self._named("regimen-schedules"):
            schedule = str(r["schedule"]) if "scheduleLabel" in r else None
            self.schedules[str(r["regimen"])][str(r["drug"])] = schedule
            if schedule is not None:
                self.schedule_labels[schedule] = str(r["scheduleLabel"])
        self.drug_class = {str(r["drug"]): str(r["class"]) for r in self._named("drug-classes")}
        self.definitions: dict[Iri, dict[str, dict[Iri, str]]] = defaultdict(lambda: defaultdict(dict))
        for r in self._named("cohort-definitions"):
            self.definitions[str(r["cohort"])][str(r["relation"])][str(r["member"])] = str(r["memberLabel"])
        self.parents: dict[Iri, list[Iri]] = defaultdict(list)
        for r in self._rows("SELECT ?c ?p WHERE { ?c mm:subgroupOf ?p } ORDER BY ?c ?p"):
            self.parents[str(r["c"])].append(str(r["p"]))
        self.names: dict[str, dict[str, Iri]] = defaultdict(dict)
        self.preferred: dict[str, dict[Iri, str]] = defaultdict(dict)
        for r in self._named("vocabulary-names"):
            kind, concept = str(r["kind"]), str(r["concept"])
            self.names[kind][_norm(str(r["name"]))] = concept
            self.names[kind][_norm(local_name(concept))] = concept
            self.preferred[kind][concept] = str(r["preferred"])
        self._read_evidence()

    def _rows(self, text: str) -> list[dict[str, Value]]:
        return self.kb.store.rows(text)

    def _named(self, name: str) -> list[dict[str, Value]]:
        return self.kb.store.rows(query_text(name))

    def _read_evidence(self) -> None:
        """The claims the rows are built from: responses, candidates, medians, hazard ratios, lineage."""
        self.candidates: dict[Iri, list[int]] = defaultdict(list)
        for r in self._named("numerator-candidates"):
            self.candidates[str(r["claim"])].append(whole(r["candidate"]))
        self.missingness = status_labels(self.kb.store)
        self.pfs: dict[Iri, list[QueryRow]] = defaultdict(list)
        for r in self._named("cohort-pfs"):
            self.pfs[str(r["cohort"])].append(r)
        self.hazard_ratios: dict[Iri, list[QueryRow]] = defaultdict(list)
        for r in self._named("cohort-hazard-ratios"):
            self.hazard_ratios[str(r["cohort"])].append(r)
        self.lineage = _grouped(self._named("cohort-lineage"), "cohort", "other")
        self.conflicts = _grouped(self._named("claim-conflicts"), "record", "conflict")
        self.sizes: dict[tuple[Iri, int], set[int]] = defaultdict(set)
        for r in self._named("cohort-sizes"):
            self.sizes[(str(r["cohort"]), whole(r.get("cutSequence", 0)))].add(whole(r["size"]))
        self.category_counts = self._named("response-category-counts")
        with_patients = self._rows("SELECT DISTINCT ?c WHERE { ?x mm:memberOf ?c }")
        self.with_patients = {str(r["c"]) for r in with_patients}
        self.response_claims = self._named("response-claims")
        # Each cohort's patients with their best response to a regimen the cohort received.
        self.patient_responses: dict[Iri, dict[Iri, QueryRow]] = defaultdict(dict)
        for r in self._named("patient-responses"):
            cohort = str(r["cohort"])
            if r["regimen"] in self.regimens[cohort]:
                self.patient_responses[cohort][str(r["patient"])] = r
        publications = "SELECT ?p ?l WHERE { ?p a/rdfs:subClassOf* mm:Publication ; rdfs:label ?l }"
        self.labels = {str(r["p"]): str(r["l"]) for r in self._rows(publications)}
        self.ranks = {
            str(r["c"]): whole(r["r"]) for r in self._rows("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")
        }

    def proportion_claims(self, measure: Iri) -> list[dict[str, Value]]:
        """The proportion claims of an endpoint other than response (mm:measures `measure`): the rows of
        kb/queries/proportion-claims.rq, read when a comparison of that endpoint asks for them."""
        return self.kb.store.rows(query_text("proportion-claims"), {"measure": [URIRef(measure)]})

    # ---------------------------------------------------------------- filter names
    def resolve(self, kind: str, value: str) -> Iri:
        """The drug, class or design a filter value names (label, synonym, notation or identifier)."""
        found = self.names[kind].get(_norm(value))
        if found is None:
            valid = sorted(self.preferred[kind].values(), key=str.lower)
            option = {"drug": "drug", "class": "drug_class", "design": "design"}[kind]
            raise OptionError(f"invalid {option} {value!r}; valid: {', '.join(valid)}")
        return found

    def resolve_drug_or_class(self, value: str) -> Iri:
        if _norm(value) in self.names["drug"]:
            return self.names["drug"][_norm(value)]
        if _norm(value) in self.names["class"]:
            return self.names["class"][_norm(value)]
        valid = sorted({*self.preferred["drug"].values(), *self.preferred["class"].values()}, key=str.lower)
        raise OptionError(f"invalid refractory {value!r}; valid: {', '.join(valid)}")

    # ---------------------------------------------------------------- strata
    def _definition(self, cohort: Iri) -> tuple[str, dict[Iri, str]] | None:
        """The cohort's defining relation and drug set, from it or the cohorts it is inside."""
        seen: set[Iri] = set()
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

    def _priors(self, cohort: Iri) -> set[Iri]:
        priors = set(self.prior_regimens.get(cohort, set()))
        for parent in self.parents.get(cohort, []):
            priors |= self._priors(parent)
        return priors

    def stratum(self, cohort: Iri, before: Iri | None = None) -> Stratum:
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

    def covers(self, stratum: Stratum, wanted: Iterable[Iri]) -> bool:
        """Whether a population refractory to all of `stratum` is refractory to at least `wanted`:
        a wanted drug must be a member; a wanted class is met by that class or any drug of it."""
        if stratum.relation != "definingRefractoriness":
            return False
        member_classes = {self.drug_class.get(m) for m in stratum.members}
        return all(w in stratum.members or w in member_classes for w in wanted)

    # ---------------------------------------------------------------- regimens
    def regimen_key(self, regimens: Iterable[Iri]) -> str:
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

    def schedule_text(self, regimens: Iterable[Iri], drugs: set[Iri]) -> str:
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

    def regimen_text(self, regimens: Iterable[Iri]) -> str:
        return " or ".join(sorted(self.regimen_label.get(r, local_name(r)) for r in regimens))

    def composition_key(self, regimens: Iterable[Iri]) -> str:
        """Regimens by their drug IRIs, so that the same combination in two studies groups together."""
        combos = {"+".join(sorted(str(d) for d in self.regimen_drugs[r])) for r in regimens}
        return " or ".join(sorted(c for c in combos if c)) or "unknown"

    def composition_text(self, regimens: Iterable[Iri]) -> str:
        combos = {" + ".join(sorted(self.regimen_drugs[r].values())) for r in regimens}
        return " or ".join(sorted(c for c in combos if c)) or "unknown"

    def group(self, by: str, cohort: Iri, regimens: Iterable[Iri]) -> tuple[str, str]:
        """The (key, label) of `cohort`'s group when grouped `by` regimen, drug class, design or study
        (a grouping by refractory status is the row's stratum, which its engine reads)."""
        regimens = list(regimens)
        info = self.cohorts[cohort]
        if by == "regimen":
            return self.regimen_group(regimens)
        if by == "drug-class":
            return "classes:" + self.class_key(regimens), self.class_text(regimens)
        if by == "design":
            return f"design:{whole(info['rank']):02d}:{info['design']}", str(info["designLabel"])
        return "study:" + str(info["study"]), str(info["studyLabel"])

    def regimen_group(self, regimens: Iterable[Iri]) -> tuple[str, str]:
        """The (key, label) of a grouping by regimen, in clinical order: by number of drugs (monotherapy,
        doublets, triplets), then by the usual abbreviation (D-Pd, D-Rd) of every regimen of the knowledge
        base with these drugs, whatever their schedules; the label gives the abbreviations and the drugs."""
        regimens = list(regimens)
        key = self.composition_key(regimens)
        drugs = max((len(self.regimen_drugs[r]) for r in regimens), default=0)
        names = sorted(
            {a for r, a in self.abbreviations.items() if self.composition_key([r]) in key.split(" or ")}
        )
        text = self.composition_text(regimens)
        label = f"{' / '.join(names)} ({text})" if names else text
        # one abbreviation before several, and a regimen without one after those with one
        order = f"{len(names) or 9}:{' / '.join(names)}"
        return f"regimen:{drugs:02d}:{order}:{key}", label

    def class_key(self, regimens: Iterable[Iri]) -> str:
        return "+".join(sorted({str(c) for r in regimens for c in self.regimen_classes[r]})) or "unknown"

    def class_text(self, regimens: Iterable[Iri]) -> str:
        classes = {label for r in regimens for label in self.regimen_classes[r].values()}
        return " + ".join(sorted(classes)) or "unknown"

    def drugs(self, regimens: Iterable[Iri]) -> set[Iri]:
        return {d for r in regimens for d in self.regimen_drugs[r]}

    def classes(self, regimens: Iterable[Iri]) -> set[Iri]:
        return {c for r in regimens for c in self.regimen_classes[r]}

    def rank(self, cohort: Iri) -> int:
        return whole(self.cohorts[cohort]["rank"])


def shared_context(kb: KnowledgeBase) -> Context:
    """The build's Context, read once and shared by every comparison (KnowledgeBase.computed)."""
    context: Context = kb.computed(("context",), lambda: Context(kb))
    return context
