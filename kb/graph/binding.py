"""Safe parameter binding for SPARQL text: a VALUES block of validated terms at the top of WHERE.

Parameters are never formatted into query text as strings: each becomes an IRI or a typed literal in
its canonical N-Triples form. An IRI is checked twice: that it cannot break out of its angle brackets
(for a clear message), and by Oxigraph's own IRI parser, the one that will read it in the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_IRI = re.compile(r'[\s<>"{}|^`\\]')


class BindingError(ValueError):
    """A parameter that cannot be bound safely."""


def iri_text(iri: str) -> str:
    """`iri` in angle brackets, or BindingError if Oxigraph would not read it as an absolute IRI."""
    if not iri or _BAD_IRI.search(iri):
        raise BindingError(f'not a valid IRI (empty, or a space or one of <>"{{}}|^`\\ in it): {iri!r}')
    try:
        ox.NamedNode(iri)
    except ValueError as exc:  # UnicodeEncodeError (a lone surrogate) is a ValueError too
        raise BindingError(f"not a valid IRI: {iri!r}: {exc}") from None
    return f"<{iri}>"


def term_text(term: Node) -> str:
    if isinstance(term, URIRef):
        return iri_text(str(term))
    if isinstance(term, Literal):
        if term.datatype is not None:
            iri_text(str(term.datatype))
        try:
            str(term).encode("utf-8")
        except UnicodeEncodeError:
            raise BindingError(f"not a valid literal (a lone surrogate in it): {str(term)!r}") from None
        return term.n3()
    raise BindingError(f"only IRIs and literals can be bound, not {type(term).__name__}")


def where_brace(query: str) -> int:
    """Index of the '{' that opens the WHERE clause, skipping comments, strings and IRIs."""
    i, n = 0, len(query)
    seen_where = False
    first_brace = -1
    while i < n:
        c = query[i]
        if c == "#":
            i = query.find("\n", i)
            if i < 0:
                break
            continue
        if c in "\"'":
            triple = query[i : i + 3] == c * 3
            end = query.find(c * 3, i + 3) if triple else _string_end(query, i, c)
            if end < 0:
                break
            i = end + (3 if triple else 1)
            continue
        if c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", query[i:]):
            i = query.find(">", i) + 1
            continue
        if c == "{":
            if seen_where:
                return i
            if first_brace < 0:
                first_brace = i
        if (
            c in "wW"
            and query[i : i + 5].upper() == "WHERE"
            and (i == 0 or not query[i - 1].isalnum())
            and not query[i + 5 : i + 6].isalnum()
        ):
            seen_where = True
            i += 5
            continue
        i += 1
    if first_brace >= 0 and not re.search(r"\bCONSTRUCT\b", query, re.IGNORECASE):
        return first_brace
    raise BindingError("cannot find the WHERE clause to bind parameters into")


def _string_end(query: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
            continue
        if query[i] == quote:
            return i
        i += 1
    return -1


def bind(query: str, params: Mapping[str, Node | Sequence[Node]]) -> str:
    """Return the query with a VALUES block for `params` as the first element of its WHERE group.

    A parameter given a sequence binds the variable to each of its values (a disjunction).
    """
    if not params:
        return query
    blocks = []
    for name, value in params.items():
        if not _VARIABLE.match(name):
            raise BindingError(f"not a variable name: {name!r}")
        values = [value] if isinstance(value, Node) else list(value)
        blocks.append(f"VALUES ?{name} {{ {' '.join(term_text(v) for v in values)} }}")
    at = where_brace(query) + 1
    return query[:at] + "\n  " + "\n  ".join(blocks) + "\n" + query[at:]
