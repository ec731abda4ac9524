"""Read the ontology and curated files into one store, each file in its own named graph."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.graph.store import GraphStore, Location
from kb.namespaces import GRAPH_IRI
from kb.paths import DATA_DIR, ONTOLOGY_DIR, ONTOLOGY_FILES, curated_files, display_path

FORMATS = {
    ".ttl": "ox-turtle",
    ".nt": "ox-ntriples",
    ".jsonld": "ox-json-ld",
    ".json": "ox-json-ld",
    ".trig": "ox-trig",
    ".nq": "ox-nquads",
    ".rdf": "ox-xml",
    ".owl": "ox-xml",
}

_POSITION = re.compile(r"line (\d+) column (\d+)")


@dataclass(frozen=True)
class LoadError:
    """A file that could not be read: where and why."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: syntax error: {self.message}"


@dataclass
class Loaded:
    store: GraphStore
    files: dict[str, Path] = field(default_factory=dict)  # graph IRI -> file
    errors: list[LoadError] = field(default_factory=list)

    def file_of_graph(self, graph: str) -> str:
        path = self.files.get(graph)
        return display_path(path) if path else graph


def graph_iri(path: Path) -> str:
    """Shipped files get stable graph names (ontology/..., data/...); others are named by file URI."""
    resolved = path.resolve()
    for base, prefix in ((ONTOLOGY_DIR, "ontology/"), (DATA_DIR, "data/")):
        if resolved.is_relative_to(base.resolve()):
            return GRAPH_IRI + prefix + resolved.relative_to(base.resolve()).as_posix()
    return resolved.as_uri()


def rdf_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path}: unknown RDF file type {path.suffix!r}; use one of {', '.join(sorted(FORMATS))}"
        ) from None


def load(
    paths: list[Path] | None = None,
    *,
    location: str | None = None,
    with_ontology: bool = True,
) -> Loaded:
    """Load the ontology plus `paths` (default: the shipped curated files).

    A file that fails to parse is reported in `errors` and leaves no partial triples behind;
    the other files still load.
    """
    loaded = Loaded(GraphStore(Location.parse(location)))
    files = list(ONTOLOGY_FILES) if with_ontology else []
    files += curated_files() if paths is None else [Path(p) for p in paths]
    for path in files:
        iri = graph_iri(path)
        if iri in loaded.files:
            continue
        try:
            loaded.store.parse_file(path, iri, rdf_format(path))
        except (SyntaxError, ValueError, OSError) as exc:
            loaded.store.clear_graph(iri)
            loaded.errors.append(_load_error(path, exc))
            continue
        loaded.files[iri] = path
    return loaded


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
    if isinstance(exc, OSError):
        message = exc.strerror or text
    return LoadError(display_path(path), line, column, message)
