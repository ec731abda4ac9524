"""Workbook rows to curated graphs, one per file, with an index from each record and property back to the
row and column it came from (so a validation message can name the cell)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import PROV
from rdflib.term import Node

from kb.curation import cells
from kb.curation import template as t
from kb.curation.from_graph import study_file
from kb.curation.workbook import Row, Workbook
from kb.namespaces import MM, OA, curie

_EVIDENCE_NODE = {"evidence_source", "evidence_url"}


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where in the workbook, and what to write."""

    tab: str
    row: int | None
    column: str | None
    message: str

    def where(self) -> str:
        place = (
            self.tab
            + (f", row {self.row}" if self.row else "")
            + (f", column {self.column}" if self.column else "")
        )
        return place

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass
class Converted:
    files: dict[str, Graph] = field(default_factory=dict)  # relative path -> graph
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, Row] = field(default_factory=dict)  # record IRI -> its row
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (record IRI, property IRI) -> column

    def graph(self, path: str) -> Graph:
        if path not in self.files:
            self.files[path] = Graph()
        return self.files[path]


def to_graphs(book: Workbook) -> Converted:
    """The curated graphs the workbook stands for, or the problems that stop it."""
    out = Converted()
    curation = _curation_files(book, out)
    for tab in t.TABS:
        if tab is t.EVIDENCE:
            continue
        for row in book.tab(tab.name):
            _record(row, out, curation)
    for row in book.tab(t.EVIDENCE.name):
        _extra_evidence(row, out)
    return out


def _fail(out: Converted, row: Row, column: str | None, message: str) -> None:
    out.problems.append(Problem(row.tab.name, row.number, column, message))


def _curation_files(book: Workbook, out: Converted) -> dict[str, URIRef]:
    """Each file's curation activity (figures and interpretations with no curation cell are its)."""
    found: dict[str, URIRef] = {}
    for row in book.tab(t.CURATION.name):
        path = row.get("file").strip()
        if path in found:
            _fail(out, row, "file", f"a second curation row for {path}; keep one row per file")
        elif path:
            found[path] = URIRef(str(cells.read(row.get("id"), t.RECORD))) if row.get("id") else URIRef("")
    return found


def _file_of(row: Row, out: Converted) -> str | None:
    tab = row.tab
    if tab is t.CURATION:
        path = row.get("file").strip()
        if not path.endswith(".ttl") or path.startswith(("/", "..")):
            _fail(out, row, "file", "write the file relative to the knowledge base, e.g. studies/x.ttl")
            return None
        return path
    study = row.get(tab.id_column if tab is t.STUDIES else "study").strip().removeprefix("id:")
    if not study:
        if tab.default_file:
            return tab.default_file
        _fail(out, row, "study", "write the study whose file holds this row (study-...)")
        return None
    if not study.startswith("study-"):
        _fail(out, row, "study", f"{study!r} is not a study id; study ids begin with study- (study-{study})")
        return None
    return study_file(study)


def _record(row: Row, out: Converted, curation: dict[str, URIRef]) -> None:
    tab = row.tab
    path = _file_of(row, out)
    subject = _read(out, row, tab.id_column, t.RECORD)
    if path is None or not isinstance(subject, URIRef):
        if not row.get(tab.id_column):
            _fail(out, row, tab.id_column, f"every row needs its {tab.id_column}: write the record's id")
        return
    if str(subject) in out.rows:
        other = out.rows[str(subject)]
        _fail(out, row, tab.id_column, f"{curie(subject)} is already row {other.number} of {other.tab.name}")
        return
    out.rows[str(subject)] = row
    graph = out.graph(path)
    kind = _type(row, out)
    if kind is None:
        return
    graph.add((subject, RDF.type, kind))
    for column in tab.columns:
        text = row.get(column.name)
        if not text:
            if column.required:
                _fail(out, row, column.name, f"{column.name} is required: {column.doc}")
            continue
        if column.predicate is None:
            continue
        out.columns[(str(subject), str(column.predicate))] = column.name
        for obj in _values(out, row, column, graph):
            graph.add((subject, column.predicate, obj))
    if tab.has_evidence:
        source = row.get("source")
        _evidence(out, row, graph, subject, MM.evidence, default_source=source)
    if any(c.predicate == PROV.wasGeneratedBy for c in tab.columns) and not row.get("curation"):
        activity = curation.get(path)
        if not activity:
            _fail(out, row, "curation", f"no curation row for {path}: add one to the curation tab")
        else:
            graph.add((subject, PROV.wasGeneratedBy, activity))


def _type(row: Row, out: Converted) -> URIRef | None:
    tab = row.tab
    if not tab.type_column:
        return next(iter(tab.types.values()))
    name = row.get("type").strip()
    if name not in tab.types:
        _fail(out, row, "type", f"{name!r} is not a type of this tab; write one of {', '.join(tab.types)}")
        return None
    return tab.types[name]


def _read(out: Converted, row: Row, column: str, kind: str, text: str | None = None) -> Node | None:
    """The cell's term (or `text`'s, given for the column); None, with a problem noted, if unreadable."""
    text = row.get(column) if text is None else text
    if not text:
        return None
    try:
        return cells.read(text, kind)
    except cells.CellError as exc:
        _fail(out, row, column, str(exc))
        return None


def _values(out: Converted, row: Row, column: t.Column, graph: Graph) -> list[Node]:
    text = row.get(column.name)
    if column.kind == t.TEXT_LIST:
        items = [Literal(part.strip()) for part in text.split(t.SEPARATOR.strip())]
        head = BNode()
        Collection(graph, head, items)  # type: ignore[arg-type]
        return [head]
    parts = [p.strip() for p in text.split(t.SEPARATOR.strip())] if column.many else [text]
    found = []
    for part in parts:
        try:
            found.append(cells.read(part, column.kind))
        except cells.CellError as exc:
            _fail(out, row, column.name, str(exc))
    return found


def _evidence(
    out: Converted, row: Row, graph: Graph, subject: Node, via: URIRef, default_source: str
) -> None:
    given = {c.name: row.get(c.name) for c in t.EVIDENCE_COLUMNS if row.get(c.name)}
    if not given:
        return
    quote = {"quote", "quote_prefix", "quote_suffix"} & given.keys()
    table = {"table", "row_label", "column_label"} & given.keys()
    if quote and table:
        _fail(
            out,
            row,
            "quote",
            "a piece of evidence is a quote or a table cell, not both: move one to the evidence tab",
        )
        return
    if not (("quote" in given) or ("table" in given and "row_label" in given)):
        column = "quote" if quote or not table else "row_label" if "table" in given else "table"
        _fail(out, row, column, "evidence needs a quote, or a table with its row label (and column label)")
        return
    node, selector = BNode(), BNode()
    graph.add((subject, via, node))
    graph.add((node, RDF.type, OA.SpecificResource))
    source_text = given.get("evidence_source", default_source)
    source = _read(out, row, "evidence_source", t.RECORD, source_text)
    if source is None:
        if not source_text:
            _fail(out, row, "evidence_source", "write the document the evidence quotes (pub-...)")
        return
    graph.add((node, OA.hasSource, source))
    if "evidence_url" in given:
        url = _read(out, row, "evidence_url", t.URL)
        if url is not None:
            graph.add((node, MM.sourceUrl, url))
    graph.add((node, OA.hasSelector, selector))
    graph.add((selector, RDF.type, OA.TextQuoteSelector if quote else MM.TableCellSelector))
    for evidence_column in t.EVIDENCE_COLUMNS:
        name, predicate = evidence_column.name, evidence_column.predicate
        if name in given and name not in _EVIDENCE_NODE and predicate is not None:
            graph.add((selector, predicate, Literal(given[name])))
    for name in given:
        out.columns.setdefault((str(subject), str(t.EVIDENCE_COLUMN_PREDICATES.get(name, via))), name)


def _extra_evidence(row: Row, out: Converted) -> None:
    record = _read(out, row, "record", t.RECORD)
    if record is None:
        if not row.get("record"):
            _fail(out, row, "record", "write the figure or interpretation this evidence belongs to")
        return
    owner = out.rows.get(str(record))
    if owner is None:
        _fail(
            out, row, "record", f"no row of the workbook defines {curie(record)}; evidence belongs to a row"
        )
        return
    prop = row.get("property").strip()
    if prop not in t.EVIDENCE_PROPERTIES:
        _fail(
            out,
            row,
            "property",
            f"{prop!r}: write evidence (a figure's) or supportedBy (an interpretation's)",
        )
        return
    path = _file_of(owner, out) if not row.get("study") else _file_of(row, out)
    if path is None:
        return
    source = owner.get("source")
    _evidence(out, row, out.graph(path), record, t.EVIDENCE_PROPERTIES[prop], default_source=source)
