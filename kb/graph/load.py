"""Read the ontology and curated files into one store, each file in its own named graph."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kb.graph.blank_nodes import content_labels
from kb.graph.rdf_files import read_quads
from kb.graph.store import GraphStore, Location, open_store
from kb.namespaces import GRAPH_IRI, INFERRED_GRAPH, ONTOLOGY_GRAPHS
from kb.paths import DATA_DIR, ONTOLOGY_DIR, ONTOLOGY_FILES, checkout_root, curated_files, display_path

_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_POSITION = re.compile(r"line (\d+) column (\d+)")


@dataclass(frozen=True)
class LoadError:
    """A file that could not be read: where and why."""

    file: str
    line: int | None
    column: int | None
    message: str
    kind: str = "syntax error"  # or "cannot read" (missing, unreadable) or "unknown file type"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.kind}: {self.message}"


@dataclass
class Loaded:
    store: GraphStore
    files: dict[str, Path] = field(default_factory=dict)  # graph IRI -> file
    errors: list[LoadError] = field(default_factory=list)
    # record IRI -> the graphs whose file defines it (gives it a type and says something about it that no
    # earlier file said): the store keeps each statement once, so a second definition is seen only here.
    # A file that repeats a record word for word (a copy, an export read back) does not define it again.
    definitions: dict[str, list[str]] = field(default_factory=dict)

    def defined_twice(self) -> dict[str, list[str]]:
        """Records that more than one file defines, with the graphs that do."""
        return {record: graphs for record, graphs in self.definitions.items() if len(graphs) > 1}

    def file_of_graph(self, graph: str) -> str:
        path = self.files.get(graph)
        return display_path(path) if path else graph


def graph_iri(path: Path) -> str:
    """Shipped files, and the files of a checkout's kb/data, get stable graph names (ontology/...,
    data/...); others are named by file URI."""
    resolved = path.resolve()
    checkout = checkout_root(resolved.parent)
    bases = [(ONTOLOGY_DIR, ONTOLOGY_GRAPHS), (DATA_DIR, GRAPH_IRI + "data/")]
    if checkout is not None:
        bases.append((checkout / "kb" / "data", GRAPH_IRI + "data/"))
    for base, prefix in bases:
        if resolved.is_relative_to(base.resolve()):
            return prefix + resolved.relative_to(base.resolve()).as_posix()
    return resolved.as_uri()


def load(
    paths: list[Path] | None = None,
    *,
    location: str | None = None,
    with_ontology: bool = True,
) -> Loaded:
    """Load the ontology plus `paths` (default: the shipped curated files).

    Each file goes into a named graph of its own; a dataset file (TriG, N-Quads, JSON-LD with graphs)
    keeps its named graphs, except the ones mmkb makes itself: the inferred graph (recomputed by the
    reasoner) and, when the ontology is loaded from its files, the ontology graphs. A statement already
    loaded from another file is not stored again (GraphStore.add), so loading a file twice, or an
    export beside the files it came from, changes nothing. A file that fails to parse is reported in
    `errors` and leaves no partial triples behind; the other files still load.
    """
    loaded = Loaded(open_store(Location.parse(location)))
    files = list(ONTOLOGY_FILES) if with_ontology else []
    files += curated_files() if paths is None else [Path(p) for p in paths]
    for path in files:
        iri = graph_iri(path)
        if iri in loaded.files:
            continue
        try:
            quads = read_quads(path)
        except (SyntaxError, ValueError, OSError) as exc:
            loaded.errors.append(_load_error(path, exc))
            continue
        routed = _into_graphs(quads, iri, skip_ontology=with_ontology and path not in ONTOLOGY_FILES)
        added = loaded.store.add(routed)
        _note_definitions(loaded.definitions, routed, added)
        for graph in {iri} | {
            str(q.graph_name.value) for q in routed if isinstance(q.graph_name, ox.NamedNode)
        }:
            loaded.files.setdefault(graph, path)
    return loaded


def _into_graphs(quads: list[ox.Quad], own: str, *, skip_ontology: bool) -> list[ox.Quad]:
    """Statements outside a named graph go into the file's own graph; the named graphs of a dataset keep
    their names, except mmkb's inferred graph and (when `skip_ontology`) its ontology graphs. Blank
    nodes get their labels by content (kb.graph.blank_nodes)."""
    graph = ox.NamedNode(own)
    labels = content_labels(quads)
    routed = []
    for q in quads:
        name = q.graph_name
        if isinstance(name, ox.DefaultGraph):
            name = graph
        elif name.value == INFERRED_GRAPH or (skip_ontology and name.value.startswith(ONTOLOGY_GRAPHS)):
            continue
        s, o = q.subject, q.object
        if labels:
            s, o = labels.get(s, s), labels.get(o, o)
        routed.append(ox.Quad(s, q.predicate, o, name))  # type: ignore[arg-type]
    return routed


def _note_definitions(definitions: dict[str, list[str]], quads: list[ox.Quad], added: list[ox.Quad]) -> None:
    said = {q.subject for q in added}
    typed = {
        (q.subject.value, q.graph_name.value)
        for q in quads
        if q.predicate == _TYPE
        and isinstance(q.subject, ox.NamedNode)
        and isinstance(q.graph_name, ox.NamedNode)
        and q.subject in said
    }
    for record, graph in sorted(typed):
        graphs = definitions.setdefault(record, [])
        if graph not in graphs:
            graphs.append(graph)


def _load_error(path: Path, exc: Exception) -> LoadError:
    text = str(exc)
    line = column = None
    if isinstance(exc, SyntaxError) and exc.lineno:
        line, column = exc.lineno, exc.offset
    match = _POSITION.search(text)
    if match:
        line, column = int(match.group(1)), int(match.group(2))
    message = re.sub(r"^Parser error at line \d+ column \d+: ", "", text)
    message = re.sub(r" \(line \d+\)$", "", message)
    kind = "syntax error"
    if isinstance(exc, OSError):
        kind, message = "cannot read", re.sub(r" \(os error \d+\)$", "", exc.strerror or text)
    elif not isinstance(exc, SyntaxError):
        kind = "unknown file type"
    return LoadError(display_path(path), line, column, message, kind)
