"""Records as RDF text: the terms a synthetic record holds, written as Turtle or as N-Triples.

A record is a subject and its (predicate, object) pairs. Predicates and IRIs are CURIEs of the
prefixes below (or a full IRI in angle brackets); an object is an IRI, a literal (int, bool, str,
a decimal's lexical form, or a typed lexical form), several objects, or a blank node's own pairs.
Writing is plain string work, one record at a time, so that a knowledge base of any size streams out
without a graph in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from kb.namespaces import PREFIXES


class Iri(str):
    """An IRI as a CURIE (id:..., mm:...) or in angle brackets."""


class Dec(str):
    """An xsd:decimal by its lexical form as printed ("29.2", "17.0")."""


class Typed(tuple[str, str]):
    """A literal of another datatype: (lexical form, datatype CURIE)."""

    def __new__(cls, lexical: str, datatype: str) -> Typed:
        return super().__new__(cls, (lexical, datatype))


class Many(tuple["Obj", ...]):
    """Several objects of one predicate."""


class Blank(tuple[tuple[str, "Obj"], ...]):
    """A blank node, by its (predicate, object) pairs."""


Obj = Iri | Dec | Typed | Many | Blank | str | int | bool
Pairs = list[tuple[str, Obj]]
Record = tuple[Iri, Pairs]

# Prefixes a synthetic file declares (the curated files' set).
TURTLE_PREFIXES = ("id", "mm", "oa", "prov", "rdfs", "xsd", "dcterms", "bibo")
_XSD = PREFIXES["xsd"]
_INTEGER = f"^^<{_XSD}integer>"
_DECIMAL = f"^^<{_XSD}decimal>"
_BOOLEAN = f"^^<{_XSD}boolean>"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _string(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def turtle_header() -> str:
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in sorted(TURTLE_PREFIXES)) + "\n"


def _ttl_term(o: Obj) -> str:
    """A term that is not a blank node or a list, as Turtle."""
    if isinstance(o, Iri | Dec):
        return o
    if isinstance(o, bool):
        return "true" if o else "false"
    if isinstance(o, int):
        return str(o)
    if isinstance(o, Typed):
        return f"{_string(o[0])}^^{o[1]}"
    assert isinstance(o, str), o
    return _string(o)


def _ttl_pairs(pairs: Pairs | Blank, indent: str, out: list[str]) -> int:
    """Append the pairs at `indent`; returns the number of triples they hold."""
    count = 0
    for p, o in pairs:
        if isinstance(o, Blank):
            out.append(f"{indent}{p}\n")
            count += 1 + _ttl_blank(o, indent + "    ", out)
            out.append(" ;\n")
        elif isinstance(o, Many):
            out.append(f"{indent}{p}\n")
            for i, each in enumerate(o):
                if i:
                    out.append(" ,\n")
                if isinstance(each, Blank):
                    count += 1 + _ttl_blank(each, indent + "    ", out)
                else:
                    count += 1
                    out.append(f"{indent}    {_ttl_term(each)}")
            out.append(" ;\n")
        else:
            count += 1
            out.append(f"{indent}{p} {_ttl_term(o)} ;\n")
    return count


def _ttl_blank(pairs: Blank, indent: str, out: list[str]) -> int:
    out.append(f"{indent}[\n")
    count = _ttl_pairs(pairs, indent + "    ", out)
    out.append(f"{indent}]")
    return count


def turtle(records: list[Record], out: list[str]) -> int:
    """Append the records as Turtle blocks (the curated files' layout); returns the triple count."""
    count = 0
    for subject, pairs in records:
        out.append(f"{subject}\n")
        count += _ttl_pairs(pairs, "    ", out)
        out.append(".\n\n")
    return count


_ID = PREFIXES["id"]
_VOCABULARY: dict[str, str] = {"a": f"<{PREFIXES['rdf']}type>"}  # predicates and concepts: a few dozen


def _nt_iri(curie: str) -> str:
    full = _VOCABULARY.get(curie)
    if full is not None:
        return full
    if curie[0] == "<":
        return curie
    prefix, _, local = curie.partition(":")
    if prefix == "id":  # record IRIs are many and each seen a few times: not kept
        return f"<{_ID}{local}>"
    full = _VOCABULARY[curie] = f"<{PREFIXES[prefix]}{local}>"
    return full


def _nt_term(o: Obj) -> str:
    """A term that is not a blank node or a list, as N-Triples."""
    if isinstance(o, Iri):
        return _nt_iri(o)
    if isinstance(o, Dec):
        return f'"{o}"{_DECIMAL}'
    if isinstance(o, bool):
        return f'"{"true" if o else "false"}"{_BOOLEAN}'
    if isinstance(o, int):
        return f'"{o}"{_INTEGER}'
    if isinstance(o, Typed):
        return f"{_string(o[0])}^^{_nt_iri(o[1])}"
    assert isinstance(o, str), o
    return _string(o)


def _nt_pairs(subject: str, pairs: Pairs | Blank, blanks: Iterator[str], out: list[str]) -> int:
    count = 0
    for p, o in pairs:
        predicate = _nt_iri(p)
        for each in o if isinstance(o, Many) else (o,):
            count += 1
            if isinstance(each, Blank):
                label = next(blanks)
                out.append(f"{subject} {predicate} {label} .\n")
                count += _nt_pairs(label, each, blanks, out)
            else:
                out.append(f"{subject} {predicate} {_nt_term(each)} .\n")
    return count


def ntriples(records: list[Record], blank_prefix: str, out: list[str]) -> int:
    """Append the records as N-Triples, blank nodes labelled `_:<blank_prefix>b<n>`; returns the count."""
    blanks = (f"_:{blank_prefix}b{i}" for i in range(1_000_000_000))
    return sum(_nt_pairs(_nt_iri(subject), pairs, blanks, out) for subject, pairs in records)
