"""Query rows as plain Python values: what `GraphStore.rows`, the read of the hot paths, gives.

`GraphStore.select` gives rdflib terms, and building them (IRI validation, literal casting) costs several
times what Oxigraph takes to answer. `GraphStore.rows` gives each solution as a dict from variable name to
a plain value (unbound variables absent), read from Oxigraph's own results on the embedded store:

- an IRI as its string, a blank node as `_:label`;
- an xsd:integer (or a type derived from it) as int, an xsd:decimal as Decimal (so that a printed '45.0'
  keeps its precision), an xsd:double or xsd:float as float, an xsd:boolean as bool;
- any other literal, and a number whose text is not of its type, as its text.

So a number is never a str, and a typed unknown (an IRI such as mm:NotReported) never a number; IRIs and
string literals are both str, told apart by the column they are in (or by an isLiteral() column the
query adds). A back-end that does not read its engine's results itself converts the rdflib rows of
`select` with `plain` to the same values, except that rdflib normalizes the text of some literals on the
way (a dateTime's Z becomes +00:00).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

Value = str | int | float | Decimal | bool

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


def _integer(text: str) -> Value:
    return int(text) if _INTEGER_TEXT.fullmatch(text) else text


def _decimal(text: str) -> Value:
    return Decimal(text) if _DECIMAL_TEXT.fullmatch(text) else text


def _double(text: str) -> Value:
    return float(text) if _DOUBLE_TEXT.fullmatch(text) else text


def _boolean(text: str) -> Value:
    return _BOOLEAN.get(text, text)


_INTEGER_TYPES = (
    *("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger"),
    *("long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
)
_CASTS: dict[str, Callable[[str], Value]] = {
    **{_XSD + name: _integer for name in _INTEGER_TYPES},
    _XSD + "decimal": _decimal,
    _XSD + "double": _double,
    _XSD + "float": _double,
    _XSD + "boolean": _boolean,
}


def literal_value(text: str, datatype: str | None) -> Value:
    """A literal's plain value from its text and datatype IRI (see the module docstring)."""
    cast = _CASTS.get(datatype) if datatype else None
    return cast(text) if cast is not None else text


def value(term: object) -> Value:
    """A pyoxigraph term as a plain value."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return literal_value(term.value, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    raise TypeError(f"not an RDF term: {term!r}")


def plain(term: Node) -> Value:
    """An rdflib term as the plain value `value` gives its pyoxigraph twin."""
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return literal_value(str(term), str(term.datatype) if term.datatype else None)
    if isinstance(term, BNode):
        return "_:" + str(term)
    raise TypeError(f"not an RDF term: {term!r}")


def solution_rows(solutions: ox.QuerySolutions) -> list[dict[str, Value]]:
    """Oxigraph's solutions as dicts from variable name to plain value (unbound variables absent)."""
    names = [variable.value for variable in solutions.variables]
    out = []
    named, literal, casts = ox.NamedNode, ox.Literal, _CASTS
    for solution in solutions:
        row: dict[str, Value] = {}
        for name, term in zip(names, solution, strict=True):
            # value(term), written out: this loop runs once per value read
            kind = type(term)
            if kind is named:
                row[name] = term.value
            elif kind is literal:
                cast = casts.get(term.datatype.value)
                row[name] = term.value if cast is None else cast(term.value)
            elif term is not None:
                row[name] = value(term)
        out.append(row)
    return out


def is_number(value: Value | None) -> bool:
    """Whether a plain value is a number (a typed unknown, a text or nothing is not)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def whole(value: Value | None) -> int:
    """The integer value of a number; anything else (a typed unknown) is an error."""
    if not is_number(value):
        raise ValueError(f"not a number: {value}")
    return int(value)  # type: ignore[arg-type]
