"""mmkb on real SPARQL 1.1 servers, started here on 127.0.0.1: an Oxigraph server, and Virtuoso Open
Source as a second, independent implementation.

On either server the shipped knowledge base, loaded through mmkb (a named graph per curated file), gives
the answers of the embedded store: the comparison, the conflicts, every named question, the records, the
command line and the REST routes. The queries are written so that both evaluate them as SPARQL 1.1
defines, where Virtuoso 7.2 would otherwise answer some constructs differently (the .rq files say where).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef

from api.app import create_app
from api.settings import Settings
from kb.analysis.questions import Question, questions
from kb.cli import main
from kb.graph.load import load
from kb.graph.remote import RemoteGraphStore
from kb.graph.store import GraphStore, Location, StoreError, open_store
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import INFERRED_GRAPH
from kb.paths import curated_files
from tests.graph.test_round_trip import SERVICE_PATHS, answers, comparison
from tests.integration.servers import Server, oxigraph_server, virtuoso_server


@pytest.fixture(scope="module")
def on_oxigraph(oxigraph: Server) -> KnowledgeBase:
    """The shipped knowledge base loaded into the Oxigraph server through mmkb."""
    return KnowledgeBase.open(location=oxigraph.location)


@pytest.fixture(scope="module")
def shipped(kb: KnowledgeBase) -> dict[str, object]:
    return answers(kb)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------- Oxigraph server


def test_the_knowledge_base_on_an_oxigraph_server_answers_as_the_embedded_store(
    on_oxigraph: KnowledgeBase, shipped: dict[str, object]
) -> None:
    assert answers(on_oxigraph) == shipped


def test_the_server_holds_a_named_graph_per_file_with_the_statements_of_the_embedded_store(
    on_oxigraph: KnowledgeBase, kb: KnowledgeBase
) -> None:
    assert on_oxigraph.store.graph_names() == kb.store.graph_names()
    assert len(on_oxigraph.store) == len(kb.store)
    assert sorted(map(str, on_oxigraph.store.ox_quads())) == sorted(map(str, kb.store.ox_quads()))
    assert on_oxigraph.export("nquads") == kb.export("nquads")


def test_the_knowledge_base_opened_again_on_the_filled_server_answers_the_same(
    on_oxigraph: KnowledgeBase, oxigraph: Server, shipped: dict[str, object]
) -> None:
    # the files' statements are there already (none is written twice), the inferences are made again
    again = KnowledgeBase.open(location=oxigraph.location)
    assert len(again.store) == len(on_oxigraph.store)
    assert again.store.graph_names() == on_oxigraph.store.graph_names()
    assert comparison(again) == shipped["comparison"]
    assert sorted((str(f.iri), f.message) for f in again.conflicts) == [
        (iri, message)
        for iri, _, message in shipped["conflicts"]  # type: ignore[attr-defined]
    ]


def test_the_command_line_on_the_server_prints_what_it_prints_on_the_embedded_store(
    on_oxigraph: KnowledgeBase, oxigraph: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_the_command_line_prints_alike(oxigraph, capsys)


def test_the_rest_routes_on_the_server_answer_as_on_the_embedded_store(
    on_oxigraph: KnowledgeBase, kb: KnowledgeBase
) -> None:
    assert_the_rest_routes_answer_alike(on_oxigraph, kb)


def assert_the_command_line_prints_alike(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """Commands given the server's location print what they print on the embedded store."""
    commands = [
        ["compare", "response-rate", "--format", "json"],
        ["conflicts"],
        ["query", "--name", "overlapping-cohorts", "--format", "json"],
    ]
    for command in commands:
        assert cli(capsys, *command, "--location", server.location) == cli(capsys, *command), command


def assert_the_rest_routes_answer_alike(remote_kb: KnowledgeBase, kb: KnowledgeBase) -> None:
    """The service on the server's knowledge base answers every route as on the embedded one."""
    # a generous deadline: the first /sparql request starts the SPARQL workers, slow on a busy machine
    settings = Settings.from_env(allowed_hosts=("testserver",), sparql_deadline_seconds=60.0)
    paths = [*SERVICE_PATHS, "/studies", "/compare/response-rate?format=json&by=regimen"]
    with (
        TestClient(create_app(remote_kb, settings)) as remote,
        TestClient(create_app(kb, settings)) as embedded,
    ):
        for path in paths:
            got, want = remote.get(path), embedded.get(path)
            assert got.status_code == want.status_code == 200, (path, got.text)
            assert json.loads(got.content) == json.loads(want.content), path
        query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a mm:Study }"}
        accept = {"Accept": "application/sparql-results+json"}
        got, want = (
            remote.get("/sparql", params=query, headers=accept),
            embedded.get("/sparql", params=query, headers=accept),
        )
        assert got.status_code == want.status_code == 200, got.text
        assert got.json()["results"] == want.json()["results"]


def test_one_file_is_replaced_without_touching_the_other_graphs(tmp_path: Path, kb: KnowledgeBase) -> None:
    with oxigraph_server(tmp_path / "server") as server:
        loaded = load(location=server.location)
        store = loaded.store
        before = {g: graph_quads(store, g) for g in store.graph_names()}
        study = curated_files()[0]
        graph = next(g for g, path in loaded.files.items() if path == study)
        store.clear_graph(graph)
        assert graph not in store.graph_names()
        assert {g: graph_quads(store, g) for g in store.graph_names()} == {
            g: quads for g, quads in before.items() if g != graph
        }
        store.parse_file(study, graph)
        assert {g: graph_quads(store, g) for g in store.graph_names()} == before


def graph_quads(store: GraphStore, graph: str) -> list[str]:
    return sorted(str(q) for q in store.ox_quads() if q.graph_name == ox.NamedNode(graph))


# ---------------------------------------------------------------- Virtuoso


@pytest.fixture(scope="module")
def virtuoso_kb(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Iterator[GraphStore]:
    """Virtuoso holding the knowledge base as mmkb writes it: the curated files loaded a named graph each,
    and the inferred graph the embedded store computed (reasoning does not run on Virtuoso)."""
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        with pytest.MonkeyPatch.context() as env:
            for key, value in server.env.items():
                env.setenv(key, value)
            store = load(location=server.location).store
        store.add(q for q in kb.store.ox_quads() if q.graph_name == ox.NamedNode(INFERRED_GRAPH))
        yield store


@pytest.fixture(scope="module")
def virtuoso_for_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso-kb")) as server:
        yield server


@pytest.fixture(scope="module")
def on_virtuoso(virtuoso_for_module: Server) -> Iterator[KnowledgeBase]:
    """The shipped knowledge base opened on Virtuoso through mmkb: the files loaded, the inferences made
    there."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in virtuoso_for_module.env.items():
            env.setenv(key, value)
        yield KnowledgeBase.open(location=virtuoso_for_module.location)


@pytest.fixture
def virtuoso_credentials(virtuoso_for_module: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    for key, value in virtuoso_for_module.env.items():
        monkeypatch.setenv(key, value)
    return virtuoso_for_module


@pytest.fixture
def virtuoso(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A Virtuoso server of the test's own, whose credentials are in the environment."""
    with virtuoso_server(tmp_path / "virtuoso") as server:
        for key, value in server.env.items():
            monkeypatch.setenv(key, value)
        yield server


def test_mmkb_loads_the_curated_files_into_virtuoso_a_named_graph_each(virtuoso: Server) -> None:
    on_server, embedded = load(location=virtuoso.location), load()
    assert on_server.errors == embedded.errors == []
    assert on_server.store.graph_names() == embedded.store.graph_names()
    assert len(on_server.store) == len(embedded.store)
    assert sorted(map(str, on_server.store.ox_quads())) == sorted(map(str, embedded.store.ox_quads()))


@pytest.mark.parametrize("question", [pytest.param(q, id=q.name) for q in questions()])
def test_a_named_question_on_virtuoso_answers_as_on_the_embedded_store(
    question: Question, virtuoso_kb: GraphStore, kb: KnowledgeBase
) -> None:
    def rows(store: GraphStore) -> list[tuple[str, ...]]:
        return sorted(
            tuple(repr(row.get(c, Literal(""))) for c in question.returns)
            for row in store.select(question.text)
        )

    try:
        got = rows(virtuoso_kb)
    except StoreError as exc:
        pytest.fail(str(exc))
    assert got == rows(kb.store)


def test_the_knowledge_base_opens_on_virtuoso_and_answers_as_the_embedded_store(
    on_virtuoso: KnowledgeBase, shipped: dict[str, object]
) -> None:
    assert answers(on_virtuoso) == shipped


def test_the_command_line_on_virtuoso_prints_what_it_prints_on_the_embedded_store(
    on_virtuoso: KnowledgeBase, virtuoso_credentials: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_the_command_line_prints_alike(virtuoso_credentials, capsys)


def test_the_rest_routes_on_virtuoso_answer_as_on_the_embedded_store(
    on_virtuoso: KnowledgeBase, virtuoso_credentials: Server, kb: KnowledgeBase
) -> None:
    assert_the_rest_routes_answer_alike(on_virtuoso, kb)


def test_wrong_credentials_are_one_line_that_never_shows_the_password(
    virtuoso: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMKB_SPARQL_PASSWORD", "not-the-password")
    with pytest.raises(StoreError) as raised:
        open_store(Location.parse(virtuoso.location))
    message = str(raised.value)
    assert message.startswith(f"the SPARQL server at {virtuoso.base}/sparql-auth answered HTTP 401")
    assert message.endswith("check MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD")
    assert "not-the-password" not in message and "\n" not in message


def test_an_answer_virtuoso_cuts_short_is_refused(tmp_path: Path) -> None:
    with virtuoso_server(tmp_path / "virtuoso", max_rows=5) as server:
        store = RemoteGraphStore(Location.parse(server.location), server.env)
        store.add_graph("urn:mmkb-test:g", numbered(6))
        assert len(store.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 4")) == 4
        with pytest.raises(StoreError, match="cut the answer at 5 rows; raise its result limit"):
            store.select("SELECT ?s WHERE { ?s ?p ?o }")


def numbered(n: int) -> Graph:
    graph = Graph()
    for i in range(n):
        graph.add((URIRef(f"urn:mmkb-test:s{i}"), URIRef("urn:mmkb-test:p"), Literal(i)))
    return graph
