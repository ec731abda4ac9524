"""GraphStore.rows: the same solutions as GraphStore.select, each value a plain value typed by what it is."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from kb.graph.fast_rows import is_number, plain, value, whole
from kb.graph.load import load
from kb.graph.store import GraphStore
from kb.knowledge_base import KnowledgeBase
from kb.paths import QUERIES_DIR
from kb.queries import check_names, query_text

EX = "http://example.org/rows/"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPH = "urn:rows:g"

# (lexical form, datatype) -> the plain value
LITERALS = [
    (("12", "integer"), 12),
    (("-3", "integer"), -3),
    (("7", "nonNegativeInteger"), 7),
    (("45.0", "decimal"), Decimal("45.0")),
    (("92.90", "decimal"), Decimal("92.90")),
    ((".5", "decimal"), Decimal("0.5")),
    (("1.5E2", "double"), 150.0),
    (("true", "boolean"), True),
    (("0", "boolean"), False),
    (("abc", "integer"), "abc"),  # ill-typed: its text, never a number
    (("1_000", "integer"), "1_000"),
    (("NaN", "decimal"), "NaN"),
    (("2021-06-30", "date"), "2021-06-30"),
    (("plain", "string"), "plain"),
]


@pytest.fixture()
def store() -> GraphStore:
    graph = ox.NamedNode(GRAPH)
    store = load([], with_ontology=False).store  # an empty in-memory store
    subject = ox.NamedNode(EX + "s")
    quads = [
        ox.Quad(
            subject, ox.NamedNode(EX + f"p{i}"), ox.Literal(text, datatype=ox.NamedNode(XSD + kind)), graph
        )
        for i, ((text, kind), _) in enumerate(LITERALS)
    ]
    quads.append(ox.Quad(subject, ox.NamedNode(EX + "link"), ox.NamedNode(EX + "o"), graph))
    quads.append(ox.Quad(subject, ox.NamedNode(EX + "label"), ox.Literal("Myélome", language="fr"), graph))
    quads.append(ox.Quad(subject, ox.NamedNode(EX + "node"), ox.BlankNode("b1"), graph))
    store.add(quads)
    return store


@pytest.mark.parametrize(("i", "expected"), [(i, v) for i, (_, v) in enumerate(LITERALS)])
def test_each_literal_reads_as_its_value(store: GraphStore, i: int, expected: object) -> None:
    (row,) = store.rows(f"SELECT ?v WHERE {{ ?s <{EX}p{i}> ?v }}")
    assert row["v"] == expected and type(row["v"]) is type(expected)
    assert is_number(row["v"]) == (
        isinstance(expected, int | float | Decimal) and not isinstance(expected, bool)
    )


def test_iris_blank_nodes_and_unbound_variables(store: GraphStore) -> None:
    (row,) = store.rows(
        f"SELECT ?o ?l ?b ?missing WHERE {{ ?s <{EX}link> ?o ; <{EX}label> ?l ; <{EX}node> ?b "
        f"OPTIONAL {{ ?s <{EX}nothing> ?missing }} }}",
    )
    assert row["o"] == EX + "o" and row["l"] == "Myélome"
    assert str(row["b"]).startswith("_:")
    assert "missing" not in row


def test_bindings_are_a_values_block(store: GraphStore) -> None:
    text = "SELECT ?p ?v WHERE { ?s ?p ?v }"
    found = store.rows(text, {"p": [URIRef(EX + "p0"), URIRef(EX + "p3")]})
    assert sorted((r["p"], r["v"]) for r in found) == [(EX + "p0", 12), (EX + "p3", Decimal("45.0"))]


def test_only_select_queries(store: GraphStore) -> None:
    with pytest.raises(SyntaxError, match="SELECT"):
        store.rows("ASK { ?s ?p ?o }")
    with pytest.raises(SyntaxError):
        store.rows("SELECT ?s WHERE { ?s ?p }")


def test_whole_refuses_what_is_not_a_number() -> None:
    assert whole(Decimal("12.0")) == 12 and whole(7) == 7
    for value_read in ("https://w3id.org/mmkb/vocab#NotReported", True, None):
        with pytest.raises(ValueError, match="not a number"):
            whole(value_read)  # type: ignore[arg-type]


def test_an_rdflib_term_reads_as_its_oxigraph_twin() -> None:
    # rdflib reads '1_000' as an integer (Python's int() takes underscores, XSD does not): left out
    for (text, kind), expected in (item for item in LITERALS if item[0][0] != "1_000"):
        assert (
            plain(Literal(text, datatype=URIRef(XSD + kind)))
            == expected
            == value(ox.Literal(text, datatype=ox.NamedNode(XSD + kind)))
        )
    assert plain(URIRef(EX + "o")) == value(ox.NamedNode(EX + "o")) == EX + "o"
    assert plain(BNode("b1")) == value(ox.BlankNode("b1")) == "_:b1"


def _selects(names: list[str]) -> list[str]:
    """The SELECT queries among `names` (a CONSTRUCT query gives a graph, not rows)."""
    first = {
        name: next(line for line in query_text(name).splitlines() if line and not line.startswith("#"))
        for name in names
    }
    return [name for name in names if not first[name].lstrip().upper().startswith("CONSTRUCT")]


@pytest.mark.parametrize("name", _selects(sorted(p.stem for p in QUERIES_DIR.glob("*.rq")) + check_names()))
def test_every_query_gives_the_rows_select_gives(kb: KnowledgeBase, name: str) -> None:
    text = query_text(name)
    fast = [sorted(r.items()) for r in kb.store.rows(text)]
    slow = [sorted((k, plain(v)) for k, v in r.items()) for r in kb.store.select(text)]
    # rdflib writes a dateTime's zone as +00:00 where Oxigraph keeps the Z it was given
    fast = [[(k, _utc(v)) for k, v in r] for r in fast]
    assert sorted(map(repr, fast)) == sorted(map(repr, slow))


def _utc(value: object) -> object:
    return value[:-1] + "+00:00" if isinstance(value, str) and value.endswith(":00Z") else value
