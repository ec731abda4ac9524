"""The vocabulary's documentation as HTML, and the vocabulary itself in RDF formats.

pyLODE documents the OWL part of ontology/mmkb.ttl (the ontology's metadata, its classes and properties
with their definitions, domains and ranges); the sections after it are written here from the same files:
the SKOS concept schemes of concepts.ttl with their concepts, the SHACL shapes of shapes.ttl with each
constraint and its message, grouped by what they target, and one example record per class from the
shipped curated data. Everything is read from local files: nothing is fetched.

The page is built once per process and stylesheet location (a few seconds), then kept; the vocabulary's
serializations likewise, one per format.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kb.namespaces import MM, PREFIXES, SH, prefixed
from kb.paths import CONCEPTS_FILE, ONTOLOGY_FILES, SHAPES_FILE, VOCABULARY_FILE, curated_files

STYLESHEET = (
    "pylode.css"  # pyLODE's stylesheet, written beside index.html (the service's CSP allows no inline style)
)
INDEX = "index.html"
EXAMPLE_LINES = 40  # an example record longer than this is cut, and says so

# The vocabulary's RDF formats: name -> (media type, rdflib serializer).
VOCABULARY_FORMATS: dict[str, tuple[str, str]] = {
    "turtle": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "ntriples": ("application/n-triples", "nt"),
}

_SHAPE_PREFIXES = {**PREFIXES, "sh": str(SH), "mms": "https://w3id.org/mmkb/shapes#"}
_NOT_CONSTRAINTS = {RDF.type, SH.property, SH.sparql, SH.message, SH.path, SH.targetClass, SH.targetObjectsOf}
_TARGETS = (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode)


def vocabulary_graph() -> Graph:
    """The vocabulary as published at its namespace: the OWL terms and the concept schemes."""
    graph = Graph()
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri)
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


@lru_cache(maxsize=len(VOCABULARY_FORMATS))
def vocabulary_bytes(fmt: str) -> bytes:
    """The vocabulary serialized in `fmt`, a key of VOCABULARY_FORMATS (KeyError otherwise)."""
    serializer = VOCABULARY_FORMATS[fmt][1]
    return vocabulary_graph().serialize(format=serializer, encoding="utf-8")


def stylesheet() -> bytes:
    """pyLODE's stylesheet, which the page links to."""
    return _pylode_css().read_bytes()


@lru_cache(maxsize=2)
def ontology_html(stylesheet_href: str = STYLESHEET) -> str:
    """The documentation page, linking its stylesheet at `stylesheet_href`."""
    vocabulary = Graph().parse(VOCABULARY_FILE, format="turtle")
    page = _ontpub()(ontology=vocabulary).make_html(include_css=True)
    # pyLODE inlines its stylesheet; the page links it instead.
    start, end = page.index("<style>"), page.index("</style>") + len("</style>")
    link = f'<link href="{html.escape(stylesheet_href)}" rel="stylesheet" type="text/css">'
    page = page[:start] + link + page[end:]
    concepts = Graph().parse(CONCEPTS_FILE, format="turtle")
    shapes = Graph().parse(SHAPES_FILE, format="turtle")
    data = Graph()
    for path in curated_files():
        data.parse(path, format="turtle")
    extra = "\n".join((concept_schemes_html(concepts), shapes_html(shapes), examples_html(vocabulary, data)))
    close = page.rindex("</body>")
    return page[:close] + extra + page[close:]


def write_ontology_docs(out: Path) -> list[Path]:
    """Write the documentation as static HTML into the folder `out` (made when missing): index.html and
    its stylesheet. Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    index, css = out / INDEX, out / STYLESHEET
    index.write_text(ontology_html(STYLESHEET), encoding="utf-8")
    shutil.copyfile(_pylode_css(), css)
    return [index, css]


def _ontpub() -> Any:
    """pyLODE's OntPub, imported when a page is made. pyLODE configures the root logger when imported
    (level DEBUG, a handler on stderr); the caller's logging is put back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        import pylode.utils
        from pylode import OntPub
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    _writable_cache(pylode.utils)
    return OntPub


def _writable_cache(utils: Any) -> None:
    """pyLODE caches the ontologies it ships (pickle files) in its own package folder on first use, and
    fails on a folder it cannot write (an install read-only to the service's user). Such a folder without
    the cache is copied once to a temporary folder, which pyLODE then reads and caches in."""
    folder = Path(utils.RDF_FOLDER)
    cached = all((folder / name).is_file() for name in ("refs.pickle", "refs_titles.pickle"))
    if cached or os.access(folder, os.W_OK):
        return
    copy = Path(tempfile.mkdtemp(prefix="mmkb-pylode-")) / "rdf"
    shutil.copytree(folder, copy)
    utils.RDF_FOLDER = copy


def _pylode_css() -> Path:
    return Path(str(files("pylode") / "pylode.css"))


def _curie(term: Node, prefixes: dict[str, str] = _SHAPE_PREFIXES) -> str:
    text = str(term)
    if isinstance(term, URIRef):
        return prefixed(term, prefixes) or f"<{text}>"
    if isinstance(term, Literal):
        return text if term.datatype is not None else f'"{text}"'
    return text


def _section(section_id: str, title: str, body: list[str]) -> str:
    return f'<section id="{section_id}">\n<h2>{html.escape(title)}</h2>\n' + "\n".join(body) + "\n</section>"


def concept_schemes_html(concepts: Graph) -> str:
    """Each concept scheme with its definition and a table of its concepts (CURIE, label, definition)."""
    body: list[str] = []
    for scheme in sorted(concepts.subjects(RDF.type, SKOS.ConceptScheme), key=str):
        members = sorted(concepts.subjects(SKOS.inScheme, scheme), key=str)
        body.append(f'<h3 id="{html.escape(_curie(scheme))}">{html.escape(_label(concepts, scheme))}</h3>')
        body.append(f"<p><code>{html.escape(_curie(scheme))}</code> {_text(concepts, scheme)}</p>")
        rows = "".join(
            f"<tr><td><code>{html.escape(_curie(c))}</code></td><td>{html.escape(_label(concepts, c))}</td>"
            f"<td>{_text(concepts, c)}</td></tr>"
            for c in members
        )
        body.append(f"<table><tr><th>concept</th><th>label</th><th>definition</th></tr>{rows}</table>")
    return _section("conceptschemes", "Concept schemes", body)


def shapes_html(shapes: Graph) -> str:
    """Each SHACL node shape under its targets: its own constraints and message, then one row per property
    constraint (path, constraints, message) and the messages of its SPARQL constraints."""
    body: list[str] = []
    for shape in sorted(shapes.subjects(RDF.type, SH.NodeShape), key=str):
        targets = ", ".join(
            f"{_curie(target)} {_curie(value)}"
            for target in _TARGETS
            for value in sorted(shapes.objects(shape, target), key=str)
        )
        body.append(f'<h3 id="{html.escape(_curie(shape))}">{html.escape(_curie(shape))}</h3>')
        body.append(f"<p>targets: <code>{html.escape(targets or 'none (used by other shapes)')}</code></p>")
        own = _constraints(shapes, shape)
        if own:
            body.append(f"<p>constraints: <code>{html.escape(own)}</code></p>")
        for message in sorted(shapes.objects(shape, SH.message), key=str):
            body.append(f"<p>message: {html.escape(str(message))}</p>")
        rows = []
        for prop in sorted(shapes.objects(shape, SH.property), key=lambda p: _curie(_path(shapes, p))):
            rows.append(
                f"<tr><td><code>{html.escape(_curie(_path(shapes, prop)))}</code></td>"
                f"<td><code>{html.escape(_constraints(shapes, prop))}</code></td>"
                f"<td>{_messages(shapes, prop)}</td></tr>"
            )
        if rows:
            body.append(
                "<table><tr><th>path</th><th>constraints</th><th>message</th></tr>"
                + "".join(rows)
                + "</table>"
            )
        for constraint in sorted(shapes.objects(shape, SH.sparql), key=lambda c: _messages(shapes, c)):
            body.append(f"<p>SPARQL constraint: {_messages(shapes, constraint)}</p>")
    return _section("shapes", "SHACL shapes", body)


def examples_html(vocabulary: Graph, data: Graph) -> str:
    """For each class of the vocabulary, its first record in the curated data (by IRI) as Turtle."""
    body: list[str] = []
    for cls in sorted(vocabulary.subjects(RDF.type, OWL.Class), key=str):
        if not str(cls).startswith(str(MM)):
            continue
        body.append(f'<h3 id="example-{html.escape(_curie(cls))}">{html.escape(_curie(cls))}</h3>')
        records = sorted((s for s in data.subjects(RDF.type, cls) if isinstance(s, URIRef)), key=str)
        if not records:
            inferred = (cls, MM.inferredOnly, Literal(True)) in vocabulary
            why = "only the reasoner writes these" if inferred else "none in the shipped curated files"
            body.append(f"<p>No example record: {why}.</p>")
            continue
        body.append(f"<pre>{html.escape(example_turtle(data, records[0]))}</pre>")
    return _section("examples", "Example records", body)


def example_turtle(data: Graph, record: URIRef) -> str:
    """The record's concise bounded description in Turtle, cut after EXAMPLE_LINES lines."""
    description = data.cbd(record)
    for prefix, iri in PREFIXES.items():
        description.bind(prefix, iri, replace=True)
    lines = [
        line for line in description.serialize(format="turtle").splitlines() if not line.startswith("@prefix")
    ]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) > EXAMPLE_LINES:
        lines = [*lines[:EXAMPLE_LINES], f"# ... {len(lines) - EXAMPLE_LINES} more lines"]
    return "\n".join(lines)


def _label(graph: Graph, term: Node) -> str:
    label = graph.value(term, SKOS.prefLabel) or graph.value(term, RDFS.label)
    return str(label) if label is not None else _curie(term)


def _text(graph: Graph, term: Node) -> str:
    definition = graph.value(term, SKOS.definition) or graph.value(term, RDFS.comment)
    return html.escape(str(definition)) if definition is not None else ""


def _path(shapes: Graph, prop: Node) -> Node:
    path = shapes.value(prop, SH.path)
    return path if path is not None else prop


def _messages(shapes: Graph, node: Node) -> str:
    return " ".join(html.escape(str(m)) for m in sorted(shapes.objects(node, SH.message), key=str))


def _constraints(shapes: Graph, node: Node) -> str:
    """The constraints of a shape node as compact Turtle (sh:minCount 1 ; sh:class mm:Study ...)."""
    parts = []
    for predicate, value in sorted(shapes.predicate_objects(node), key=lambda pv: (str(pv[0]), str(pv[1]))):
        if predicate in _NOT_CONSTRAINTS or predicate in _TARGETS:
            continue
        parts.append(f"{_curie(predicate)} {_value(shapes, value)}")
    return " ; ".join(parts)


def _value(shapes: Graph, value: Node) -> str:
    if isinstance(value, BNode):
        if (value, RDF.first, None) in shapes:
            return "( " + " ".join(_value(shapes, item) for item in Collection(shapes, value)) + " )"
        inner = _constraints(shapes, value)
        path = shapes.value(value, SH.path)
        if path is not None:
            inner = f"sh:path {_curie(path)} ; {inner}" if inner else f"sh:path {_curie(path)}"
        return f"[ {inner} ]"
    return _curie(value)
