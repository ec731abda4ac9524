"""Integrity rules that find conflicts, and their record in the graph as mm:Conflict findings.

Rules that are plain graph patterns are SPARQL files (kb/queries/checks/*-violation.rq, those whose
rows carry a ?message); rules that need counting over patient records are Python functions here.
Findings are recorded, never resolved: each names the claims involved, which keep their own sources.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kb.namespaces import ID, MM
from kb.queries import query_text
from kb.store import GraphStore, as_bool, as_int


@dataclass(frozen=True)
class Finding:
    rule: URIRef
    involves: tuple[Node, ...]
    message: str

    @property
    def iri(self) -> URIRef:
        key = " ".join([str(self.rule), *sorted(str(i) for i in self.involves)])
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        return ID[f"conflict-{str(self.rule).rsplit('#', 1)[1]}-{digest}"]


SPARQL_RULES: dict[str, URIRef] = {
    "checks/sources-disagree-violation": MM.SourcesDisagree,
    "checks/range-below-bound-violation": MM.RangeOutsideEligibility,
    "checks/strata-exceed-cohort-violation": MM.CategoriesExceedCohort,
    "checks/overlapping-cohorts-violation": MM.OverlappingCohorts,
    "checks/percent-without-count-violation": MM.PercentWithoutCount,
}


def sparql_findings(store: GraphStore) -> list[Finding]:
    findings = []
    for name, rule in SPARQL_RULES.items():
        for row in store.select(query_text(name)):
            involved = tuple(t for t in (row.get("record"), row.get("other")) if isinstance(t, URIRef))
            findings.append(Finding(rule, involved, str(row["message"])))
    return findings


# ---------------------------------------------------------------- patient records vs aggregate statements


def _label(store: GraphStore, iri: Node) -> str:
    rows = store.select("SELECT ?l WHERE { ?x rdfs:label|skos:prefLabel|skos:notation ?l }", {"x": iri})
    return str(rows[0]["l"]) if rows else str(iri).rsplit("/", 1)[-1]


def patient_vs_aggregate(store: GraphStore) -> list[Finding]:
    """Counts from a publication's patient records that cannot match its own aggregate statement.

    For each aggregate proportion about a cohort whose patients the same source reports one by one,
    count the patients that meet the property (response at a threshold or in a category, refractory to
    a drug set): known yes, known no, unknown. The aggregate conflicts when its numerator lies outside
    [known yes, known yes + unknown].
    """
    regimens: dict[Node, set[Node]] = defaultdict(set)
    for row in store.select(query_text("cohort-regimens")):
        regimens[row["cohort"]].add(row["regimen"])
    drug_sets: dict[Node, list[tuple[Node, bool]]] = defaultdict(list)
    for row in store.select(query_text("drug-set-members")):
        drug_sets[row["drugSet"]].append((row["member"], as_bool(row["isDrug"]) is True))
    responses = defaultdict(list)
    for row in store.select(query_text("patient-responses")):
        responses[(row["cohort"], row["source"])].append(row)
    refractoriness = defaultdict(list)
    for row in store.select(query_text("patient-refractoriness")):
        refractoriness[(row["cohort"], row["source"])].append(row)
    ranks = {
        row["c"]: as_int(row["r"]) for row in store.select("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")
    }

    findings = []
    for agg in store.select(query_text("aggregate-proportions")):
        key = (agg["cohort"], agg["source"])
        verdicts: dict[Node, bool | None] = {}
        evidence: list[Node] = []
        if agg["endpoint"] == MM.Response and ("threshold" in agg or "category" in agg):
            wanted = {agg["regimen"]} if "regimen" in agg else regimens[agg["cohort"]]
            for row in responses[key]:
                if row["regimen"] not in wanted:
                    continue
                evidence.append(row["record"])
                rank = ranks.get(row["response"])
                if rank is None:
                    verdicts[row["patient"]] = None
                elif "threshold" in agg:
                    verdicts[row["patient"]] = rank >= ranks[agg["threshold"]]
                else:
                    verdicts[row["patient"]] = row["response"] == agg["category"]
        elif agg["endpoint"] == MM.RefractoryProportion and "drugSet" in agg:
            members = drug_sets[agg["drugSet"]]
            if not members or not all(is_drug for _, is_drug in members):
                continue  # class-level sets ("a PI") are not checked against drug-level records
            wanted_drugs = {m for m, _ in members}
            per_patient: dict[Node, dict[Node, bool | None]] = defaultdict(dict)
            for row in refractoriness[key]:
                if row["drug"] in wanted_drugs:
                    per_patient[row["patient"]][row["drug"]] = as_bool(row["refractory"])
                    evidence.append(row["record"])
            for patient, by_drug in per_patient.items():
                values = [by_drug.get(d) for d in wanted_drugs]
                verdicts[patient] = False if False in values else (None if None in values else True)
        else:
            continue
        if not verdicts:
            continue
        yes = sum(1 for v in verdicts.values() if v is True)
        unknown = sum(1 for v in verdicts.values() if v is None)
        stated = as_int(agg["numerator"])
        if yes <= stated <= yes + unknown:
            continue
        what = _label(
            store, agg.get("threshold") or agg.get("category") or agg.get("drugSet") or agg["endpoint"]
        )
        if "threshold" in agg:
            what = f"a best response of {what} or better"
        elif "category" in agg:
            what = f"a best response of {what}"
        else:
            what = f"refractory to {what}"
        span = str(yes) if unknown == 0 else f"{yes} to {yes + unknown}"
        message = (
            f"{_label(store, agg['source'])} states {stated} of {agg['denominator']} patients of "
            f"{_label(store, agg['cohort'])} as {what}, but its patient records give {span}."
        )
        findings.append(
            Finding(MM.PatientVersusAggregate, (agg["record"], *sorted(set(evidence), key=str)), message)
        )
    return findings


# ---------------------------------------------------------------- response categories vs totals


def response_categories(store: GraphStore) -> list[Finding]:
    """Counts of exact response categories from one source that exceed the cohort or their total.

    Within one cohort, source, data cut and regimen: the exact categories at or above a threshold
    cannot outnumber the patients at that threshold, and must equal them when every category at or
    above it is given; all categories together cannot exceed the denominator.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in store.select(query_text("response-categories")):
        groups[(row["cohort"], row["source"], row.get("cut"), row.get("regimen"))].append(row)
    top = max(as_int(r["r"]) for r in store.select("SELECT ?r WHERE { ?c mm:responseRank ?r }"))
    findings = []
    for (cohort, source, _cut, _regimen), rows in groups.items():
        exact = [r for r in rows if "category" in r]
        if not exact:
            continue
        by_rank = {as_int(r["rank"]): as_int(r["count"]) for r in exact}
        for threshold in (r for r in rows if "threshold" in r):
            t_rank, t_count = as_int(threshold["rank"]), as_int(threshold["count"])
            above = {k: v for k, v in by_rank.items() if k >= t_rank}
            if not above:
                continue
            total = sum(above.values())
            complete = all(k in by_rank for k in range(t_rank, top + 1))
            if total > t_count or (complete and total != t_count):
                involved = (threshold["record"], *(r["record"] for r in exact if as_int(r["rank"]) >= t_rank))
                findings.append(
                    Finding(
                        MM.CategoriesExceedCohort,
                        involved,
                        (
                            f"{_label(store, source)}: the response categories at or above "
                            f"{_label(store, threshold['threshold'])} for {_label(store, cohort)} "
                            f"add up to {total}, but {t_count} patients are given at that threshold."
                        ),
                    )
                )
        denominators = {as_int(r["denominator"]) for r in rows if "denominator" in r}
        total = sum(by_rank.values())
        if denominators and total > min(denominators):
            findings.append(
                Finding(
                    MM.CategoriesExceedCohort,
                    tuple(r["record"] for r in exact),
                    (
                        f"{_label(store, source)}: the response categories of {_label(store, cohort)} "
                        f"add up to {total}, more than the {min(denominators)} patients."
                    ),
                )
            )
    return findings


RULES: tuple[Callable[[GraphStore], list[Finding]], ...] = (
    sparql_findings,
    patient_vs_aggregate,
    response_categories,
)


def find_conflicts(store: GraphStore) -> list[Finding]:
    findings = [f for rule in RULES for f in rule(store)]
    return sorted(set(findings), key=lambda f: (str(f.rule), str(f.iri)))


def conflicts_graph(findings: Iterable[Finding]) -> Graph:
    out = Graph()
    for finding in findings:
        node = finding.iri
        out.add((node, RDF.type, MM.Conflict))
        out.add((node, MM.rule, finding.rule))
        out.add((node, MM.message, Literal(finding.message, datatype=XSD.string)))
        for record in finding.involves:
            out.add((node, MM.involves, record))
    return out
