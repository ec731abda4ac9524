"""Validation: SHACL shapes, structural rules and load errors, reported as (file, record, rule, message)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from kb.graph.load import Loaded, LoadError, load
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM, OA
from kb.quality.messages import Explainer
from kb.quality.shacl import shapes_graph, validate_shapes
from kb.quality.terms import n3
from kb.queries import query_text
from kb.reasoning.conflicts import Finding


@dataclass(frozen=True)
class Violation:
    file: str
    record: str
    rule: str
    message: str
    path: str | None = None  # the property whose value fails (its IRI), where the failure has one
    value: str | None = None  # the failing value as Turtle writes it (CURIE, or literal with its type)

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.rule}: {self.message}"


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    load_errors: list[LoadError] = field(default_factory=list)
    conflicts: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    recomputed: dict[str, int] = field(default_factory=dict)  # file -> statements only the reasoner writes

    @property
    def valid(self) -> bool:
        return not self.violations and not self.load_errors

    def lines(self) -> list[str]:
        out = [f"error: {e}" for e in self.load_errors]
        out += [f"error: {v}" for v in self.violations]
        out += [
            f"warning: {file}: {n} statements only the reasoner writes (candidate counts, computed count "
            "origins, record counts, conflict findings) were set aside and computed again; curated files "
            "do not need them"
            for file, n in self.recomputed.items()
        ]
        out += [
            f"warning: conflict {f.iri} ({str(f.rule).rsplit('#', 1)[1]}): {f.message}"
            for f in self.conflicts
        ]
        return out


def _owner(graph: Graph, node: Node) -> Node:
    """The nearest IRI that refers to a blank node (a claim owns its evidence and selectors)."""
    seen = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        parent = next(graph.subjects(None, node), None)
        if parent is None:
            break
        node = parent
    return node


def shacl_violations(
    kb: KnowledgeBase, files_by_subject: dict[Node, str], explainer: Explainer | None = None
) -> list[Violation]:
    """One violation per SHACL result; a reference to a missing term or record and a literal of the wrong
    type are explained from the value (`explainer`), any other result keeps its shape's message."""
    data = kb.store.union_graph()
    explain = Explainer(kb.loaded, shapes_graph()) if explainer is None else explainer
    found = []
    for result in validate_shapes(kb.store, data):
        owner: Node = _owner(data, result.focus) if result.focus is not None else URIRef("urn:mmkb:no-focus")
        value = None if result.value is None or isinstance(result.value, BNode) else n3(result.value)
        text = explain.shape_result(result) or result.message + (f" (value: {value})" if value else "")
        path = str(result.path) if isinstance(result.path, URIRef) else None
        file = files_by_subject.get(owner, "(unknown file)")
        found.append(Violation(file, str(owner), result.shape, text, path, value))
    return sorted(set(found), key=lambda v: (v.file, v.record, v.rule, v.message))


def structural_violations(
    kb: KnowledgeBase,
    files_by_subject: dict[Node, str],
    explainer: Explainer | None = None,
    reported: Sequence[Violation] = (),
) -> list[Violation]:
    """Undeclared terms (but those a shape already reported at the same record, property and value) and
    records that several files define."""
    explain = Explainer(kb.loaded, shapes_graph()) if explainer is None else explainer
    seen = {(v.record, v.path, v.value) for v in reported}
    data: Graph | None = None
    found = []
    for row in kb.select(query_text("checks/undeclared-term-violation")):
        term, prop = row["term"], row.get("property")
        if isinstance(row["record"], BNode):
            data = kb.store.union_graph() if data is None else data
            record = str(_owner(data, row["record"]))
        else:
            record = str(row["record"])
        path = str(prop) if isinstance(prop, URIRef) else str(term)
        value = n3(term) if isinstance(prop, URIRef) else None
        if (record, path, value) in seen:
            continue
        file = kb.loaded.file_of_graph(str(row["graph"]))
        message = explain.undeclared(term, prop if isinstance(prop, URIRef) else None)
        found.append(Violation(file, record, "undeclared-term", message, path, value))
    found += _undefined_records(kb, explain, seen)
    for record, graphs in kb.loaded.defined_twice().items():
        files = ", ".join(kb.loaded.file_of_graph(g) for g in graphs)
        found.append(
            Violation(
                files_by_subject.get(URIRef(record), files),
                record,
                "duplicate-record",
                f"the record is defined in several files ({files}); define it once, refer to it elsewhere.",
            )
        )
    return found


# What a reference names, for the message about a record no file defines (any record, else).
_REFERENCED: dict[URIRef, list[Node]] = {
    MM.about: [MM.Cohort, MM.Patient, MM.Study],
    OA.hasSource: [MM.Publication, MM.SourceDigest],
}
_ANY_RECORD: list[Node] = [
    MM.Study,
    MM.DataCut,
    MM.Cohort,
    MM.Patient,
    MM.Regimen,
    MM.RegimenComponent,
    MM.DrugSet,
    MM.Claim,
]


def _undefined_records(
    kb: KnowledgeBase, explain: Explainer, seen: set[tuple[str, str | None, str | None]]
) -> list[Violation]:
    """References to records that no file defines (but those a shape already reported)."""
    found = []
    data: Graph | None = None
    named = {(record, value) for record, _, value in seen}
    for row in kb.select(query_text("checks/undefined-record-violation")):
        target, prop = URIRef(str(row["target"])), URIRef(str(row["property"]))
        if isinstance(row["record"], BNode):
            data = kb.store.union_graph() if data is None else data
            record = str(_owner(data, row["record"]))
        else:
            record = str(row["record"])
        key = (record, str(prop), n3(target))
        if (record, n3(target)) in named:
            continue  # the record's message about this value is already given (under its property)
        named.add((record, n3(target)))
        message = explain.missing(target, _REFERENCED.get(prop, _ANY_RECORD))
        file = kb.loaded.file_of_graph(str(row["graph"]))
        found.append(Violation(file, record, "undefined-record", message, key[1], key[2]))
    return found


def subject_files(kb: KnowledgeBase) -> dict[Node, str]:
    """The file that types each subject (of two, the one whose graph name sorts first)."""
    graphs: dict[Node, str] = {}
    for row in kb.store.select("SELECT DISTINCT ?s ?g WHERE { GRAPH ?g { ?s a ?type } }"):
        graph = row["g"]
        if isinstance(graph, URIRef) and (row["s"] not in graphs or str(graph) < graphs[row["s"]]):
            graphs[row["s"]] = str(graph)
    return {subject: kb.loaded.file_of_graph(graph) for subject, graph in graphs.items()}


def validate(paths: list | None = None) -> Report:
    """Validate the shipped knowledge base, or the files `paths` together with the ontology."""
    return validated(load(paths))[0]


def validated(loaded: Loaded) -> tuple[Report, KnowledgeBase]:
    """The report on the loaded files, and the knowledge base reasoned from them (which a build keeps)."""
    report = Report(load_errors=list(loaded.errors), files=[loaded.file_of_graph(g) for g in loaded.files])
    kb = KnowledgeBase(loaded)
    owners = subject_files(kb)
    explainer = Explainer(loaded, shapes_graph())
    shacl = shacl_violations(kb, owners, explainer)
    report.violations = shacl + structural_violations(kb, owners, explainer, shacl)
    report.conflicts = kb.conflicts
    report.recomputed = {loaded.file_of_graph(g): n for g, n in sorted(kb.recomputed.items())}
    return report, kb
