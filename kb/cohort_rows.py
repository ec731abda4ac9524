"""Comparison rows per cohort, read from the graph: from response claims, or counted from patient records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Literal
from rdflib.term import Node

from kb.comparison import Row, Source
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.stats import proportion_ci
from kb.store import as_bool, as_int

PATIENT_ATTRIBUTES = ("imid-added", "prior-asct", "sex", "myeloma-subtype")

ORIGINS: dict[Node, str] = {
    MM.CountReported: "reported",
    MM.CountDerived: "derived",
    MM.CountReconstructed: "reconstructed",
    MM.CountAmbiguous: "ambiguous",
    MM.CountInconsistent: "inconsistent",
    MM.CountUnknown: "unknown",
}
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
# Designs up to this evidence rank are prospective (a pooled post hoc analysis pools prospective trials).
PROSPECTIVE_RANK = 4


def local_name(term: Node | str) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def number(term: Node | None) -> float | None:
    if isinstance(term, Literal) and not isinstance(term.toPython(), bool):
        return float(term.toPython())
    return None


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _fmt(value: float) -> str:
    return f"{value:g}"


class Context:
    """Everything the rows need, read once from the graph."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.cohorts = {r["cohort"]: r for r in kb.ask_named("cohorts")}
        self.regimens: dict[Node, set[Node]] = defaultdict(set)
        for r in kb.ask_named("cohort-regimens"):
            self.regimens[r["cohort"]].add(r["regimen"])
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
        self.definitions: dict[Node, dict[str, dict[Node, str]]] = defaultdict(lambda: defaultdict(dict))
        for r in kb.ask_named("cohort-definitions"):
            self.definitions[r["cohort"]][str(r["relation"])][r["member"]] = str(r["memberLabel"])
        self.candidates: dict[Node, list[int]] = defaultdict(list)
        for r in kb.ask_named("numerator-candidates"):
            self.candidates[r["claim"]].append(as_int(r["candidate"]))
        self.pfs = defaultdict(list)
        for r in kb.ask_named("cohort-pfs"):
            self.pfs[r["cohort"]].append(r)
        self.hazard_ratios = defaultdict(list)
        for r in kb.ask_named("cohort-hazard-ratios"):
            self.hazard_ratios[r["cohort"]].append(r)
        self.lineage: dict[Node, set[Node]] = defaultdict(set)
        for r in kb.ask_named("cohort-lineage"):
            self.lineage[r["cohort"]].add(r["other"])
        self.conflicts: dict[Node, set[str]] = defaultdict(set)
        for r in kb.ask_named("claim-conflicts"):
            self.conflicts[r["record"]].add(str(r["conflict"]))
        self.parents: dict[Node, list[Node]] = defaultdict(list)
        for r in kb.select("SELECT ?c ?p WHERE { ?c mm:subgroupOf ?p } ORDER BY ?c ?p"):
            self.parents[r["c"]].append(r["p"])
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

    # ---------------------------------------------------------------- strata
    def refractory_stratum(self, cohort: Node) -> tuple[str, str]:
        """(key, label) of the cohort's defining refractory status, from it or the cohorts it is inside."""
        seen: set[Node] = set()
        todo = [cohort]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            if current in self.definitions:
                relation = max(self.definitions[current], key=lambda r: RELATION_ORDER.get(r, 0))
                members = self.definitions[current][relation]
                key = relation + ":" + ",".join(sorted(local_name(m) for m in members))
                label = f"{RELATION_WORDS.get(relation, relation)} {' + '.join(sorted(members.values()))}"
                return key, label
            todo += self.parents.get(current, [])
        return "unselected", UNSELECTED

    def regimen_text(self, regimens: Iterable[Node]) -> str:
        return " or ".join(sorted(self.regimen_label.get(r, local_name(r)) for r in regimens))

    def composition_text(self, regimens: Iterable[Node]) -> str:
        """Regimens by their drugs, so that the same combination in two studies reads the same."""
        combos = {" + ".join(sorted(self.regimen_drugs[r].values())) for r in regimens}
        return " or ".join(sorted(c for c in combos if c)) or "unknown"

    def class_text(self, regimens: Iterable[Node]) -> str:
        classes = {label for r in regimens for label in self.regimen_classes[r].values()}
        return " + ".join(sorted(classes)) or "unknown"

    def drugs(self, regimens: Iterable[Node]) -> set[str]:
        return {local_name(d) for r in regimens for d in self.regimen_drugs[r]}

    def classes(self, regimens: Iterable[Node]) -> set[str]:
        return {local_name(c) for r in regimens for c in self.regimen_classes[r]}


@dataclass
class Draft:
    """A row before grouping: a cohort, a count and where it came from."""

    cohort: Node
    regimens: set[Node]
    n: int | None
    responders: int | None
    origin: str
    candidates: tuple[int, ...]
    printed: str
    cut_sequence: int
    sources: list[Source]
    claims: list[Node]
    other_values: list[str]
    to_prior: bool = False
    label_suffix: str = ""


def _source_rank(row: dict[str, Node]) -> int:
    """Preference among claims of one figure: primary publication, then secondary source, then citing text."""
    if as_bool(row.get("secondary")) or row.get("verification") == MM.ReadInSecondarySource:
        return 1
    if row.get("verification") == MM.ReadInCitingText:
        return 2
    return 0


def claim_drafts(ctx: Context, threshold: Node, ipd_cohorts: set[Node]) -> list[Draft]:
    groups: dict[tuple[Node, Node | None], list[dict[str, Node]]] = defaultdict(list)
    for row in ctx.response_claims:
        if row.get("threshold") != threshold or (row["cohort"] in ipd_cohorts and "toRegimen" not in row):
            continue
        if "toRegimen" in row and row["toRegimen"] in ctx.regimens[row["cohort"]]:
            row = {k: v for k, v in row.items() if k != "toRegimen"}
        groups[(row["cohort"], row.get("toRegimen"))].append(row)
    drafts = []
    for (cohort, to_regimen), claims in groups.items():
        # Best-verified source first, then the latest data cut.
        claims.sort(
            key=lambda r: (_source_rank(r), -as_int(r.get("cutSequence") or Literal(0)), str(r["claim"]))
        )
        chosen = claims[0]
        same_cut = [c for c in claims if c.get("cutSequence") == chosen.get("cutSequence")]
        drafts.append(_draft_from_claim(ctx, cohort, to_regimen, chosen, same_cut))
    return drafts


def _draft_from_claim(
    ctx: Context,
    cohort: Node,
    to_regimen: Node | None,
    chosen: dict[str, Node],
    same_cut: list[dict[str, Node]],
) -> Draft:
    n = as_int(chosen["denominator"]) if isinstance(chosen["denominator"], Literal) else None
    candidates = tuple(sorted(ctx.candidates.get(chosen["claim"], [])))
    origin = ORIGINS.get(chosen["origin"], "unknown") if "origin" in chosen else "unknown"
    responders: int | None = None
    if isinstance(chosen["numerator"], Literal):
        responders = as_int(chosen["numerator"])
    elif origin == "derived" and len(candidates) == 1:
        responders = candidates[0]
    printed = str(chosen.get("percent")) if isinstance(chosen.get("percent"), Literal) else ""
    if printed and as_bool(chosen.get("hedged")):
        printed = "~" + printed
    others = []
    for other in same_cut:
        if other is chosen:
            continue
        value = _value_text(other)
        if value and value != _value_text(chosen) and not _same_figure(chosen, other):
            others.append(f"{value} ({other['sourceLabel']})")
    sources = [
        Source(
            str(c["claim"]), str(c["source"]), str(c["sourceLabel"]), local_name(c.get("verification") or "")
        )
        for c in same_cut
    ]
    return Draft(
        cohort,
        {to_regimen} if to_regimen else ctx.regimens[cohort],
        n,
        responders,
        origin,
        candidates,
        printed,
        as_int(chosen.get("cutSequence") or Literal(0)),
        sources,
        [c["claim"] for c in same_cut],
        others,
        to_prior=to_regimen is not None,
    )


def _verification(row: dict[str, Node]) -> str:
    return local_name(row["verification"]) if "verification" in row else ""


def _value_text(row: dict[str, Node]) -> str:
    if isinstance(row["numerator"], Literal) and isinstance(row["denominator"], Literal):
        return f"{row['numerator']}/{row['denominator']}"
    if isinstance(row.get("percent"), Literal):
        return ("~" if as_bool(row.get("hedged")) else "") + f"{row['percent']}%"
    return ""


def _same_figure(a: dict[str, Node], b: dict[str, Node]) -> bool:
    """Two printed percentages that agree at the coarser printed precision."""
    pa, pb = number(a.get("percent")), number(b.get("percent"))
    if pa is None or pb is None:
        return False
    decimals = min(len(str(a["percent"]).partition(".")[2]), len(str(b["percent"]).partition(".")[2]))
    return abs(pa - pb) <= 0.5 * 10 ** (-decimals)


def ipd_drafts(ctx: Context, threshold: Node) -> list[Draft]:
    """Rows counted from individual patient records, for every cohort whose patients are reported."""
    aggregates: dict[Node, list[dict[str, Node]]] = defaultdict(list)
    for row in ctx.response_claims:
        if row.get("threshold") == threshold and "toRegimen" not in row:
            aggregates[row["cohort"]].append(row)
    return [
        _ipd_draft(ctx, cohort, patients, threshold, aggregates[cohort])
        for cohort, patients in ctx.patient_responses.items()
    ]


def _ipd_draft(
    ctx: Context,
    cohort: Node,
    patients: dict[Node, dict[str, Node]],
    threshold: Node,
    aggregates: list[dict[str, Node]],
    suffix: str = "",
) -> Draft:
    t_rank = ctx.ranks[threshold]
    known = [r for r in patients.values() if r["response"] in ctx.ranks]
    yes = sum(1 for r in known if ctx.ranks[r["response"]] >= t_rank)
    unknown = len(patients) - len(known)
    n = len(patients)
    responders = yes if unknown == 0 else None
    candidates = tuple(range(yes, yes + unknown + 1)) if unknown else ()
    records = sorted((r["record"] for r in patients.values()), key=str)
    source_rows = {(str(r["source"])) for r in patients.values()}
    labels = {
        str(r["source"]): ctx.labels.get(r["source"], local_name(r["source"])) for r in patients.values()
    }
    sources = [
        Source(str(rec), s, labels[s], "patient records") for s in sorted(source_rows) for rec in records[:1]
    ]
    others = []
    for agg in aggregates:
        sources.append(
            Source(str(agg["claim"]), str(agg["source"]), str(agg["sourceLabel"]), "aggregate statement")
        )
        if isinstance(agg["numerator"], Literal) and as_int(agg["numerator"]) != yes:
            others.append(f"{agg['numerator']}/{agg['denominator']} (text, {agg['sourceLabel']})")
    return Draft(
        cohort,
        ctx.regimens[cohort],
        n,
        responders,
        "reconstructed" if unknown == 0 else "ambiguous",
        candidates,
        "",
        0,
        sources,
        [*records, *(a["claim"] for a in aggregates)],
        others,
        label_suffix=suffix,
    )


def attribute_drafts(ctx: Context, threshold: Node, attribute: str) -> list[Draft]:
    """Rows from patient records, split by a patient attribute, for each outermost reported cohort."""
    values: dict[tuple[Node, Node], str] = {}
    for r in ctx.kb.ask_named("patient-attributes"):
        if str(r["attribute"]) == attribute:
            values[(r["cohort"], r["patient"])] = str(r["valueLabel"])
    drafts = []
    for draft in ipd_drafts(ctx, threshold):
        if any(p in ctx.with_patients for p in ctx.parents.get(draft.cohort, [])):
            continue  # only the outermost cohort whose patients are reported
        patients = ctx.patient_responses[draft.cohort]
        split: dict[str, dict[Node, dict[str, Node]]] = defaultdict(dict)
        for patient, row in patients.items():
            split[values.get((draft.cohort, patient), "not reported")][patient] = row
        for value, members in sorted(split.items()):
            drafts.append(
                _ipd_draft(ctx, draft.cohort, members, threshold, [], suffix=f"{attribute}: {value}")
            )
    return drafts


def _closest(claims: list[dict[str, Node]], cut: int) -> list[dict[str, Node]]:
    """Claims ordered by closeness to the row's data cut, then source preference."""
    return sorted(
        claims,
        key=lambda r: (
            abs(as_int(r.get("cutSequence") or Literal(0)) - cut),
            _source_rank(r),
            str(r["claim"]),
        ),
    )


def _median_text(ctx: Context, cohort: Node, cut: int) -> tuple[str, bool]:
    claims = _closest(ctx.pfs.get(cohort, []), cut)
    if not claims:
        return "", False
    c = claims[0]
    median = c["median"]
    if not isinstance(median, Literal):
        words: dict[Node, str] = {MM.NotReached: "NR", MM.NotEstimable: "NE", MM.NotReported: "not reported"}
        return words.get(median, local_name(median)), median == MM.NotReached
    lo, hi = c.get("low"), c.get("high")
    ci = f" ({_bound(lo)}-{_bound(hi)})" if lo is not None and hi is not None else ""
    return f"{_fmt(float(median.toPython()))}{ci} mo", False


def _bound(term: Node) -> str:
    value = number(term)
    return "NE" if value is None else _fmt(value)


def _hazard_text(ctx: Context, cohort: Node, cut: int) -> str:
    claims = _closest(ctx.hazard_ratios.get(cohort, []), cut)
    if not claims:
        return ""
    c = claims[0]
    ci = f" ({number(c.get('low'))}-{number(c.get('high'))})" if "low" in c and "high" in c else ""
    return f"{number(c['estimate'])}{ci} vs {c['comparatorLabel']}"


def build_row(ctx: Context, draft: Draft, threshold: str, ci_method: str) -> Row:
    info = ctx.cohorts[draft.cohort]
    rate = low = high = None
    if draft.responders is not None and draft.n:
        rate = 100 * draft.responders / draft.n
        lo, hi = proportion_ci(draft.responders, draft.n, ci_method)
        low, high = 100 * lo, 100 * hi
    elif draft.candidates and draft.n:
        bounds = [proportion_ci(k, draft.n, ci_method) for k in draft.candidates]
        low, high = 100 * min(b[0] for b in bounds), 100 * max(b[1] for b in bounds)
        rate = number(Literal(draft.printed.lstrip("~"))) if draft.printed else None
    elif draft.printed:
        rate = float(draft.printed.lstrip("~"))
    median, immature = _median_text(ctx, draft.cohort, draft.cut_sequence)
    caveats = set()
    if draft.n is not None and draft.n < 10:
        caveats.add("SMALL_N")
    design = local_name(info["design"])
    if design == "CaseReport":
        caveats.add("CASE_REPORT")
    if design == "CaseSeries":
        caveats.add("CASE_SERIES")
    if design == "RetrospectiveSeries":
        caveats.add("RETROSPECTIVE")
    if draft.responders is not None and draft.n and draft.responders in (0, draft.n):
        caveats.add("BOUNDARY")
    caveats |= {
        "derived": {"RECONSTRUCTED"},
        "reconstructed": {"RECONSTRUCTED"},
        "ambiguous": {"AMBIGUOUS_COUNT"},
        "inconsistent": {"INCONSISTENT_COUNT"},
        "unknown": {"UNKNOWN_COUNT"},
    }.get(draft.origin, set())
    if draft.sources and draft.sources[0].verification in ("ReadInSecondarySource", "ReadInCitingText"):
        caveats.add("SECONDARY_SOURCE")
    if ctx.lineage.get(draft.cohort):
        caveats.add("OVERLAPPING_COHORTS")
    conflicts = sorted({c for claim in draft.claims for c in ctx.conflicts.get(claim, set())})
    if conflicts or draft.other_values:
        caveats.add("CONFLICT")
    if immature:
        caveats.add("IMMATURE_MEDIAN")
    if draft.to_prior:
        caveats.add("RESPONSE_TO_PRIOR_REGIMEN")
    key, label = ctx.refractory_stratum(draft.cohort)
    cohort_label = str(info["label"]) + (f" [{draft.label_suffix}]" if draft.label_suffix else "")
    return Row(
        stratum=label,
        stratum_key=key,
        study=str(info["studyLabel"]),
        study_id=str(info["study"]),
        cohort=cohort_label,
        cohort_id=str(draft.cohort) + (f"#{draft.label_suffix}" if draft.label_suffix else ""),
        design=str(info["designLabel"]),
        evidence_rank=as_int(info["rank"]),
        regimen=ctx.regimen_text(draft.regimens),
        threshold=threshold,
        n=draft.n,
        responders=draft.responders,
        rate_pct=_pct(rate),
        ci_low_pct=_pct(low),
        ci_high_pct=_pct(high),
        ci_method=ci_method,
        count_origin=draft.origin,
        candidates=draft.candidates,
        printed_pct=draft.printed,
        data_cut=str(draft.cut_sequence or ""),
        median_pfs=median,
        hazard_ratio=_hazard_text(ctx, draft.cohort, draft.cut_sequence),
        caveats=tuple(sorted(caveats)),
        sources=tuple(draft.sources),
        other_values=tuple(draft.other_values),
        conflicts=tuple(conflicts),
    )
