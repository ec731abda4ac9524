"""Reading RDF files: the serializations mmkb reads, by file suffix, and one parse step for all of them."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


def rdf_format(path: Path) -> ox.RdfFormat:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path}: unknown RDF file type {path.suffix!r}; use one of {', '.join(sorted(FORMATS))}"
        ) from None


def read_quads(path: Path, fmt: ox.RdfFormat | None = None) -> list[ox.Quad]:
    """Every statement of the file as parsed (blank nodes with the parser's labels; see
    kb.graph.blank_nodes.content_labels before storing them).

    Statements outside a named graph come with the default graph as their graph name. Raises
    SyntaxError (with line and column), ValueError for an unknown suffix, OSError for an unreadable file;
    the whole file is read before anything is returned.
    """
    fmt = fmt or rdf_format(path)
    return list(ox.parse(path=path, format=fmt, base_iri=path.resolve().as_uri()))
