"""The store contract: what every back-end a location string can choose must do the same way.

Each test runs once per entry of `kb.graph.store.LOCATION_SCHEMES`, so a new back-end added there is
held to the whole contract (and fails `location_for` until the suite knows how to give it a place).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from kb.graph.binding import BindingError
from kb.graph.fast_rows import plain
from kb.graph.store import LOCATION_SCHEMES, SPARQL_SCHEMES, GraphStore, Location, open_store
from tests.integration.servers import Server, empty, oxigraph_server, virtuoso_server

EX = "http://example.org/contract/"
P = URIRef(EX + "p")
Q = URIRef(EX + "q")
A, B, C = URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "c")
G1, G2 = "urn:contract:g1", "urn:contract:g2"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING, XSD_INTEGER, XSD_DECIMAL, XSD_DATE = (
    URIRef(XSD_NS + n) for n in ("string", "integer", "decimal", "date")
)

# One literal of each kind the binding has to carry: plain, language-tagged and typed.
LITERALS = [
    Literal("plain"),
    Literal("Myélome", lang="fr"),
    Literal(3, datatype=XSD_INTEGER),
    Literal("0.45", datatype=XSD_DECIMAL),
    Literal("2021-06-30", datatype=XSD_DATE),
    Literal(True),
]


# The remote back-end runs the suite on real servers: an Oxigraph server written to by SPARQL Update and
# by the Graph Store Protocol, and Virtuoso (where it is installed).
REMOTE_SERVERS = ("oxigraph-update", "oxigraph-gsp", "virtuoso")
PARAMS = [
    pytest.param((scheme, server), id=f"{scheme}[{server}]" if server else scheme)
    for scheme in LOCATION_SCHEMES
    for server in (REMOTE_SERVERS if scheme.startswith(SPARQL_SCHEMES) else ("",))
]


def location_for(scheme: str, tmp_path: Path, server: Server | None = None) -> str:
    """A concrete location string for one entry of LOCATION_SCHEMES (placeholders filled in)."""
    if scheme == "memory":
        return scheme
    if scheme.endswith(":DIR"):
        return scheme.removesuffix("DIR") + str(tmp_path / "store")
    if scheme.startswith(SPARQL_SCHEMES):
        return server.location if server else "sparql+http://127.0.0.1:7878/query?update=/update"
    raise AssertionError(f"the contract suite does not know how to give {scheme!r} a place; add it here")


@pytest.fixture(scope="session")
def oxigraph_for_contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-contract")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_for_contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso-contract")) as server:
        yield server


def remote_server(request: pytest.FixtureRequest, name: str) -> Server:
    """The running server a parameter names (started on first use, one per test process)."""
    if name == "virtuoso":
        return request.getfixturevalue("virtuoso_for_contract")
    server: Server = request.getfixturevalue("oxigraph_for_contract")
    if name == "oxigraph-update":  # the same server, reached without its Graph Store Protocol endpoint
        return replace(server, location=server.location.split("&gsp=")[0])
    return server


@pytest.fixture(params=PARAMS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphStore]:
    scheme, name = request.param
    server = None
    if name:
        server = remote_server(request, name)
        for key, value in server.env.items():
            monkeypatch.setenv(key, value)
        empty(server)
    yield open_store(Location.parse(location_for(scheme, tmp_path, server)))


def triples(*spo: tuple[URIRef, URIRef, object]) -> Graph:
    graph = Graph()
    for s, p, o in spo:
        graph.add((s, p, o if isinstance(o, URIRef | Literal) else Literal(o)))
    return graph


@pytest.fixture
def filled(store: GraphStore) -> GraphStore:
    """Two named graphs: g1 says a p 1, a p 2 and a q b; g2 says b p c and every literal on c."""
    store.add_graph(G1, triples((A, P, 1), (A, P, 2), (A, Q, B)))
    store.add_graph(G2, triples((B, P, C), *((C, Q, lit) for lit in LITERALS)))
    return store


def test_every_scheme_parses_to_its_own_kind(tmp_path: Path) -> None:
    kinds = [Location.parse(location_for(s, tmp_path)).kind for s in LOCATION_SCHEMES]
    assert len(set(kinds)) == len(LOCATION_SCHEMES) >= 2


# ------------------------------------------------------------------ counts and named graphs


def test_a_new_store_is_empty(store: GraphStore) -> None:
    assert len(store) == 0
    assert store.graph_names() == []
    assert store.select("SELECT ?s WHERE { ?s ?p ?o }") == []


def test_len_counts_every_triple_in_every_graph(filled: GraphStore) -> None:
    assert len(filled) == 3 + 1 + len(LITERALS)


def test_added_graphs_are_listed_sorted(filled: GraphStore) -> None:
    assert filled.graph_names() == [G1, G2]


def test_adding_the_same_triples_again_changes_nothing(filled: GraphStore) -> None:
    before = len(filled)
    filled.add_graph(G1, triples((A, P, 1)))
    assert len(filled) == before
    assert filled.graph_names() == [G1, G2]


def test_clearing_a_graph_removes_it_and_only_it(filled: GraphStore) -> None:
    filled.clear_graph(G1)
    assert filled.graph_names() == [G2]
    assert len(filled) == 1 + len(LITERALS)
    assert not filled.ask(f"ASK {{ <{A}> ?p ?o }}")
    assert filled.ask(f"ASK {{ <{B}> <{P}> <{C}> }}")


def test_clearing_an_unknown_graph_is_harmless(filled: GraphStore) -> None:
    filled.clear_graph("urn:contract:never-added")
    assert filled.graph_names() == [G1, G2]


def test_a_cleared_graph_can_be_filled_again(filled: GraphStore) -> None:
    filled.clear_graph(G1)
    filled.add_graph(G1, triples((A, P, 9)))
    assert filled.graph_names() == [G1, G2]
    assert [int(r["o"]) for r in filled.select(f"SELECT ?o WHERE {{ <{A}> <{P}> ?o }}")] == [9]


def test_the_default_graph_is_the_union_of_the_named_graphs(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }} ORDER BY ?s ?o")
    assert [(r["s"], r["o"]) for r in rows] == [(A, Literal(1)), (A, Literal(2)), (B, C)]


def test_graph_patterns_name_the_graph_a_triple_came_from(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s <{P}> <{C}> }} }}")
    assert rows == [{"g": URIRef(G2)}]
    inside = filled.select(f"SELECT ?s WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert {r["s"] for r in inside} == {A}


def test_a_triple_is_stored_in_one_graph_only_so_the_union_counts_it_once(store: GraphStore) -> None:
    # The union default graph is a bag on every back-end (a triple in two graphs would match twice), so
    # the store keeps each triple in the first graph that brought it, and the union stays a set.
    store.add_graph(G1, triples((A, P, B)))
    store.add_graph(G2, triples((A, P, B), (A, P, C)))
    assert len(store) == 2
    assert store.select(f"SELECT ?s WHERE {{ ?s <{P}> <{B}> }}") == [{"s": A}]
    assert store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s <{P}> <{B}> }} }}") == [{"g": URIRef(G1)}]
    assert store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s <{P}> <{C}> }} }}") == [{"g": URIRef(G2)}]


def test_the_same_file_parsed_into_two_graphs_adds_nothing_the_second_time(
    store: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "evidence.ttl"
    path.write_text(
        f"<{A}> <{P}> [ <{Q}> [ <{Q}> 7 ] ] .\n<{B}> <{P}> [ <{Q}> 8 ] , [ <{Q}> 8 ] .\n", encoding="utf-8"
    )
    store.parse_file(path, G1)
    # identical blank nodes under the same subject are one node (the graph's lean form)
    assert len(store) == 5
    store.parse_file(path, G2)
    assert len(store) == 5
    assert G2 not in store.graph_names()
    rows = store.select(f"SELECT ?x WHERE {{ <{A}> <{P}>/<{Q}>/<{Q}> ?x }}")
    assert rows == [{"x": Literal(7)}]


def test_parse_file_loads_into_the_named_graph(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "one.ttl"
    path.write_text(f"<{A}> <{P}> <{B}> .\n<{B}> <{P}> 7 .\n", encoding="utf-8")
    store.parse_file(path, G1)
    assert store.graph_names() == [G1]
    assert len(store) == 2
    assert {(s, p, o, str(g)) for s, p, o, g in store.quads()} == {
        (A, P, B, G1),
        (B, P, Literal(7), G1),
    }


def test_parse_file_reports_a_syntax_error(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text(f"<{A}> <{P}> .\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        store.parse_file(path, G1)
    assert len(store) == 0


def test_union_graph_is_a_plain_copy_of_every_triple(filled: GraphStore) -> None:
    copy = filled.union_graph()
    assert len(copy) == len(filled)
    assert (C, Q, Literal("2021-06-30", datatype=XSD_DATE)) in copy
    copy.remove((None, None, None))
    assert len(filled) == 3 + 1 + len(LITERALS)


# ------------------------------------------------------------------ select, ask, construct


def test_select_rows_map_variables_to_terms_and_leave_unbound_ones_out(filled: GraphStore) -> None:
    rows = filled.select(
        f"SELECT ?s ?o ?missing WHERE {{ ?s <{Q}> ?o OPTIONAL {{ ?s <{EX}none> ?missing }} }} "
        "ORDER BY ?s LIMIT 1"
    )
    assert rows == [{"s": A, "o": B}]


def test_select_keeps_literal_datatypes_and_languages(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT ?o WHERE {{ <{C}> <{Q}> ?o }}")
    got = {r["o"] for r in rows}
    # A plain literal comes back as the RDF 1.1 equivalent, an xsd:string-typed literal.
    assert got == {Literal("plain", datatype=XSD_STRING), *LITERALS[1:]}
    assert Literal("plain") not in got
    by_lexical = {str(t): t for t in got}
    assert by_lexical["Myélome"].language == "fr"
    assert by_lexical["2021-06-30"].datatype == XSD_DATE
    assert by_lexical["3"].toPython() == 3


def test_select_aggregates(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT (SUM(?o) AS ?total) (COUNT(*) AS ?n) WHERE {{ <{A}> <{P}> ?o }}")
    assert int(rows[0]["total"]) == 3
    assert int(rows[0]["n"]) == 2


def test_select_knows_the_shipped_prefixes(filled: GraphStore) -> None:
    # Queries above the store use mm:, xsd: and friends without declaring them.
    assert filled.select("SELECT ?x WHERE { ?x a mm:Study }") == []
    assert filled.ask("ASK { ?s ?p ?o FILTER(datatype(?o) = xsd:date) }")


def test_rows_are_the_select_rows_as_plain_values(filled: GraphStore) -> None:
    # The hot paths read rows(): on every back-end the rows of select(), each term as its plain value.
    text = f"SELECT ?s ?p ?o ?missing WHERE {{ ?s ?p ?o OPTIONAL {{ ?s <{EX}none> ?missing }} }}"
    expected = [{name: plain(term) for name, term in row.items()} for row in filled.select(text)]
    assert sorted(map(repr, filled.rows(text))) == sorted(map(repr, expected))
    assert {r["o"] for r in filled.rows(f"SELECT ?o WHERE {{ <{A}> <{P}> ?o }}")} == {1, 2}
    with pytest.raises(SyntaxError):
        filled.rows("ASK { ?s ?p ?o }")


def test_ask(filled: GraphStore) -> None:
    assert filled.ask(f"ASK {{ <{A}> <{P}> 2 }}") is True
    assert filled.ask(f"ASK {{ <{A}> <{P}> 5 }}") is False


def test_construct_returns_a_graph(filled: GraphStore) -> None:
    result = filled.query(f"CONSTRUCT {{ ?o <{EX}back> ?s }} WHERE {{ ?s <{P}> ?o FILTER(isIRI(?o)) }}")
    assert result.type == "CONSTRUCT"
    assert result.graph is not None
    assert set(result.graph) == {(C, URIRef(EX + "back"), B)}


def test_query_result_types(filled: GraphStore) -> None:
    assert filled.query("SELECT * WHERE { ?s ?p ?o }").type == "SELECT"
    assert filled.query("ASK { ?s ?p ?o }").type == "ASK"


# ------------------------------------------------------------------ bindings


def test_an_iri_binding_restricts_the_answer(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }}", {"s": B})
    assert rows == [{"s": B, "o": C}]


def test_a_sequence_binding_is_a_disjunction(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT ?s WHERE {{ ?s <{P}> ?o }} ORDER BY ?s", {"s": [A, B]})
    assert [r["s"] for r in rows] == [A, A, B]


@pytest.mark.parametrize("literal", LITERALS, ids=lambda t: t.datatype or t.language or "plain")
def test_a_typed_literal_binding_matches_only_that_literal(filled: GraphStore, literal: Literal) -> None:
    assert filled.select(f"SELECT ?s WHERE {{ ?s <{Q}> ?o }}", {"o": literal}) == [{"s": C}]


def test_a_literal_of_another_datatype_does_not_match(filled: GraphStore) -> None:
    as_string = Literal("2021-06-30", datatype=XSD_STRING)
    assert filled.select(f"SELECT ?s WHERE {{ ?s <{Q}> ?o }}", {"o": as_string}) == []
    assert filled.ask(f"ASK {{ ?s <{Q}> ?o }}", {"o": Literal("fr-less Myélome")}) is False


def test_bindings_reach_ask_and_construct(filled: GraphStore) -> None:
    assert filled.ask(f"ASK {{ ?s <{P}> ?o }}", {"o": Literal(2)}) is True
    assert filled.ask(f"ASK {{ ?s <{P}> ?o }}", {"o": Literal(5)}) is False
    result = filled.query(f"CONSTRUCT {{ ?s <{EX}r> ?o }} WHERE {{ ?s <{P}> ?o }}", {"s": B})
    assert result.graph is not None
    assert set(result.graph) == {(B, URIRef(EX + "r"), C)}


def test_a_bound_value_is_data_not_query_text(filled: GraphStore) -> None:
    hostile = Literal('x" } ?s ?p ?o { "')
    assert filled.select(f"SELECT ?s WHERE {{ ?s <{Q}> ?o }}", {"o": hostile}) == []


@pytest.mark.parametrize(
    "bindings",
    [
        {"s": URIRef("http://example.org/with space")},
        {"s": URIRef("http://example.org/a>b")},
        {"s": URIRef("relative/iri")},
        {"s": URIRef("")},
        {"s": BNode()},
        {"s": Literal("x", datatype=URIRef("not an iri"))},
        {"s": Literal("\ud800")},
        {"not-a-variable": A},
        {"s": [A, URIRef("http://example.org/{bad}")]},
    ],
    ids=[
        "space",
        "angle",
        "relative",
        "empty",
        "blank-node",
        "bad-datatype",
        "lone-surrogate",
        "bad-variable",
        "bad-member",
    ],
)
def test_a_binding_that_cannot_be_made_raises_binding_error(
    filled: GraphStore, bindings: dict[str, object]
) -> None:
    with pytest.raises(BindingError):
        filled.select(f"SELECT ?s WHERE {{ ?s <{P}> ?o }}", bindings)  # type: ignore[arg-type]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "text",
    ["SELECT * WHERE { ?s ?p }", "SELEC ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE { ?s undeclared:p ?o }"],
)
def test_a_syntax_error_raises_syntax_error(filled: GraphStore, text: str) -> None:
    with pytest.raises(SyntaxError):
        filled.query(text)


@pytest.mark.parametrize(
    "text",
    [
        f"INSERT DATA {{ <{A}> <{P}> 99 }}",
        f"DELETE WHERE {{ <{A}> ?p ?o }}",
        f"CLEAR GRAPH <{G1}>",
        "DROP ALL",
    ],
)
def test_an_update_is_refused_and_changes_nothing(filled: GraphStore, text: str) -> None:
    before = sorted(filled.quads())
    with pytest.raises(SyntaxError):
        filled.query(text)
    assert sorted(filled.quads()) == before
    assert filled.graph_names() == [G1, G2]


# ------------------------------------------------------------------ union, datasets and blank nodes


def test_a_join_reads_statements_from_different_graphs(filled: GraphStore) -> None:
    # a q b sits in g1, b p c in g2: the union is one graph, so the path crosses files
    rows = filled.select(f"SELECT ?x WHERE {{ <{A}> <{Q}> ?y . ?y <{P}> ?x }}")
    assert rows == [{"x": C}]


def test_a_query_naming_its_own_dataset_keeps_it(filled: GraphStore) -> None:
    rows = filled.select(f"SELECT DISTINCT ?s FROM <{G2}> WHERE {{ ?s ?p ?o }} ORDER BY ?s")
    assert [r["s"] for r in rows] == [B, C]
    rows = filled.select(f"SELECT DISTINCT ?g FROM NAMED <{G1}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert rows == [{"g": URIRef(G1)}]
    # FROM NAMED alone: the default graph is empty, as SPARQL defines such a dataset
    assert filled.select(f"SELECT ?s FROM NAMED <{G1}> WHERE {{ ?s ?p ?o }}") == []


NESTED = f"<{A}> <{P}> [ <{Q}> [ <{Q}> 7 ] ; <{P}> 1 ] .\n<{B}> <{P}> [ <{Q}> 8 ] .\n"


def test_blank_nodes_come_back_as_blank_nodes_and_term_tests_see_them_so(
    store: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "nested.ttl"
    path.write_text(NESTED, encoding="utf-8")
    store.parse_file(path, G1)
    rows = store.select(f"SELECT ?x ?y WHERE {{ <{A}> <{P}> ?x . ?x <{Q}> ?y }}")
    assert len(rows) == 1 and isinstance(rows[0]["x"], BNode) and isinstance(rows[0]["y"], BNode)
    assert store.ask(f"ASK {{ <{A}> <{P}> ?x FILTER(isBlank(?x) && !isIRI(?x) && !ISURI(?x)) }}")
    assert not store.ask(f"ASK {{ ?s <{P}> ?x FILTER(isIRI(?x)) }}")
    assert store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s)) }")[0]["n"] == Literal(
        4
    )
    # a quad's blank nodes are the ones a query gives
    blank = {s for s, _, _, _ in store.quads() if isinstance(s, BNode)}
    assert rows[0]["x"] in blank and rows[0]["y"] in blank


def test_construct_gives_blank_nodes_back(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "nested.ttl"
    path.write_text(NESTED, encoding="utf-8")
    store.parse_file(path, G1)
    result = store.query(f"CONSTRUCT {{ ?x <{EX}under> <{A}> }} WHERE {{ <{A}> <{P}> ?x }}")
    assert result.graph is not None
    [(subject, _, _)] = list(result.graph)
    assert isinstance(subject, BNode)
    assert subject == store.select(f"SELECT ?x WHERE {{ <{A}> <{P}> ?x }}")[0]["x"]


def test_removing_selected_statements_with_blank_nodes(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "nested.ttl"
    path.write_text(NESTED, encoding="utf-8")
    store.parse_file(path, G1)
    removed = store.remove_selected(
        f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(?p = <{Q}>) }} }}"
    )
    assert removed == {G1: 3}
    assert len(store) == 3
    assert not store.ask(f"ASK {{ ?s <{Q}> ?o }}")


def test_the_nquads_dump_and_the_oxigraph_engine_hold_every_statement(filled: GraphStore) -> None:
    import pyoxigraph as ox

    dumped = list(ox.parse(filled.dump_nquads(), format=ox.RdfFormat.N_QUADS))
    assert sorted(map(str, dumped)) == sorted(map(str, filled.ox_quads()))
    assert len(dumped) == len(filled)
    engine = filled.oxigraph_engine()
    assert len(engine) == len(filled)
    assert sorted(map(str, engine.quads_for_pattern(None, None, None, None))) == sorted(map(str, dumped))
