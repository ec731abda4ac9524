"""A cell's text and the RDF term it stands for, by the column's kind (kb.curation.template)."""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kb.curation import template as t
from kb.namespaces import ID_IRI, MM_IRI

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)$")
_DATATYPES = {
    t.DATE_TIME: (XSD.dateTime, re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")),
    t.DATE: (XSD.date, re.compile(r"^\d{4}-\d\d-\d\d$")),
    t.YEAR: (XSD.gYear, re.compile(r"^\d{4}$")),
}
# The typed unknowns as a reviewer writes them; the template's own spelling is the term's name.
UNKNOWNS = {
    "not reported": "NotReported",
    "nr": "NotReported",
    "lost in extraction": "LostInExtraction",
    "not reached": "NotReached",
    "not estimable": "NotEstimable",
    "ne": "NotEstimable",
    "not applicable": "NotApplicable",
    "na": "NotApplicable",
    "n/a": "NotApplicable",
}


EMPTY_TEXT = '""'  # a text that is empty (an empty cell says nothing)


def _empty_text(text: str) -> str:
    if text == "":
        return EMPTY_TEXT
    raise CellError(f"the text {text!r} would read back as another text; write it without surrounding blanks")


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says what to write."""


def read(text: str, kind: str) -> Node:
    """The term a non-empty cell stands for (one value; the caller splits columns holding several)."""
    text = text if kind == t.TEXT else text.strip()
    if kind == t.TEXT:
        return Literal("" if text == EMPTY_TEXT else text)
    if kind == t.RECORD:
        return URIRef(ID_IRI + _name(text.removeprefix("id:"), "a record id such as `sirius-dara16`"))
    if kind == t.TERM:
        return URIRef(MM_IRI + _term_name(text))
    if kind == t.URL:
        if not re.match(r"^https?://\S+$", text):
            raise CellError(f"{text!r} is not a web address; write it as https://...")
        return URIRef(text)
    if kind == t.BOOLEAN:
        return Literal(_boolean(text), datatype=XSD.boolean)
    if kind in _DATATYPES:
        datatype, pattern = _DATATYPES[kind]
        if not pattern.match(text):
            raise CellError(f"{text!r} is not {t.KINDS[kind].split(',')[0]}; write it as {t.KINDS[kind]}")
        return Literal(text, datatype=datatype)
    if kind == t.VALUE:
        return _value(text)
    raise CellError(f"no column holds {kind!r}")


def write(term: Node, kind: str) -> str:
    """The cell text for a term; CellError when the column cannot hold it (the sheet would change it)."""
    if kind == t.TEXT and isinstance(term, Literal) and term.datatype is None and not term.language:
        if str(term).strip() in ("", EMPTY_TEXT):
            return _empty_text(str(term))
        return str(term)
    if kind == t.RECORD and isinstance(term, URIRef) and str(term).startswith(ID_IRI):
        return str(term)[len(ID_IRI) :]
    if kind in (t.TERM, t.VALUE) and isinstance(term, URIRef) and str(term).startswith(MM_IRI):
        return str(term)[len(MM_IRI) :]
    if kind == t.URL and isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal) and term.language is None:
        wanted = {t.BOOLEAN: {XSD.boolean}, t.VALUE: {XSD.integer, XSD.decimal, XSD.boolean}}
        wanted |= {k: {d} for k, (d, _) in _DATATYPES.items()}
        if term.datatype in wanted.get(kind, set()):
            return str(term)
    raise CellError(f"{term.n3()} does not fit a {kind} column")


def _name(text: str, what: str) -> str:
    if not _NAME.match(text):
        raise CellError(f"{text!r} is not {what}")
    return text


def _term_name(text: str) -> str:
    name = UNKNOWNS.get(text.lower(), text.removeprefix("mm:"))
    return _name(name, "a vocabulary term such as `PR` or `daratumumab` (letters, digits, - and _)")


def _boolean(text: str) -> str:
    if text.lower() not in ("true", "false"):
        raise CellError(f"{text!r} is not true or false; write true or false")
    return text.lower()


def _value(text: str) -> Node:
    if _INTEGER.match(text):
        return Literal(text, datatype=XSD.integer)
    if _DECIMAL.match(text):
        return Literal(text, datatype=XSD.decimal)
    if text.lower() in ("true", "false"):
        return Literal(text.lower(), datatype=XSD.boolean)
    if text.lower() in UNKNOWNS or _NAME.match(text.removeprefix("mm:")):
        return URIRef(MM_IRI + _term_name(text))
    raise CellError(
        f"{text!r} is not a number, true/false or a typed unknown; write the number as printed (29.2), "
        "or not reported, lost in extraction, not reached, not estimable, not applicable"
    )
