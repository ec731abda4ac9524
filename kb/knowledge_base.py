"""KnowledgeBase: the loaded, reasoned graph and the questions it answers."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.query import Result
from rdflib.term import Node

from kb import records
from kb.graph.built_store import Build, open_build
from kb.graph.export import export
from kb.graph.load import Loaded, LoadError, load
from kb.graph.store import GraphStore, as_bool, as_int
from kb.links import doi_url, pubmed_url, registry_url
from kb.namespaces import ID, INFERRED_GRAPH, PREFIXES, local_name
from kb.queries import query_text
from kb.reasoning.conflicts import (
    Finding,
    Findings,
    Resolved,
    classify_findings,
    conflicts_graph,
    stored_findings,
)
from kb.reasoning.derivation import explain, record_counts
from kb.reasoning.infer import materialize
from kb.reasoning.refractory import CategoryCount, RefractoryCategories, count_category

if TYPE_CHECKING:
    from kb.graph.remote_build import RemoteBuild


def record_iri(term: Node | None) -> str:
    """A record's IRI as text, where it dereferences ("" for none or a blank node)."""
    return str(term) if isinstance(term, URIRef) else ""


def plain(term: Node) -> Any:
    """A term as plain data: IRIs (typed unknowns included) by local name, numbers as numbers."""
    if isinstance(term, Literal):
        python = term.toPython()
        if isinstance(python, Decimal):
            return float(python)
        return python if isinstance(python, (bool, int, float)) else str(term)
    return local_name(term)


class NamedQuestion(Protocol):
    """What answering a named question needs (kb.analysis.questions.Question has it)."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def returns(self) -> tuple[str, ...]: ...
    @property
    def text(self) -> str: ...


T = TypeVar("T")

# Tables a build answers, kept per opened build (KnowledgeBase.computed): at most this many.
COMPUTED_ENTRIES = 64


class LoadFailed(Exception):
    """Some files could not be read; nothing was loaded from them."""

    def __init__(self, errors: list[LoadError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class KnowledgeBase:
    """The ontology and curated evidence in one store, with count reconstruction and conflict findings."""

    def __init__(self, loaded: Loaded, *, build: Build | RemoteBuild | None = None) -> None:
        """Reason over the loaded files, or, given the `build` they were read from (on disk,
        kb.graph.built_store, or on a SPARQL server, kb.graph.remote_build), read back what its build
        reasoned: the store already holds the inferred graph.

        `built_from` is that build, wherever it is; `build` is it when it is on disk (a folder other
        processes, the SPARQL workers among them, open read-only by its path), else None."""
        self.loaded = loaded
        self.store: GraphStore = loaded.store
        self.built_from = build
        self.build = build if isinstance(build, Build) else None
        # statements only the reasoner writes that the loaded files held (an export read back), by graph
        self.recomputed: dict[str, int] = {}
        self._findings: Findings | None = None  # a built store's, read when first asked for
        self._computed: OrderedDict[Hashable, Any] = OrderedDict()
        self._computed_lock = threading.Lock()
        if build is None:
            self.recomputed = materialize(self.store)
            self.store.add_graph(INFERRED_GRAPH, record_counts(self.store))
            self._findings = classify_findings(self.store)
            self.store.add_graph(INFERRED_GRAPH, conflicts_graph(self.conflicts, self.resolved))
        self.categories = RefractoryCategories(self.store)

    def computed(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What `compute` gives for `key`, computed once per build: a build is opened read-only and never
        changes, so a table computed from it (the comparison, for each set of options) is kept with it, the
        COMPUTED_ENTRIES used last. A knowledge base opened from files computes every time (its store may
        be written to). Callers treat what it returns as read-only."""
        if self.built_from is None:
            return compute()
        with self._computed_lock:
            if key in self._computed:
                self._computed.move_to_end(key)
                return self._computed[key]  # type: ignore[no-any-return]
        value = compute()  # outside the lock: two first callers may both compute, and agree
        with self._computed_lock:
            self._computed[key] = value
            while len(self._computed) > COMPUTED_ENTRIES:
                self._computed.popitem(last=False)
        return value

    @classmethod
    def open(cls, paths: Sequence[Path] | None = None, *, location: str | None = None) -> KnowledgeBase:
        """Load the shipped curated files (or `paths`) with the ontology; raise LoadFailed on bad files."""
        loaded = load(list(paths) if paths is not None else None, location=location)
        if loaded.errors:
            raise LoadFailed(loaded.errors)
        return cls(loaded)

    @property
    def conflicts(self) -> list[Finding]:
        """The findings of the integrity rules that no interpretation resolves, by rule and IRI."""
        return self._stored().conflicts

    @property
    def resolved(self) -> list[Resolved]:
        """The findings an interpretation resolves, kept for review."""
        return self._stored().resolved

    def _stored(self) -> Findings:
        if self._findings is None:  # a built store: opening it does not wait for what it may not need
            assert self.built_from is not None
            self._findings = stored_findings(self.store, self.built_from.finding_order())
        return self._findings

    @classmethod
    def from_store(cls, store: Path | str) -> KnowledgeBase:
        """Open a built store read-only, without parsing, validating or reasoning: a folder (`mmkb build
        --store DIR`) or a SPARQL server (`mmkb build --store sparql+http://...`, nothing is written to
        it). The findings and everything else the build computed are read back from it. BuiltStoreError
        when `store` holds no mmkb build; StoreError when its server fails."""
        from kb.graph.remote_build import is_remote, open_remote_build

        build = open_remote_build(str(store)) if is_remote(store) else open_build(store)
        files = {graph: Path(path) for graph, path in build.stamp.graphs.items()}
        return cls(Loaded(build.store, files=files), build=build)

    def triples(self) -> int:
        """How many triples the knowledge base holds: a built store's stamped count (counting scans every
        triple), else the count of the store."""
        return self.built_from.stamp.triples if self.built_from is not None else len(self.store)

    def query(self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None) -> Result:
        return self.store.query(text, bindings)

    def select(
        self, text: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None
    ) -> list[dict[str, Node]]:
        return self.store.select(text, bindings)

    def ask_named(
        self, name: str, bindings: Mapping[str, Node | Sequence[Node]] | None = None
    ) -> list[dict[str, Node]]:
        """Run kb/queries/<name>.rq."""
        return self.store.select(query_text(name), bindings)

    def _refractory_to(self, patient: Node) -> dict[Node, bool | None]:
        """Each drug the patient's claims speak of: refractory (True), not (False), or unknown (None)."""
        status: dict[Node, bool | None] = {}
        for row in self.ask_named("patient-refractoriness", {"patient": patient}):
            value = as_bool(row["refractory"])
            if status.get(row["drug"]) is not True:
                status[row["drug"]] = value
        return status

    def _known_and_unknown(self, patient: Node) -> tuple[set[Node], set[Node]]:
        """Drugs the patient is known refractory to, and drugs whose status no claim settles (typed unknown,
        or never mentioned: silence is not a 'no')."""
        status = self._refractory_to(patient)
        refractory = {d for d, v in status.items() if v is True}
        settled = {d for d, v in status.items() if v is not None}
        return refractory, set(self.categories.drugs) - settled

    def refractory_categories(self, patient: Node) -> dict[Node, bool | None]:
        """Refractory categories of one patient from its refractoriness claims (unknown drugs kept open)."""
        return self.categories.classify(*self._known_and_unknown(patient))

    def category_counts(self, cohort: Node) -> list[CategoryCount]:
        """For each refractory category, how many of the cohort's patients are in it: certain, possible and
        the bounds that the cohort's aggregate statements (e.g. "3 were carfilzomib refractory") allow."""
        patients = [
            r["p"] for r in self.select("SELECT DISTINCT ?p WHERE { ?p mm:memberOf ?c }", {"c": cohort})
        ]
        status = {p: self._refractory_to(p) for p in patients}
        known = {p: self._known_and_unknown(p) for p in patients}
        verdicts = {p: self.categories.classify(*known[p]) for p in patients}
        aggregates = {
            r["drug"]: (as_int(r["numerator"]), r["claim"])
            for r in self.ask_named("cohort-refractory-counts", {"cohort": cohort})
        }
        counts = []
        for category in sorted(self.categories.definitions, key=str):
            needed = {p: self.categories.necessary_unknowns(*known[p], category) for p in patients}
            counts.append(count_category(verdicts, needed, category, aggregates, status))
        return counts

    # ------------------------------------------------------------ records

    def export(self, rdf_format: str, *, inferred: bool = True, ontology: bool = True) -> bytes:
        """The knowledge base in `rdf_format` (turtle, trig, ...): the asserted statements, and the inferred
        graph and the ontology unless left out (kb.graph.export)."""
        return export(self.store, rdf_format, inferred=inferred, ontology=ontology)

    def describe(self, record_id: str) -> Graph | None:
        """The statements about the record `id:record_id` and the blank nodes it holds (its evidence), from
        the curated and inferred graphs: what its IRI dereferences to. None when nothing is said of it."""
        result = self.query(query_text("record-description"), {"record": ID[record_id]})
        if result.graph is None or len(result.graph) == 0:
            return None
        graph = Graph()
        for s, p, o in result.graph:  # a string is a plain literal, as the curated files write it
            plain = isinstance(o, Literal) and o.datatype == XSD.string
            graph.add((s, p, Literal(str(o)) if plain else o))
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, override=True)
        return graph

    def studies(self) -> list[records.StudySummary]:
        """Every study with its design, publications and cohorts, in IRI order."""
        return self._summaries(None)

    def study(self, study_id: str) -> records.StudyDetail | None:
        """One study with its cohorts, the regimens they received and the outcome claims about them."""
        iri = ID[study_id]
        found = self._summaries(iri)
        if not found:
            return None
        summary = found[0]
        return records.StudyDetail(
            **vars(summary),
            regimens=self._regimens(iri),
            outcomes=self._describe(about=[ID[c.id] for c in summary.cohorts]),
        )

    def patients(self, study_id: str) -> records.PatientList | None:
        """The patients of a study with their claims (sex, age, responses, refractoriness); None when there
        is no such study."""
        iri = ID[study_id]
        if not self.store.ask("ASK { ?s a mm:Study }", {"s": iri}):
            return None
        rows = self.ask_named("api-study-patients", {"study": iri})
        claims: dict[str, list[records.Claim]] = defaultdict(list)
        for claim in self._describe(about=[r["patient"] for r in rows]):
            claims[claim.about].append(claim)
        patients = [
            records.Patient(
                id=local_name(r["patient"]),
                iri=record_iri(r["patient"]),
                label=str(r.get("label", "")),
                claims=claims.get(local_name(r["patient"]), []),
            )
            for r in rows
        ]
        return records.PatientList(study=study_id, patients=patients)

    def claim(self, claim_id: str) -> records.ClaimWithDerivation | None:
        """One claim with its values, source, evidence, curation and how its number was obtained."""
        found = self._describe(claims=[ID[claim_id]])
        if not found:
            return None
        return records.ClaimWithDerivation(**vars(found[0]), how=explain(self.store, ID[claim_id]))

    def claims(self, iris: Sequence[Node]) -> list[records.Claim]:
        """The claims `iris`, each with its values, source, evidence and curation, in IRI order."""
        return self._describe(claims=iris)

    def publication(self, iri: Node) -> records.Publication:
        """A publication or other source document by its IRI: label, title, DOI, PMID, URL."""
        return self._publication(iri)

    def conflict_findings(self) -> list[records.Conflict]:
        """The conflict findings in IRI order, each involved claim with its source label and evidence."""
        involved = sorted({i for f in self.conflicts for i in f.involves}, key=str)
        evidence = self._evidence(involved)
        labels = {
            r["claim"]: str(r.get("sourceLabel", ""))
            for r in (self.ask_named("api-claims", {"claim": involved}) if involved else [])
        }
        return [
            records.Conflict(
                id=local_name(f.iri),
                iri=record_iri(f.iri),
                rule=local_name(f.rule),
                message=f.message,
                involves=[
                    records.InvolvedClaim(
                        id=local_name(i),
                        iri=record_iri(i),
                        source_label=labels.get(i, ""),
                        evidence=evidence.get(i, []),
                    )
                    for i in f.involves
                ],
            )
            for f in sorted(self.conflicts, key=lambda f: str(f.iri))
        ]

    def publications(self, iris: Iterable[str]) -> dict[str, records.Publication]:
        """The publications (or other sources) named by `iris`, by IRI: label, title, DOI and PMID with
        their links; what a comparison's writers link each source to (kb.render.tables.render)."""
        return {i: self.computed(("publication", i), partial(self._publication, URIRef(i))) for i in iris}

    def answer(self, question: NamedQuestion) -> records.QuestionAnswer:
        """A named question run: one row of text per solution, its `returns` columns in order (once per
        build: KnowledgeBase.computed)."""

        def run() -> records.QuestionAnswer:
            rows = self.select(question.text)
            return records.QuestionAnswer(
                name=question.name,
                title=question.title,
                description=question.description,
                returns=list(question.returns),
                columns=list(question.returns),
                rows=[[str(r.get(column, "")) for column in question.returns] for r in rows],
            )

        return self.computed(("question", question.name, question.text), run)

    # ------------------------------------------------------------ row -> record mappings

    def _publication(self, publication: Node) -> records.Publication:
        rows = self.ask_named("api-publications", {"publication": publication})
        row = rows[0] if rows else {}
        doi, pmid = str(row.get("doi", "")), str(row.get("pmid", ""))
        return records.Publication(
            id=local_name(publication),
            iri=record_iri(publication),
            label=str(row.get("label", "")),
            title=str(row.get("title", "")),
            doi=doi,
            doi_url=doi_url(doi),
            pmid=pmid,
            pubmed_url=pubmed_url(pmid),
            url=str(row.get("url", "")),
        )

    def _evidence(self, claims: Sequence[Node]) -> dict[Node, list[records.Evidence]]:
        out: dict[Node, list[records.Evidence]] = defaultdict(list)
        if not claims:
            return out
        for r in self.ask_named("api-claim-evidence", {"claim": list(claims)}):
            out[r["claim"]].append(
                records.Evidence(
                    kind=str(r.get("kind", "")),
                    document=local_name(r.get("document")),
                    document_iri=record_iri(r.get("document")),
                    document_label=str(r.get("documentLabel", "")),
                    url=str(r.get("url", "")),
                    exact=str(r.get("exact", "")),
                    prefix=str(r.get("prefix", "")),
                    suffix=str(r.get("suffix", "")),
                    table=str(r.get("table", "")),
                    row=str(r.get("row", "")),
                    column=str(r.get("column", "")),
                )
            )
        return out

    def _claim_values(
        self, claims: Sequence[Node]
    ) -> tuple[dict[Node, list[str]], dict[Node, dict[str, Any]]]:
        types: dict[Node, list[str]] = defaultdict(list)
        values: dict[Node, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for r in self.ask_named("api-claim-values", {"claim": list(claims)}):
            if r["property"] == RDF.type:
                types[r["claim"]].append(local_name(r["value"]))
            else:
                values[r["claim"]][local_name(r["property"])].append(plain(r["value"]))
        flat = {c: {k: v[0] if len(v) == 1 else v for k, v in props.items()} for c, props in values.items()}
        return types, flat

    def _describe(self, *, about: Sequence[Node] = (), claims: Sequence[Node] = ()) -> list[records.Claim]:
        """The claims about `about` (or the claims `claims`), fully described, in IRI order."""
        if not about and not claims:
            return []
        bindings = {"about": list(about)} if about else {"claim": list(claims)}
        rows: dict[Node, dict[str, Node]] = {}
        for r in self.ask_named("api-claims", bindings):
            rows.setdefault(r["claim"], r)
        if not rows:
            return []
        types, values = self._claim_values(list(rows))
        evidence = self._evidence(list(rows))
        sources = {s: self._publication(s) for s in {r["source"] for r in rows.values()}}
        out = []
        for claim, r in rows.items():
            activity = r.get("activity")
            out.append(
                records.Claim(
                    id=local_name(claim),
                    iri=record_iri(claim),
                    types=sorted(types.get(claim, [])),
                    about=local_name(r["about"]),
                    about_iri=record_iri(r["about"]),
                    values=values.get(claim, {}),
                    source=sources[r["source"]],
                    verification=local_name(r.get("verification")),
                    derivation=local_name(r.get("derivation")),
                    evidence=evidence.get(claim, []),
                    curation=None
                    if activity is None
                    else records.CurationActivity(
                        id=local_name(activity),
                        iri=record_iri(activity),
                        label=str(r.get("activityLabel", "")),
                        ended_at=str(r.get("endedAt", "")),
                        curator=local_name(r.get("curator")),
                    ),
                )
            )
        return out

    def _cohorts(self, study: Node | None) -> dict[Node, list[records.Cohort]]:
        bindings = {"study": study} if study is not None else None
        cohorts: dict[Node, dict[Node, records.Cohort]] = defaultdict(dict)
        for r in self.ask_named("api-study-cohorts", bindings):
            cohort = cohorts[r["study"]].setdefault(
                r["cohort"],
                records.Cohort(
                    id=local_name(r["cohort"]),
                    iri=record_iri(r["cohort"]),
                    label=str(r.get("label", "")),
                    subgroup_of=local_name(r.get("parent")),
                ),
            )
            size = plain(r["size"]) if "size" in r else None
            if isinstance(size, int) and size not in cohort.sizes:
                cohort.sizes.append(size)
        return {s: list(c.values()) for s, c in cohorts.items()}

    def _summaries(self, study: Node | None) -> list[records.StudySummary]:
        bindings = {"study": study} if study is not None else None
        cohorts = self._cohorts(study)
        studies: dict[Node, records.StudySummary] = {}
        for r in self.ask_named("api-studies", bindings):
            summary = studies.get(r["study"])
            if summary is None:
                rank = plain(r["rank"]) if "rank" in r else None
                summary = studies[r["study"]] = records.StudySummary(
                    id=local_name(r["study"]),
                    iri=record_iri(r["study"]),
                    label=str(r["label"]),
                    design=local_name(r.get("design")),
                    design_label=str(r.get("designLabel", "")),
                    evidence_rank=rank if isinstance(rank, int) else None,
                    publications=[],
                    cohorts=cohorts.get(r["study"], []),
                )
            nct_id = str(r.get("nctId", ""))
            if nct_id and all(g.nct_id != nct_id for g in summary.registrations):
                summary.registrations.append(records.Registration(nct_id=nct_id, url=registry_url(nct_id)))
            if "publication" in r and all(p.id != local_name(r["publication"]) for p in summary.publications):
                summary.publications.append(self._publication(r["publication"]))
        return list(studies.values())

    def _regimens(self, study: Node) -> list[records.Regimen]:
        regimens: dict[Node, records.Regimen] = {}
        for r in self.ask_named("api-study-regimens", {"study": study}):
            regimen = regimens.setdefault(
                r["regimen"],
                records.Regimen(
                    id=local_name(r["regimen"]),
                    iri=record_iri(r["regimen"]),
                    label=str(r.get("regimenLabel", "")),
                    cohorts=[],
                    components=[],
                ),
            )
            if local_name(r["cohort"]) not in regimen.cohorts:
                regimen.cohorts.append(local_name(r["cohort"]))
            component = local_name(r.get("component"))
            if component and all(c.id != component for c in regimen.components):
                regimen.components.append(
                    records.Component(
                        id=component,
                        iri=record_iri(r.get("component")),
                        drug=local_name(r.get("drug")),
                        drug_label=str(r.get("drugLabel", "")),
                        dose=plain(r["dose"]) if "dose" in r else None,
                        unit=local_name(r.get("unit")),
                        schedule=local_name(r.get("schedule")),
                    )
                )
        return list(regimens.values())

    def __len__(self) -> int:
        return len(self.store)
