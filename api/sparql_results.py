"""Streaming serialization of SPARQL answers that stops as soon as a row or byte cap is passed."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

if TYPE_CHECKING:
    from typing_extensions import Buffer

SOLUTION_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
BOOLEAN_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


class CapExceeded(Exception):
    """The answer passed a cap; `what` names it (rows, triples or bytes)."""

    def __init__(self, what: str, limit: int) -> None:
        self.what = what
        self.limit = limit
        super().__init__(f"more than {limit} {what}")


class CappedBuffer(io.BytesIO):
    """A binary sink that raises CapExceeded when more than `limit` bytes are written."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.size = 0

    def write(self, data: Buffer) -> int:
        written = memoryview(data).nbytes
        self.size += written
        if self.size > self.limit:
            raise CapExceeded("bytes", self.limit)
        return super().write(data)


def counted(items: Iterable[Any], limit: int, what: str) -> Iterator[Any]:
    """`items`, raising CapExceeded when there are more than `limit` of them."""
    for count, item in enumerate(items, start=1):
        if count > limit:
            raise CapExceeded(what, limit)
        yield item


def write_triples(
    triples: Iterable[ox.Triple], media_type: str, out: CappedBuffer, prefixes: dict[str, str]
) -> None:
    """Serialize `triples` in `media_type` into `out` as they come."""
    ox.serialize(triples, out, GRAPH_FORMATS[media_type], prefixes=prefixes)


def write_solutions(
    variables: list[str], rows: Iterable[list[Any]], media_type: str, out: CappedBuffer
) -> None:
    """Serialize solution rows (terms or None, in the order of `variables`) into `out` as they come."""
    _SOLUTION_WRITERS[media_type](variables, rows, out.write)


def _json(variables: list[str], rows: Iterable[list[Any]], write: Callable[[bytes], Any]) -> None:
    write(b'{"head":{"vars":' + json.dumps(variables).encode() + b'},"results":{"bindings":[')
    separator = b""
    for row in rows:
        binding = {
            name: _json_term(term) for name, term in zip(variables, row, strict=True) if term is not None
        }
        write(separator + json.dumps(binding, ensure_ascii=False, separators=(",", ":")).encode())
        separator = b","
    write(b"]}}")


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        encoded: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            encoded["xml:lang"] = term.language
            if getattr(term, "direction", None) is not None:
                encoded["its:dir"] = str(term.direction).rsplit(".", 1)[-1].lower()
        elif term.datatype.value != _XSD_STRING:
            encoded["datatype"] = term.datatype.value
        return encoded
    triple = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
    return {"type": "triple", "value": {key: _json_term(value) for key, value in triple.items()}}


def _xml(variables: list[str], rows: Iterable[list[Any]], write: Callable[[bytes], Any]) -> None:
    head = "".join(f"<variable name={quoteattr(name)}/>" for name in variables)
    write(f'<?xml version="1.0"?><sparql xmlns="{_RESULTS_NS}"><head>{head}</head><results>'.encode())
    for row in rows:
        bindings = "".join(
            f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
            for name, term in zip(variables, row, strict=True)
            if term is not None
        )
        write(f"<result>{bindings}</result>".encode())
    write(b"</results></sparql>")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    parts = (("subject", term.subject), ("predicate", term.predicate), ("object", term.object))
    return "<triple>" + "".join(f"<{tag}>{_xml_term(value)}</{tag}>" for tag, value in parts) + "</triple>"


def _csv(variables: list[str], rows: Iterable[list[Any]], write: Callable[[bytes], Any]) -> None:
    write((",".join(_csv_field(name) for name in variables) + "\r\n").encode())
    for row in rows:
        write(
            (",".join("" if term is None else _csv_field(_csv_value(term)) for term in row) + "\r\n").encode()
        )


def _csv_value(term: Any) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term.value)
    return str(term)


def _csv_field(text: str) -> str:
    if any(char in text for char in '",\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv(variables: list[str], rows: Iterable[list[Any]], write: Callable[[bytes], Any]) -> None:
    write(("\t".join(f"?{name}" for name in variables) + "\n").encode())
    for row in rows:
        # str() of a term is its N-Triples form, which escapes tabs and line breaks inside literals.
        write(("\t".join("" if term is None else str(term) for term in row) + "\n").encode())


_SOLUTION_WRITERS: dict[str, Callable[[list[str], Iterable[list[Any]], Callable[[bytes], Any]], None]] = {
    "application/sparql-results+json": _json,
    "application/sparql-results+xml": _xml,
    "text/csv": _csv,
    "text/tab-separated-values": _tsv,
}
