"""How a number was obtained: patient records counted, claims it was derived from, candidate counts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD
from rdflib.term import Node

from kb.graph.fast_rows import Value, whole
from kb.graph.store import GraphStore, as_bool, as_int
from kb.namespaces import ID, MM, local_name
from kb.queries import query_text
from kb.reasoning.counts import HEDGE_TOLERANCE
from kb.records import Derivation, DerivationInput

COUNT_THRESHOLDS = (MM.PR, MM.MR, MM.VGPR, MM.CR)


def _response_ranks(store: GraphStore) -> dict[Node, int]:
    """Each response category with its rank (a higher rank is a better response)."""
    return {r["c"]: as_int(r["r"]) for r in store.select("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")}


def record_count_iri(cohort: Node | str, threshold: Node | str) -> URIRef:
    """The IRI of the count of a cohort's patient records at a response threshold or better."""
    return ID[f"count-{local_name(cohort)}-{local_name(threshold)}-or-better"]


def record_counts(store: GraphStore) -> Graph:
    """For each cohort whose patients a source reports one by one: the count of its patient records with
    a best response to the cohort's regimen at each threshold or better, as an mm:RecordCount derived
    from those records (typed unknowns make the count a range of candidates)."""
    regimens: dict[Value, set[Value]] = defaultdict(set)
    for row in store.rows(query_text("cohort-regimens")):
        regimens[row["cohort"]].add(row["regimen"])
    ranks = {r["c"]: whole(r["r"]) for r in store.rows("SELECT ?c ?r WHERE { ?c mm:responseRank ?r }")}
    records: dict[tuple[Value, Value], dict[Value, dict[str, Value]]] = defaultdict(dict)
    for row in store.rows(query_text("patient-responses")):
        if row["regimen"] in regimens[row["cohort"]]:
            records[(row["cohort"], row["source"])][row["patient"]] = row
    out = Graph()
    for (cohort_iri, source_iri), patients in sorted(records.items(), key=lambda kv: str(kv[0])):
        cohort, source = URIRef(str(cohort_iri)), URIRef(str(source_iri))
        for threshold in COUNT_THRESHOLDS:
            node = record_count_iri(cohort, threshold)
            known = [r for r in patients.values() if r["response"] in ranks]
            yes = sum(1 for r in known if ranks[r["response"]] >= ranks[str(threshold)])
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
                f"{local_name(threshold)} or better" + (f"; {unknown} are unknown" if unknown else "")
            )
            out.add((node, MM.derivationNote, Literal(note, datatype=XSD.string)))
            for row in patients.values():
                out.add((node, PROV.wasDerivedFrom, URIRef(str(row["record"]))))
    return out


def _value_text(values: dict[str, list[Node]]) -> str:
    parts = []
    for key in ("bestResponse", "value", "count", "refractory", "valueConcept"):
        if key in values:
            parts.append(f"{key} {', '.join(local_name(v) for v in values[key])}")
    num, den = values.get("numerator"), values.get("denominator")
    if num and den:
        parts.append(f"{local_name(num[0])}/{local_name(den[0])}")
    if "percent" in values:
        parts.append(f"{values['percent'][0]}%")
    for key in ("responseThreshold", "responseCategory", "refractoryTo", "toRegimen"):
        if key in values:
            parts.append(f"{key} {local_name(values[key][0])}")
    return "; ".join(parts)


def _values(store: GraphStore, claim: Node) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = defaultdict(list)
    for row in store.select("SELECT ?p ?o WHERE { ?c ?p ?o } ORDER BY ?p ?o", {"c": claim}):
        out[local_name(row["p"])].append(row["o"])
    return out


def _first(values: dict[str, list[Node]], key: str) -> Node | None:
    return values[key][0] if values.get(key) else None


def _evidence(store: GraphStore, claim: Node) -> list[dict[str, str]]:
    return [
        {k: str(v) for k, v in row.items() if k != "claim"}
        for row in store.select(query_text("api-claim-evidence"), {"claim": claim})
    ]


def explain(store: GraphStore, claim: Node) -> Derivation | None:
    """How the number of `claim` was obtained, or None when no claim has that IRI."""
    values = _values(store, claim)
    if not values.get("about") or not values.get("source"):
        return None
    derivation = Derivation(
        id=local_name(claim),
        derivation=local_name(_first(values, "derivation")) or "unknown",
        method="reported by the source as printed",
        note=str(values["derivationNote"][0]) if "derivationNote" in values else "",
        count_origin=local_name(_first(values, "countOrigin")),
        candidates=sorted(as_int(c) for c in values.get("numeratorCandidate", [])),
        inputs=_inputs(store, values),
        interpretations=_interpretations(store, claim),
    )
    numerator, percent, denominator = (_first(values, k) for k in ("numerator", "percent", "denominator"))
    hedged = as_bool(_first(values, "hedged")) is True
    if MM.RecordCount in values.get("type", []):
        derivation.method = "counted from patient records"
    elif derivation.inputs:
        derivation.method = "derived from other claims"
    elif isinstance(percent, Literal) and not isinstance(numerator, Literal):
        derivation.method = "count from a printed percentage and denominator"
        derivation.note = _percentage_note(derivation.candidates, percent, denominator, hedged)
    if isinstance(percent, Literal):
        derivation.percent = str(percent)
        derivation.hedged = hedged
        if derivation.hedged:
            derivation.tolerance = f"±{HEDGE_TOLERANCE} percentage points (hedged)"
    if denominator is not None:
        derivation.denominator = local_name(denominator)
    return derivation


def _inputs(store: GraphStore, values: dict[str, list[Node]]) -> list[DerivationInput]:
    """The claims a number was derived from; for a record count, whether each record meets its threshold."""
    threshold = _first(values, "responseThreshold") if MM.RecordCount in values.get("type", []) else None
    ranks = _response_ranks(store) if threshold is not None else {}
    out = []
    for source in sorted(values.get(local_name(PROV.wasDerivedFrom), []), key=str):
        source_values = _values(store, source)
        response = _first(source_values, "bestResponse")
        counted = None if threshold is None or response not in ranks else ranks[response] >= ranks[threshold]
        out.append(
            DerivationInput(
                id=local_name(source),
                types=sorted(local_name(t) for t in source_values.get("type", [])),
                about=local_name(_first(source_values, "about")),
                source=local_name(_first(source_values, "source")),
                value=_value_text(source_values),
                counted=counted,
                evidence=_evidence(store, source),
            )
        )
    return out


def _percentage_note(candidates: list[int], percent: Node, denominator: Node | None, hedged: bool) -> str:
    """Which whole numbers of the denominator give the printed percentage: one, several or none."""
    fits = ", ".join(map(str, candidates))
    if not isinstance(denominator, Literal):
        return "The source does not state the denominator: no count is derived."
    if len(candidates) == 1 and not hedged:
        return f"{fits} of {denominator} is the only whole number that gives {percent}%."
    if candidates:
        return f"{fits} of {denominator} all give {percent}% as printed: no single count."
    return f"No whole number of {denominator} patients gives {percent}%."


def _interpretations(store: GraphStore, claim: Node) -> list[dict[str, Any]]:
    rows = store.select(
        "SELECT ?i ?reading WHERE { ?i a mm:Interpretation ; mm:reads ?c ; mm:reading ?reading } ORDER BY ?i",
        {"c": claim},
    )
    return [{"id": local_name(row["i"]), "reading": str(row["reading"])} for row in rows]


def lines(derivation: Derivation) -> list[str]:
    """The derivation as text lines (the command line's view)."""
    out = [f"{derivation.id}: {derivation.method} ({derivation.derivation})"]
    if derivation.note:
        out.append(f"  how: {derivation.note}")
    if derivation.percent:
        hedge = f" {derivation.tolerance}" if derivation.hedged else ""
        out.append(f"  printed: {derivation.percent}%{hedge} of {derivation.denominator or '?'}")
    if derivation.count_origin:
        out.append(f"  count origin: {derivation.count_origin}")
    if derivation.candidates:
        out.append(f"  candidate counts: {', '.join(map(str, derivation.candidates))}")
    for item in derivation.inputs:
        mark = {True: "counted", False: "not counted", None: "input"}[item.counted]
        out.append(f"  {mark}: {item.id} ({item.about}): {item.value}")
        for ev in item.evidence:
            if ev.get("kind") == "table":
                out.append(f"      {ev.get('table')}, row {ev.get('row')!r}, column {ev.get('column')!r}")
            elif ev.get("exact"):
                out.append(f'      "{ev["exact"]}"')
    for interpretation in derivation.interpretations:
        out.append(f"  read by {interpretation['id']}: {interpretation['reading']}")
    return out
