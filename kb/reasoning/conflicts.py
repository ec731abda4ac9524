"""Integrity rules that find conflicts, and their record in the graph as mm:Conflict findings.

Rules that are plain graph patterns are SPARQL files (kb/queries/checks/*-violation.rq, those whose
rows carry a ?message); rules that need counting over patient records are Python functions here.
Findings are recorded, never silently resolved: each names the claims involved, which keep their own
sources. A finding whose claims a curated mm:Interpretation reads together (a wording resolved by
reading) is recorded as an mm:ResolvedFinding with that interpretation, not as a conflict.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kb.graph.fast_rows import Value, is_number, whole
from kb.graph.store import GraphStore, as_int
from kb.namespaces import ID, INFERRED_GRAPH, MM, local_name
from kb.queries import query_text
from kb.reasoning.counts import candidates, printed_number, whole_count
from kb.reasoning.interpretations import Interpretation, interpretations, resolving


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
}


def sparql_findings(store: GraphStore) -> list[Finding]:
    """Rows of the SPARQL rules. A finding involves the claims of ?involved (space-separated IRIs) when
    the rule gives them, otherwise ?record and ?other."""
    findings = []
    for name, rule in SPARQL_RULES.items():
        for row in store.select(query_text(name)):
            if "involved" in row:
                involved = tuple(dict.fromkeys(URIRef(i) for i in str(row["involved"]).split()))
            else:
                involved = tuple(t for t in (row.get("record"), row.get("other")) if isinstance(t, URIRef))
            message = str(row["message"])
            if rule == MM.SourcesDisagree:
                message += _common_counts(store, involved)
            findings.append(Finding(rule, involved, message))
    return findings


def _common_counts(store: GraphStore, claims: tuple[Node, ...]) -> str:
    """For two percentages over the same denominator: the counts both admit (so the print differs, the
    count may not), as a sentence to add to the finding."""
    solutions = store.select(
        "SELECT ?c ?d ?k WHERE { ?c mm:denominator ?d ; mm:numeratorCandidate ?k }", {"c": list(claims)}
    )
    by_claim: dict[Node, set[int]] = defaultdict(set)
    denominators = set()
    for row in solutions:
        by_claim[row["c"]].add(as_int(row["k"]))
        denominators.add(str(row["d"]))
    if len(by_claim) != len(claims) or len(denominators) != 1:
        return ""
    common = sorted(set.intersection(*by_claim.values()))
    if not common:
        return f" Over {denominators.pop()} patients no count fits both."
    return f" Over {denominators.pop()} patients both admit {', '.join(map(str, common))}."


def percent_without_count(store: GraphStore) -> list[Finding]:
    """A printed percentage that no whole number of patients gives: over the stated denominator, or, when
    the source states none, over the size the same source gives the cohort (so the percentage is a share
    of another population, e.g. response-evaluable patients, whose size is not reported)."""
    findings = []
    for row in store.rows(query_text("percent-denominators")):
        if row.get("hedged") is True:
            continue
        stated = row["stated"] is True
        total = whole_count(row["denominator"] if stated else row.get("size"))
        percent = printed_number(row["percent"])
        if total is None or percent is None:  # an ill-typed number is for the shapes to report
            continue
        if candidates(percent, total):
            continue
        head = (
            f"{row['sourceLabel']} prints {row['percent']}% for {row['endpointLabel']} of "
            f"{row['cohortLabel']}"
        )
        if stated:
            message = (
                f"{head} over {total} patients, but no whole number of patients out of {total} gives that "
                f"percentage: the denominator was probably another (e.g. response-evaluable) one."
            )
            involved: tuple[Node, ...] = (URIRef(str(row["record"])),)
        else:
            message = (
                f"{head} without stating its denominator; no whole number of the {total} patients it gives "
                f"the cohort yields that percentage, so it is a share of another population (e.g. "
                f"response-evaluable patients) whose size the source does not report."
            )
            involved = (URIRef(str(row["record"])), URIRef(str(row["sizeClaim"])))
        findings.append(Finding(MM.PercentWithoutCount, involved, message))
    return findings


# ---------------------------------------------------------------- patient records vs aggregate statements


def _iri(value: Node | Value) -> URIRef:
    """An IRI read as a plain value (or as an rdflib term) as the rdflib term."""
    return value if isinstance(value, URIRef) else URIRef(str(value))


def _label(store: GraphStore, iri: Node | Value) -> str:
    text = "SELECT ?l WHERE { ?x rdfs:label|skos:prefLabel|skos:notation ?l }"
    found = store.select(text, {"x": _iri(iri)})
    return str(found[0]["l"]) if found else local_name(str(iri))


def _quote(store: GraphStore, claim: Node | Value) -> str:
    """The source's own words for a claim (its first quote selector), in quotation marks."""
    found = store.select(
        "SELECT ?e WHERE { ?c mm:evidence/oa:hasSelector/oa:exact ?e } ORDER BY ?e", {"c": _iri(claim)}
    )
    return f'"{found[0]["e"]}"' if found else ""


Row = dict[str, Value]  # a query row of plain values (kb.graph.fast_rows): IRIs are strings
RESPONSE, REFRACTORY_PROPORTION = str(MM.Response), str(MM.RefractoryProportion)


@dataclass
class _PatientRecords:
    """What the patient-versus-aggregate rule reads once: regimens, drug sets, patient records, ranks."""

    regimens: dict[Value, set[Value]]
    drug_sets: dict[Value, list[tuple[Value, bool]]]
    responses: dict[tuple[Value, Value], list[Row]]
    refractoriness: dict[tuple[Value, Value], list[Row]]
    ranks: dict[Value, int]

    @classmethod
    def read(cls, store: GraphStore) -> _PatientRecords:
        regimens: dict[Value, set[Value]] = defaultdict(set)
        for row in store.rows(query_text("cohort-regimens")):
            regimens[row["cohort"]].add(row["regimen"])
        drug_sets: dict[Value, list[tuple[Value, bool]]] = defaultdict(list)
        for row in store.rows(query_text("drug-set-members")):
            drug_sets[row["drugSet"]].append((row["member"], row["isDrug"] is True))
        responses: dict[tuple[Value, Value], list[Row]] = defaultdict(list)
        for row in store.rows(query_text("patient-responses")):
            responses[(row["cohort"], row["source"])].append(row)
        refractoriness: dict[tuple[Value, Value], list[Row]] = defaultdict(list)
        for row in store.rows(query_text("patient-refractoriness")):
            refractoriness[(row["cohort"], row["source"])].append(row)
        ranks = {r["c"]: whole(r["r"]) for r in store.rows("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")}
        return cls(regimens, drug_sets, responses, refractoriness, ranks)

    def verdicts(self, agg: Row) -> tuple[dict[Value, bool | None], list[Value]] | None:
        """Per patient of the aggregate's cohort and source: meets its property (True), not (False) or
        unknown (None), with the records read; None when the rule does not apply to this aggregate."""
        key = (agg["cohort"], agg["source"])
        verdicts: dict[Value, bool | None] = {}
        evidence: list[Value] = []
        if agg["endpoint"] == RESPONSE and ("threshold" in agg or "category" in agg):
            wanted = {agg["regimen"]} if "regimen" in agg else self.regimens[agg["cohort"]]
            for row in self.responses[key]:
                if row["regimen"] not in wanted:
                    continue
                evidence.append(row["record"])
                rank = self.ranks.get(row["response"])
                if rank is None:
                    verdicts[row["patient"]] = None
                elif "threshold" in agg:
                    verdicts[row["patient"]] = rank >= self.ranks[agg["threshold"]]
                else:
                    verdicts[row["patient"]] = row["response"] == agg["category"]
        elif agg["endpoint"] == REFRACTORY_PROPORTION and "drugSet" in agg:
            members = self.drug_sets[agg["drugSet"]]
            if not members or not all(is_drug for _, is_drug in members):
                return None  # class-level sets ("a PI") are not checked against drug-level records
            wanted_drugs = {m for m, _ in members}
            per_patient: dict[Value, dict[Value, bool | None]] = defaultdict(dict)
            for row in self.refractoriness[key]:
                if row["drug"] in wanted_drugs:
                    refractory = row["refractory"]  # a boolean, or a typed unknown
                    known = refractory if isinstance(refractory, bool) else None
                    per_patient[row["patient"]][row["drug"]] = known
                    evidence.append(row["record"])
            for patient, by_drug in per_patient.items():
                values = [by_drug.get(d) for d in wanted_drugs]
                verdicts[patient] = False if False in values else (None if None in values else True)
        else:
            return None
        return verdicts, evidence


def _aggregate_message(store: GraphStore, agg: Row, stated: int, yes: int, unknown: int) -> str:
    what = _label(store, agg.get("threshold") or agg.get("category") or agg.get("drugSet") or agg["endpoint"])
    if "threshold" in agg:
        what = f"with {what} or better"
    elif "category" in agg:
        what = f"with {what}"
    else:
        what = f"refractory to {what}"
    span = str(yes) if unknown == 0 else f"{yes} to {yes + unknown}"
    quote = _quote(store, agg["record"])
    return (
        f"{_label(store, agg['source'])} states {stated} of {agg['denominator']} patients of "
        f"{_label(store, agg['cohort'])} {what}{f' ({quote})' if quote else ''}, but its patient "
        f"records give {span}."
    )


def patient_vs_aggregate(store: GraphStore) -> list[Finding]:
    """Counts from a publication's patient records that cannot match its own aggregate statement.

    For each aggregate proportion about a cohort whose patients the same source reports one by one,
    count the patients that meet the property (response at a threshold or in a category, refractory to
    a drug set): known yes, known no, unknown. The aggregate conflicts when its numerator lies outside
    [known yes, known yes + unknown].
    """
    records = _PatientRecords.read(store)
    findings = []
    for agg in store.rows(query_text("aggregate-proportions")):
        found = records.verdicts(agg)
        if not found or not found[0]:
            continue
        verdicts, evidence = found
        yes = sum(1 for v in verdicts.values() if v is True)
        unknown = sum(1 for v in verdicts.values() if v is None)
        if not is_number(agg["numerator"]):
            continue  # a numerator that is not a number is a validation error, not a conflict
        stated = whole(agg["numerator"])
        if yes <= stated <= yes + unknown:
            continue
        message = _aggregate_message(store, agg, stated, yes, unknown)
        involved = (_iri(agg["record"]), *(_iri(e) for e in sorted({str(e) for e in evidence})))
        findings.append(Finding(MM.PatientVersusAggregate, involved, message))
    return findings


# ---------------------------------------------------------------- response categories vs totals


def response_categories(store: GraphStore) -> list[Finding]:
    """Counts of exact response categories from one source that exceed the cohort or their total.

    Within one cohort, source, data cut and regimen: the exact categories at or above a threshold
    cannot outnumber the patients at that threshold, and must equal them when every category at or
    above it is given; all categories together cannot exceed the denominator.
    """
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for row in store.rows(query_text("response-categories")):
        if any(key in row and not is_number(row[key]) for key in ("count", "denominator", "rank")):
            continue  # a count that is not a number is a validation error, not a conflict
        groups[(row["cohort"], row["source"], row.get("cut"), row.get("regimen"))].append(row)
    top = max(whole(r["r"]) for r in store.rows("SELECT ?r WHERE { ?c mm:responseRank ?r }"))
    findings = []
    for (cohort, source, _cut, _regimen), group in groups.items():
        exact = [r for r in group if "category" in r]
        if not exact:
            continue
        by_rank = {whole(r["rank"]): whole(r["count"]) for r in exact}
        for threshold in (r for r in group if "threshold" in r):
            t_rank, t_count = whole(threshold["rank"]), whole(threshold["count"])
            above = {k: v for k, v in by_rank.items() if k >= t_rank}
            if not above:
                continue
            total = sum(above.values())
            complete = all(k in by_rank for k in range(t_rank, top + 1))
            if total > t_count or (complete and total != t_count):
                involved = (
                    _iri(threshold["record"]),
                    *(_iri(r["record"]) for r in exact if whole(r["rank"]) >= t_rank),
                )
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
        denominators = {whole(r["denominator"]) for r in group if "denominator" in r}
        total = sum(by_rank.values())
        if denominators and total > min(denominators):
            findings.append(
                Finding(
                    MM.CategoriesExceedCohort,
                    tuple(_iri(r["record"]) for r in exact),
                    (
                        f"{_label(store, source)}: the response categories of {_label(store, cohort)} "
                        f"add up to {total}, more than the {min(denominators)} patients."
                    ),
                )
            )
    return findings


RULES: tuple[Callable[[GraphStore], list[Finding]], ...] = (
    sparql_findings,
    percent_without_count,
    patient_vs_aggregate,
    response_categories,
)


@dataclass(frozen=True)
class Resolved:
    """A rule's finding whose claims an interpretation reads together: kept for review, not a conflict."""

    finding: Finding
    interpretation: Interpretation


@dataclass(frozen=True)
class Findings:
    conflicts: list[Finding]
    resolved: list[Resolved]


def classify_findings(store: GraphStore) -> Findings:
    """Every rule's findings, split into conflicts and findings an interpretation resolves."""
    findings = sorted({f for rule in RULES for f in rule(store)}, key=lambda f: (str(f.rule), str(f.iri)))
    # An interpretation resolves a finding only if it reads every claim involved, the first one included:
    # so only the interpretations that read that claim are candidates (kept in IRI order).
    by_claim: dict[Node, list[Interpretation]] = defaultdict(list)
    for reading in interpretations(store):
        for claim in reading.reads:
            by_claim[claim].append(reading)
    conflicts, resolved = [], []
    for finding in findings:
        candidates = by_claim.get(finding.involves[0], []) if finding.involves else []
        interpretation = resolving(finding, candidates)
        if interpretation is None:
            conflicts.append(finding)
        else:
            resolved.append(Resolved(finding, interpretation))
    return Findings(conflicts, resolved)


def conflicts_graph(findings: Iterable[Finding], resolved: Iterable[Resolved] = ()) -> Graph:
    out = Graph()
    typed: list[tuple[Finding, URIRef, URIRef | None]] = [(f, MM.Conflict, None) for f in findings]
    typed += [(r.finding, MM.ResolvedFinding, r.interpretation.iri) for r in resolved]
    for finding, kind, interpretation in typed:
        node = finding.iri
        out.add((node, RDF.type, kind))
        out.add((node, MM.rule, finding.rule))
        out.add((node, MM.message, Literal(finding.message, datatype=XSD.string)))
        for record in finding.involves:
            out.add((node, MM.involves, record))
        if interpretation is not None:
            out.add((node, MM.resolvedBy, interpretation))
    return out


def stored_findings(store: GraphStore, order: Mapping[str, Sequence[str]] | None = None) -> Findings:
    """The findings conflicts_graph recorded in the store's inferred graph, read back without running a
    rule: the conflicts and the resolved findings, in the order classify_findings gives them.

    The graph holds the records a finding involves as a set; `order` gives, by finding IRI, the order in
    which its rule named them (a built store records it, kb.graph.built_store), else IRI order."""
    solutions = store.select(
        "SELECT ?f ?kind ?rule ?message ?record ?by WHERE { GRAPH ?g { ?f a ?kind ; mm:rule ?rule ; "
        "mm:message ?message OPTIONAL { ?f mm:involves ?record } OPTIONAL { ?f mm:resolvedBy ?by } } }",
        {"g": URIRef(INFERRED_GRAPH), "kind": [MM.Conflict, MM.ResolvedFinding]},
    )
    found: dict[Node, dict[str, Node]] = {}
    involved: dict[Node, set[Node]] = defaultdict(set)
    for row in solutions:
        found.setdefault(row["f"], row)
        if "record" in row:
            involved[row["f"]].add(row["record"])
    readings = {i.iri: i for i in interpretations(store)}
    conflicts, resolved = [], []
    for iri, row in sorted(found.items(), key=lambda kv: (str(kv[1]["rule"]), str(kv[0]))):
        named = (order or {}).get(str(iri))
        records = tuple(URIRef(r) for r in named) if named else tuple(sorted(involved[iri], key=str))
        finding = Finding(URIRef(str(row["rule"])), records, str(row["message"]))
        if row["kind"] == MM.Conflict:
            conflicts.append(finding)
        elif row.get("by") in readings:
            resolved.append(Resolved(finding, readings[row["by"]]))  # type: ignore[index]
        else:
            raise ValueError(f"stored finding {iri}: its interpretation {row.get('by')} is not in the store")
    return Findings(conflicts, resolved)
