"""`mmkb build --store sparql+http://...` and `--store sparql+http://...` on a real Oxigraph server.

A build validates and reasons as on disk, then writes a named graph per file, the inferred graph and the
stamp; opening it writes nothing and answers as the embedded store does. A second build rewrites only the
graphs that changed; a failed one writes nothing; a build that stops half-way leaves no stamp, so readers
refuse the server until a build succeeds.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

import kb.knowledge_base as knowledge_base_module
from api.app import create_app
from api.settings import Settings
from kb import __version__
from kb.build import BuildFailed, build
from kb.cli import main
from kb.graph.built_store import BUILD_GRAPH, BUILT_AT, VERSION, BuiltStoreError, open_build
from kb.graph.remote import CATALOGUE, RemoteGraphStore
from kb.graph.remote_build import open_remote_build
from kb.graph.store import StoreError
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import INFERRED_GRAPH
from kb.paths import curated_files
from tests.graph.test_round_trip import SERVICE_PATHS, answers
from tests.integration.servers import Server, oxigraph_server, virtuoso_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHACL_BAD = FIXTURES / "invalid" / "StudyShape-label.ttl"  # a study without its label
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
MARKER = "<urn:mmkb-test:marker> <urn:mmkb-test:in> <urn:mmkb-test:graph> ."


@pytest.fixture(scope="module")
def built(oxigraph: Server) -> str:
    """The shipped curated files built into the server; its location."""
    build(oxigraph.location)
    return oxigraph.location


@pytest.fixture(scope="module")
def on_disk(built_store: Path) -> Path:
    return built_store


def dataset(server: Server) -> list[tuple[str, ...]]:
    """Every statement the server holds, in any graph, asked for without mmkb."""
    answer = httpx.get(
        f"{server.base}/query",
        params={"query": "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    answer.raise_for_status()
    rows = answer.json()["results"]["bindings"]
    return sorted(tuple(json.dumps(row[v], sort_keys=True) for v in "gspo") for row in rows)


def update(server: Server, text: str) -> None:
    httpx.post(f"{server.base}/update", data={"update": text}, timeout=60).raise_for_status()


def marked(server: Server) -> set[str]:
    """The graphs that hold the marker statement."""
    answer = httpx.get(
        f"{server.base}/query",
        params={"query": f"SELECT ?g WHERE {{ GRAPH ?g {{ {MARKER[:-2]} }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    return {row["g"]["value"] for row in answer.json()["results"]["bindings"]}


def statements(quads: Iterable[ox.Quad]) -> list[str]:
    """The quads as text, in order, but the build time (the builds compared ran at different times)."""
    return sorted(str(q) for q in quads if q.predicate != BUILT_AT)


NUMBERS = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in ("integer", "decimal")}


def numbers_by_value(quad: ox.Quad) -> ox.Quad:
    """The quad with an integer or decimal object as a decimal of its value."""
    o = quad.object
    if isinstance(o, ox.Literal) and o.datatype.value in NUMBERS:
        value = Decimal(o.value)
        o = ox.Literal(
            str(value.normalize() if value % 1 else value.to_integral()), datatype=ox.NamedNode(XSD_DECIMAL)
        )
    return ox.Quad(quad.subject, quad.predicate, o, quad.graph_name)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------- a good build


def test_the_built_server_answers_as_the_embedded_store(
    built: str, shipped: dict[str, object], kb: KnowledgeBase
) -> None:
    remote = KnowledgeBase.from_store(built)
    assert answers(remote) == shipped  # the comparison, conflicts, named questions, records
    assert remote.conflicts == kb.conflicts  # in the order each rule named its records
    assert remote.resolved == kb.resolved
    assert remote.triples() == len(kb.store)


def test_the_server_holds_a_graph_per_file_the_inferred_graph_and_the_stamp_of_an_on_disk_build(
    built: str, on_disk: Path, kb: KnowledgeBase
) -> None:
    remote, local = open_remote_build(built), open_build(on_disk)
    assert dataclasses.replace(remote.stamp, built_at="") == dataclasses.replace(local.stamp, built_at="")
    assert set(remote.stamp.contents) == {*kb.loaded.files, INFERRED_GRAPH}
    assert remote.store.graph_names() == sorted([*remote.stamp.contents, BUILD_GRAPH])
    assert statements(remote.store.ox_quads()) == statements(local.store.ox_quads())
    assert remote.finding_order() == local.finding_order()


def test_opening_the_server_writes_nothing_and_reasons_nothing(
    built: str, oxigraph: Server, shipped: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("opening a built store must not load or reason")

    for name in ("load", "materialize", "record_counts", "classify_findings"):
        monkeypatch.setattr(knowledge_base_module, name, refused)
    before = dataset(oxigraph)
    opened = KnowledgeBase.from_store(built)
    assert answers(opened) == shipped
    assert dataset(oxigraph) == before


def test_the_command_line_on_the_server_prints_what_it_prints_on_the_on_disk_build(
    built: str, on_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = [
        ["compare", "response-rate"],
        ["compare", "response-rate", "--format", "json", "--by", "regimen"],
        ["conflicts"],
        ["query", "--name", "overlapping-cohorts", "--format", "json"],
    ]
    for command in commands:
        remote = cli(capsys, *command, "--store", built)
        assert remote[0] == 0, remote[2]
        assert remote[1] == cli(capsys, *command, "--store", str(on_disk))[1], command


def test_the_service_on_the_server_answers_as_on_the_on_disk_build(
    built: str, on_disk: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: object) -> int:
        raise AssertionError("neither opening nor /health counts the server's triples")

    monkeypatch.setattr(RemoteGraphStore, "__len__", refused)

    def settings(store: str) -> Settings:
        return Settings.from_env(
            allowed_hosts=("testserver",), sparql_workers=1, sparql_deadline_seconds=60.0, store=store
        )

    with (
        TestClient(create_app(settings=settings(built))) as remote,  # what MMKB_STORE=URL serves
        TestClient(create_app(settings=settings(str(on_disk)))) as local,
    ):
        assert remote.get("/health").json()["triples"] == len(kb.store)
        for path in [*SERVICE_PATHS, "/studies", "/compare/response-rate?format=json&by=regimen"]:
            got, want = remote.get(path), local.get(path)
            assert got.status_code == want.status_code == 200, (path, got.text)
            assert json.loads(got.content) == json.loads(want.content), path
        query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
        accept = {"Accept": "application/sparql-results+json"}
        got = remote.get("/sparql", params=query, headers=accept)
        assert got.status_code == 200, got.text
        assert got.json() == local.get("/sparql", params=query, headers=accept).json()


# ---------------------------------------------------------------- failed builds write nothing


def test_a_shacl_violation_or_a_syntax_error_writes_nothing_to_the_server(
    built: str,
    oxigraph: Server,
    tmp_path: Path,
    shipped: dict[str, object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix mm: <https://w3id.org/mmkb/vocab#> .\n\nmm:x a rdfs:Class .\n", encoding="utf-8"
    )
    before = dataset(oxigraph)
    for bad, says in ((SHACL_BAD, "StudyShape-label.ttl:"), (broken, f"{broken}:3:")):
        status, _, err = cli(capsys, "build", "--store", built, "--kb", *map(str, curated_files()), str(bad))
        assert status == 1
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert errors and all(says in line for line in errors), err
        assert (
            err.splitlines()[-1]
            == f"mmkb build: {len(errors)} error{'s' * (len(errors) > 1)}; {built} left as it was"
        )
        assert dataset(oxigraph) == before
    with pytest.raises(BuildFailed):
        build(built, [*curated_files(), broken])
    assert dataset(oxigraph) == before
    assert answers(KnowledgeBase.from_store(built)) == shipped


# ---------------------------------------------------------------- rebuilding, and readers' refusals


def test_a_rebuild_rewrites_only_what_changed_and_readers_refuse_a_build_that_did_not_finish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped_files = curated_files()
    changed = tmp_path / shipped_files[-1].name  # a study outside the shipped folder: its own graph IRI
    shutil.copyfile(shipped_files[-1], changed)
    files = [*shipped_files[:-1], changed]
    with oxigraph_server(tmp_path / "server") as server:
        status, _, err = cli(capsys, "conflicts", "--store", server.location)  # nothing built yet
        assert status == 2
        assert err == (
            f"mmkb: error: {server.location} is not an mmkb build (no stamp, or a build did not finish); "
            f"run `mmkb build --store {server.location}`\n"
        )

        first = build(server.location, files)
        assert first.graphs is not None and first.graphs.kept == first.graphs.dropped == 0
        graphs = sorted(first.stamp.contents)
        changed_graph = changed.resolve().as_uri()
        assert changed_graph in graphs and INFERRED_GRAPH in graphs
        for graph in [*graphs, BUILD_GRAPH]:
            update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ {MARKER} }} }}")

        # only the changed file's graph is written again, with the inferred graph and the stamp
        with changed.open("a", encoding="utf-8") as out:
            out.write("\n# the same statements, other bytes\n")
        status, _, err = cli(capsys, "build", "--store", server.location, "--kb", *map(str, files))
        assert status == 0, err
        kept = len(graphs) - 2
        assert f"; graphs: {kept} kept, 2 replaced, 0 dropped, in " in err
        assert marked(server) == set(graphs) - {changed_graph, INFERRED_GRAPH}

        # a graph of a file the build no longer has is dropped
        again = build(server.location)
        assert again.graphs is not None
        assert (again.graphs.replaced, again.graphs.dropped) == (2, 1)  # the shipped study's graph, inferred
        opened = KnowledgeBase.from_store(server.location)
        assert changed_graph not in opened.store.graph_names()
        held = open_remote_build(server.location).store
        held.name_graphs([changed_graph])
        assert len(held) == 0

        # a server that fails half-way: one line naming its URL; readers refuse it until a build succeeds
        failing = server.location.replace("gsp=/store", "gsp=/no-such-endpoint")
        with pytest.raises(StoreError, match=r"answered HTTP 404.*did not finish"):
            build(failing)
        status, _, err = cli(capsys, "build", "--store", failing)
        assert status == 2
        first, err = err.split("\n", 1)  # the first line names the knowledge base built
        assert first.startswith("mmkb: knowledge base: ")
        assert err.count("\n") == 1 and f"{server.base}/no-such-endpoint" in err
        with pytest.raises(BuiltStoreError, match="no stamp"):
            KnowledgeBase.from_store(server.location)
        build(server.location)
        assert KnowledgeBase.from_store(server.location).triples() == again.stamp.triples

        # a build of another mmkb version is refused, and a build over it rewrites every graph
        version = f"<{BUILD_GRAPH}> <{VERSION.value}>"
        update(
            server,
            f'DELETE {{ GRAPH ?g {{ {version} ?v }} }} INSERT {{ GRAPH ?g {{ {version} "0.0.1" }} }} '
            f"WHERE {{ GRAPH ?g {{ {version} ?v }} }}",
        )
        status, _, err = cli(capsys, "conflicts", "--store", server.location)
        assert (status, err.count("\n")) == (2, 1)
        assert f"was built by mmkb 0.0.1, this is mmkb {__version__}" in err
        over = build(server.location)
        assert over.graphs is not None and over.graphs.kept == 0
        assert KnowledgeBase.from_store(server.location).triples() == over.stamp.triples


def test_a_server_that_is_down_is_one_line_naming_its_url(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.api.conftest import free_port

    location = f"sparql+http://127.0.0.1:{free_port()}/sparql"
    for command in (["build", "--store", location], ["conflicts", "--store", location]):
        status, _, err = cli(capsys, *command)
        assert status == 2
        if command[0] == "build":  # it names the knowledge base it builds first
            first, err = err.split("\n", 1)
            assert first.startswith("mmkb: knowledge base: ")
        assert err.startswith("mmkb: error: cannot reach the SPARQL server at http://127.0.0.1:")
        assert err.count("\n") == 1


def test_the_catalogue_lists_what_the_build_wrote(built: str) -> None:
    remote = open_remote_build(built)
    named = "<http://www.w3.org/ns/sparql-service-description#NamedGraph>"
    catalogue = remote.store.client.query(
        f"SELECT ?g WHERE {{ GRAPH <{CATALOGUE}> {{ ?g a {named} }} }}",
        "application/sparql-results+json",
        named_graphs=[CATALOGUE],
    )
    listed = {row["g"]["value"] for row in json.loads(catalogue.body)["results"]["bindings"]}
    assert listed == {*remote.stamp.contents, BUILD_GRAPH}


# ---------------------------------------------------------------- Virtuoso


def test_a_build_on_virtuoso_reads_back_the_statements_and_findings_of_the_embedded_store(
    tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SPARQL Update only (no Graph Store Protocol), digest authentication. The comparison and the named
    # questions are not asked here: Virtuoso 7.2 evaluates some of their queries otherwise than the
    # standard (tests/integration/test_sparql_servers.py lists which).
    with virtuoso_server(tmp_path / "virtuoso") as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        first = build(server.location)
        assert first.graphs is not None and first.graphs.replaced == len(first.stamp.contents)
        again = build(server.location)
        assert again.graphs is not None
        assert (again.graphs.kept, again.graphs.replaced) == (len(again.stamp.contents) - 1, 1)
        opened = KnowledgeBase.from_store(server.location)
        held = [q for q in opened.store.ox_quads() if q.graph_name != ox.NamedNode(BUILD_GRAPH)]
        # Virtuoso gives a whole decimal back as an integer (21.0 as 21): the same value, another type
        assert statements(map(numbers_by_value, held)) == statements(
            map(numbers_by_value, kb.store.ox_quads())
        )
        assert opened.triples() == len(kb.store)
        assert opened.conflicts == kb.conflicts
        assert opened.resolved == kb.resolved
