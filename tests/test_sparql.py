"""Parameters are bound as validated terms in a VALUES block, never formatted into query text."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from kb.sparql import BindingError, bind, where_brace


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
