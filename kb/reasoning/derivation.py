"""How a number was obtained: patient records counted, claims it was derived from, candidate counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD
from rdflib.term import Node

from kb.graph.store import GraphStore, as_bool, as_int
from kb.namespaces import ID, MM
from kb.queries import query_text
from kb.reasoning.counts import HEDGE_TOLERANCE

COUNT_THRESHOLDS = (MM.PR, MM.MR, MM.VGPR, MM.CR)


def _local(term: Node | None) -> str:
    return "" if term is None else str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def record_count_iri(cohort: Node, threshold: Node) -> URIRef:
    """The IRI of the count of a cohort's patient records at a response threshold or better."""
    return ID[f"count-{_local(cohort)}-{_local(threshold)}-or-better"]


def record_counts(store: GraphStore) -> Graph:
    """For each cohort whose patients a source reports one by one: the count of its patient records with
    a best response to the cohort's regimen at each threshold or better, as an mm:RecordCount derived
    from those records (typed unknowns make the count a range of candidates)."""
    regimens: dict[Node, set[Node]] = defaultdict(set)
    for row in store.select(query_text("cohort-regimens")):
        regimens[row["cohort"]].add(row["regimen"])
    ranks = {r["c"]: as_int(r["r"]) for r in store.select("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")}
    records: dict[tuple[Node, Node], dict[Node, dict[str, Node]]] = defaultdict(dict)
    for row in store.select(query_text("patient-responses")):
        if row["regimen"] in regimens[row["cohort"]]:
            records[(row["cohort"], row["source"])][row["patient"]] = row
    out = Graph()
    for (cohort, source), patients in sorted(records.items(), key=lambda kv: str(kv[0])):
        for threshold in COUNT_THRESHOLDS:
            node = record_count_iri(cohort, threshold)
            known = [r for r in patients.values() if r["response"] in ranks]
            yes = sum(1 for r in known if ranks[r["response"]] >= ranks[threshold])
            unknown = len(patients) - len(known)
            out.add((node, RDF.type, MM.RecordCount))
            out.add((node, MM.about, cohort))
            out.add((node, MM.source, source))
            out.add((node, MM.derivation, MM.Reconstructed))
            out.add((node, MM.responseThreshold, threshold))
            out.add((node, MM.denominator, Literal(len(patients), datatype=XSD.nonNegativeInteger)))
            if unknown:
                out.add((node, MM.numerator, MM.NotReported))
                for k in range(yes, yes + unknown + 1):
                    out.add((node, MM.numeratorCandidate, Literal(k, datatype=XSD.nonNegativeInteger)))
            else:
                out.add((node, MM.numerator, Literal(yes, datatype=XSD.nonNegativeInteger)))
            out.add((node, MM.countOrigin, MM.CountReconstructed if not unknown else MM.CountAmbiguous))
            note = (
                f"{yes} of the {len(patients)} patient records have a best response of "
                f"{_local(threshold)} or better" + (f"; {unknown} are unknown" if unknown else "")
            )
            out.add((node, MM.derivationNote, Literal(note, datatype=XSD.string)))
            for row in patients.values():
                out.add((node, PROV.wasDerivedFrom, row["record"]))
    return out


@dataclass
class Input:
    """One claim a number was obtained from, with what it says and where."""

    id: str
    types: list[str]
    about: str
    source: str
    value: str
    counted: bool | None  # for a counted record: does it meet the count's condition
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Explanation:
    """How a claim's number was obtained."""

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
    inputs: list[Input] = field(default_factory=list)
    interpretations: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value_text(values: dict[str, list[Node]]) -> str:
    parts = []
    for key in ("bestResponse", "value", "count", "refractory", "valueConcept"):
        if key in values:
            parts.append(f"{key} {', '.join(_local(v) for v in values[key])}")
    num, den = values.get("numerator"), values.get("denominator")
    if num and den:
        parts.append(f"{_local(num[0])}/{_local(den[0])}")
    if "percent" in values:
        parts.append(f"{values['percent'][0]}%")
    for key in ("responseThreshold", "responseCategory", "refractoryTo", "toRegimen"):
        if key in values:
            parts.append(f"{key} {_local(values[key][0])}")
    return "; ".join(parts)


def _values(store: GraphStore, claim: Node) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = defaultdict(list)
    for row in store.select("SELECT ?p ?o WHERE { ?c ?p ?o } ORDER BY ?p ?o", {"c": claim}):
        out[_local(row["p"])].append(row["o"])
    return out


def _evidence(store: GraphStore, claim: Node) -> list[dict[str, str]]:
    return [
        {k: str(v) for k, v in row.items() if k != "claim"}
        for row in store.select(query_text("api-claim-evidence"), {"claim": claim})
    ]


def explain(store: GraphStore, claim: Node) -> Explanation | None:
    """How the number of `claim` was obtained, or None when no claim has that IRI."""
    values = _values(store, claim)
    if not values.get("about") or not values.get("source"):
        return None
    derivation = _local(values.get("derivation", [None])[0]) or "unknown"
    explanation = Explanation(_local(claim), derivation, "reported by the source as printed")
    if "derivationNote" in values:
        explanation.note = str(values["derivationNote"][0])
    origin = values.get("countOrigin", [None])[0]
    explanation.count_origin = _local(origin)
    explanation.candidates = sorted(as_int(c) for c in values.get("numeratorCandidate", []))
    threshold = values.get("responseThreshold", [None])[0]
    ranks = {r["c"]: as_int(r["r"]) for r in store.select("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")}
    for source in sorted(values.get(_local(PROV.wasDerivedFrom), []), key=str):
        source_values = _values(store, source)
        counted = None
        if MM.RecordCount in values.get("type", []) and threshold is not None:
            response = source_values.get("bestResponse", [None])[0]
            counted = ranks[response] >= ranks[threshold] if response in ranks else None
        explanation.inputs.append(
            Input(
                _local(source),
                sorted(_local(t) for t in source_values.get("type", [])),
                _local(source_values.get("about", [None])[0]),
                _local(source_values.get("source", [None])[0]),
                _value_text(source_values),
                counted,
                _evidence(store, source),
            )
        )
    numerator = values.get("numerator", [None])[0]
    percent = values.get("percent", [None])[0]
    denominator = values.get("denominator", [None])[0]
    if MM.RecordCount in values.get("type", []):
        explanation.method = "counted from patient records"
    elif explanation.inputs:
        explanation.method = "derived from other claims"
    elif isinstance(percent, Literal) and not isinstance(numerator, Literal):
        explanation.method = "count from a printed percentage and denominator"
        fits = ", ".join(map(str, explanation.candidates))
        if not isinstance(denominator, Literal):
            explanation.note = "The source does not state the denominator: no count is derived."
        elif len(explanation.candidates) == 1 and not as_bool(values.get("hedged", [None])[0]):
            explanation.note = f"{fits} of {denominator} is the only whole number that gives {percent}%."
        elif explanation.candidates:
            explanation.note = f"{fits} of {denominator} all give {percent}% as printed: no single count."
        else:
            explanation.note = f"No whole number of {denominator} patients gives {percent}%."
    if isinstance(percent, Literal):
        explanation.percent = str(percent)
        explanation.hedged = as_bool(values.get("hedged", [Literal(False)])[0]) is True
        if explanation.hedged:
            explanation.tolerance = f"±{HEDGE_TOLERANCE} percentage points (hedged)"
    if denominator is not None:
        explanation.denominator = _local(denominator)
    for row in store.select(
        "SELECT ?i ?reading WHERE { ?i a mm:Interpretation ; mm:reads ?c ; mm:reading ?reading } ORDER BY ?i",
        {"c": claim},
    ):
        explanation.interpretations.append({"id": _local(row["i"]), "reading": str(row["reading"])})
    return explanation


def lines(explanation: Explanation) -> list[str]:
    """The explanation as text lines (the command line's view)."""
    out = [f"{explanation.id}: {explanation.method} ({explanation.derivation})"]
    if explanation.note:
        out.append(f"  how: {explanation.note}")
    if explanation.percent:
        hedge = f" {explanation.tolerance}" if explanation.hedged else ""
        out.append(f"  printed: {explanation.percent}%{hedge} of {explanation.denominator or '?'}")
    if explanation.count_origin:
        out.append(f"  count origin: {explanation.count_origin}")
    if explanation.candidates:
        out.append(f"  candidate counts: {', '.join(map(str, explanation.candidates))}")
    for item in explanation.inputs:
        mark = {True: "counted", False: "not counted", None: "input"}[item.counted]
        out.append(f"  {mark}: {item.id} ({item.about}): {item.value}")
        for ev in item.evidence:
            if ev.get("kind") == "table":
                out.append(f"      {ev.get('table')}, row {ev.get('row')!r}, column {ev.get('column')!r}")
            elif ev.get("exact"):
                out.append(f'      "{ev["exact"]}"')
    for interpretation in explanation.interpretations:
        out.append(f"  read by {interpretation['id']}: {interpretation['reading']}")
    return out
