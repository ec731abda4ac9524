"""Parameters are bound as validated terms in a VALUES block, never formatted into query text."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef

from kb.graph.binding import BindingError, bind, where_brace
from kb.graph.store import GraphStore, OxigraphGraphStore

# rdflib warns about every odd IRI it is asked to hold; here that is the point.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

QUERY = "SELECT ?s WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def store() -> GraphStore:
    return OxigraphGraphStore()


def test_values_block_goes_inside_where():
    query = "# a { comment\nPREFIX ex: <http://ex/{x}>\nSELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
    bound = bind(query, {"s": URIRef("http://ex/a")})
    assert "WHERE {\n  VALUES ?s { <http://ex/a> }" in bound
    assert bound.endswith("?s ?p ?o } ORDER BY ?s")


def test_sequence_binds_each_value_and_literals_are_typed():
    bound = bind("SELECT * WHERE { ?s ?p ?o }", {"o": [Literal(3), Literal("x")]})
    assert 'VALUES ?o { "3"^^<http://www.w3.org/2001/XMLSchema#integer> "x" }' in bound


@pytest.mark.parametrize(
    "bad",
    [URIRef("http://ex/> } ; DROP ALL #"), URIRef('http://ex/"x'), URIRef("http://ex/a b")],
)
def test_iri_that_breaks_out_is_refused(bad):
    with pytest.raises(BindingError):
        bind("SELECT * WHERE { ?s ?p ?o }", {"s": bad})


def test_string_literal_cannot_break_out():
    bound = bind("SELECT * WHERE { ?s ?p ?o }", {"o": Literal('x" } DROP ALL { "')})
    assert '"x\\" } DROP ALL { \\""' in bound


def test_bad_variable_name_refused():
    with pytest.raises(BindingError):
        bind("SELECT * WHERE { ?s ?p ?o }", {"s }": URIRef("http://ex/a")})


def test_braces_in_strings_and_comments_are_skipped():
    query = 'SELECT ?s WHERE # {\n { ?s ?p "}{" }'
    assert query[where_brace(query)] == "{"
    assert where_brace(query) == query.index("{ ?s")


def test_construct_without_where_is_refused():
    with pytest.raises(BindingError):
        bind("CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }", {"s": URIRef("http://ex/a")})


@pytest.mark.parametrize(
    "text",
    [
        "http://ex/%",
        "http://ex/%zz",
        "http://ex/a%2",
        "http://ex/\x00",
        "http://ex/\x7f",
        "http://ex/\x85",
        "http://ex/[",
        "http://ex/]",
        "http://ex/\ue000",
        "http://ex/\ufdd0",
        "http://ex/\ufffe",
        "http://ex/\U0001fffe",
        "http://ex/\U0010ffff",
        "http://ex/a#b#c",
        "http://ex/\ud800",
        "no-scheme",
    ],
    ids=repr,
)
def test_iri_that_oxigraph_rejects_is_refused_before_the_query(store, text):
    with pytest.raises(BindingError, match="not a valid IRI"):
        store.select(QUERY, {"s": URIRef(text)})


@pytest.mark.parametrize(
    "text", ["http://ex/%2F", "http://ex/\u00e9t\u00e9", "urn:mmkb:x", "http://[::1]/a?b#c"]
)
def test_valid_iris_still_bind_and_run(store, text):
    assert store.select(QUERY, {"s": URIRef(text)}) == []


def test_a_literal_with_an_invalid_datatype_iri_is_refused(store):
    with pytest.raises(BindingError, match="not a valid IRI"):
        store.select(QUERY, {"o": Literal("x", datatype=URIRef("http://ex/%zz"))})


_IRI_TEXT = st.text() | st.builds("http://ex/{}".format, st.text()) | st.builds("urn:{}".format, st.text())


@settings(max_examples=400, deadline=None, database=None)
@given(text=_IRI_TEXT)
@example(text="http://ex/%")
@example(text="http://ex/%zz")
@example(text="http://ex/\x00")
@example(text="http://ex/[")
@example(text="http://ex/\ue000")
@example(text="http://ex/\ud800")
def test_an_iri_parameter_is_refused_or_the_query_runs(store, text):
    """Any text bound as an IRI: BindingError, or Oxigraph runs the query (never a SyntaxError)."""
    try:
        bound = bind(QUERY, {"s": URIRef(text)})
    except BindingError:
        return
    assert store.select(QUERY, {"s": URIRef(text)}) == [], bound


_LITERALS = st.builds(Literal, st.text()) | st.builds(
    lambda text, datatype: Literal(text, datatype=URIRef(datatype)), st.text(), _IRI_TEXT
)


@settings(max_examples=200, deadline=None, database=None)
@given(literal=_LITERALS)
@example(literal=Literal("\ud800"))
@example(literal=Literal("x", datatype=URIRef("http://ex/[")))
def test_a_literal_parameter_is_refused_or_the_query_runs(store, literal):
    try:
        bind(QUERY, {"o": literal})
    except BindingError:
        return
    assert store.select(QUERY, {"o": literal}) == []
