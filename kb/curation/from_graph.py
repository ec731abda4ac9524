"""Curated graphs to workbook rows: every statement of every file in a cell, or an error naming the
statement the template has no column for (a sheet never drops what a file says)."""

from __future__ import annotations

from collections import defaultdict

from rdflib import RDF, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kb.curation import cells
from kb.curation import template as t
from kb.curation.context import context
from kb.namespaces import MM, OA, curie

_EVIDENCE_NODE = {OA.hasSource: "evidence_source", MM.sourceUrl: "evidence_url"}
_SELECTORS = {MM.TableCellSelector, OA.TextQuoteSelector}
_SELECTOR_COLUMNS = {c.predicate: c.name for c in t.EVIDENCE_COLUMNS if c.predicate not in _EVIDENCE_NODE}

Rows = dict[str, list[dict[str, str]]]


class ExportError(ValueError):
    """A statement the template cannot hold: which file, record and property."""


def study_file(study: str) -> str:
    """The file a study's rows go to: studies/<id without study->.ttl."""
    return f"studies/{study.removeprefix('study-')}.ttl"


def rows_of(files: dict[str, Graph]) -> Rows:
    """The workbook rows for the curated files (relative path -> graph), tab by tab, sorted by id. A file
    holding a study goes back to that study's file (studies/<id>.ttl) whatever its name; any other file
    must be where its tabs' rows go (publications/bibliography.ttl, agents.ttl)."""
    out: Rows = defaultdict(list)
    union = Graph()
    for graph in files.values():
        union += graph
    for path, graph in sorted(files.items()):
        study = _study_of(path, graph)
        for subject in sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}):
            _record_rows(path, graph, subject, study, out)
            if (subject, RDF.type, None) in graph and out[t.FIGURES.name] and _is_figure(graph, subject):
                out[t.FIGURES.name][-1].update(context(union, subject))
        _check_covered(path, graph)
    key = {tab.name: tab.id_column for tab in t.TABS}
    return {
        name: sorted(rows, key=lambda r: (r.get("study", ""), r[key[name]])) for name, rows in out.items()
    }


def _is_figure(graph: Graph, subject: URIRef) -> bool:
    return any(kind in t.FIGURES.types.values() for kind in graph.objects(subject, RDF.type))


def _study_of(path: str, graph: Graph) -> str:
    studies = sorted(str(s) for s in graph.subjects(RDF.type, MM.Study))
    if len(studies) > 1:
        raise ExportError(
            f"{path}: holds {len(studies)} studies; a sheet keeps each study in a file of its own"
        )
    if not studies:
        return ""
    return cells.write(URIRef(studies[0]), t.RECORD)


def _record_rows(path: str, graph: Graph, subject: URIRef, study: str, out: Rows) -> None:
    types = list(graph.objects(subject, RDF.type))
    tabs = {t.TAB_OF_TYPE.get(k) for k in types if isinstance(k, URIRef)}
    if len(types) != 1 or None in tabs:
        raise ExportError(
            f"{path}: {curie(subject)} has type {', '.join(map(curie, types))}: no tab holds it"
        )
    tab = tabs.pop()
    assert tab is not None
    row = {tab.id_column: cells.write(subject, t.RECORD)}
    if tab.type_column:
        row["type"] = next(name for name, iri in tab.types.items() if iri == types[0])
    if tab.name == "curation":
        row["file"] = study_file(study) if study else path
    elif tab.id_column != "study":
        if study:
            row["study"] = study
        elif tab.default_file != path:
            where = f"a study's file or {tab.default_file}" if tab.default_file else "a study's file"
            raise ExportError(f"{path}: {curie(subject)} ({tab.name}) belongs in {where}")
    values: dict[str, list[str]] = defaultdict(list)
    evidence: list[dict[str, str]] = []
    for predicate, obj in graph.predicate_objects(subject):
        if predicate == RDF.type:
            continue
        if predicate in (MM.evidence, MM.supportedBy) and isinstance(obj, BNode):
            item = _evidence(path, graph, subject, obj)
            evidence.append({"property": "evidence" if predicate == MM.evidence else "supportedBy", **item})
            continue
        column = next((c for c in tab.columns if c.predicate == predicate), None)
        if column is None:
            raise ExportError(
                f"{path}: {curie(subject)} {curie(predicate)}: the {tab.name} tab has no column for it"
            )
        values[column.name].append(_cell(path, graph, subject, column, obj))
    for name, found in values.items():
        column = tab.column(name)
        assert column is not None
        if len(found) > 1 and not column.many:
            raise ExportError(f"{path}: {curie(subject)}: {len(found)} values for {name}, a one-value column")
        if column.many and any(t.SEPARATOR.strip() in v for v in found):
            raise ExportError(f"{path}: {curie(subject)}: a value of {name} holds {t.SEPARATOR.strip()!r}")
        row[name] = t.SEPARATOR.join(sorted(found))
    evidence.sort(key=lambda e: sorted(e.items()))
    if tab.has_evidence and evidence and evidence[0]["property"] == "evidence":
        first = evidence.pop(0)
        row.update({k: v for k, v in first.items() if k != "property"})
    for item in evidence:
        out[t.EVIDENCE.name].append(
            {"record": row[tab.id_column], **({"study": study} if study else {}), **item}
        )
    out[tab.name].append(row)


def _cell(path: str, graph: Graph, subject: URIRef, column: t.Column, obj: Node) -> str:
    try:
        if column.kind == t.TEXT_LIST:
            return t.SEPARATOR.join(cells.write(item, t.TEXT) for item in Collection(graph, obj))
        return cells.write(obj, column.kind)
    except cells.CellError as exc:
        raise ExportError(f"{path}: {curie(subject)} {column.name}: {exc}") from None


def _evidence(path: str, graph: Graph, owner: URIRef, node: BNode) -> dict[str, str]:
    item: dict[str, str] = {}
    where = f"{path}: {curie(owner)}: evidence"
    for predicate, obj in graph.predicate_objects(node):
        if predicate == RDF.type and obj == OA.SpecificResource:
            continue
        if isinstance(predicate, URIRef) and predicate in _EVIDENCE_NODE:
            kind = t.RECORD if predicate == OA.hasSource else t.URL
            item[_EVIDENCE_NODE[predicate]] = cells.write(obj, kind)
        elif predicate == OA.hasSelector and isinstance(obj, BNode):
            item.update(_selector(where, graph, obj))
        else:
            raise ExportError(f"{where}: {curie(predicate)} {obj.n3()} has no column")
    return item


def _selector(where: str, graph: Graph, node: BNode) -> dict[str, str]:
    item: dict[str, str] = {}
    for predicate, obj in graph.predicate_objects(node):
        if predicate == RDF.type and obj in _SELECTORS:
            continue
        if not isinstance(predicate, URIRef) or predicate not in _SELECTOR_COLUMNS:
            raise ExportError(f"{where}: selector {curie(predicate)} has no column")
        item[_SELECTOR_COLUMNS[predicate]] = cells.write(obj, t.TEXT)
    kinds = set(graph.objects(node, RDF.type))
    if kinds != ({OA.TextQuoteSelector} if "quote" in item else {MM.TableCellSelector}):
        raise ExportError(
            f"{where}: a selector of type {', '.join(map(curie, kinds))} with {', '.join(item)}"
        )
    return item


def _check_covered(path: str, graph: Graph) -> None:
    """Every blank node is a figure's evidence, its selector or a list of names (nothing else is kept)."""
    for subject in {s for s in graph.subjects() if isinstance(s, BNode)}:
        if not any(True for _ in graph.subject_predicates(subject)):
            raise ExportError(f"{path}: a blank node no record refers to; give it an id")
