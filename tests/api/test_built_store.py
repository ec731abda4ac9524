"""The service on a built store (`mmkb serve --store DIR`, MMKB_STORE): the answers of the files, kept
through failed builds; SPARQL workers that open the same store read-only; /health without counting;
the response cache keyed on the build served."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, SettingsError
from api.sparql_engine import names_dataset
from api.sparql_pool import WorkerPool, WorkerPools
from kb.build import build
from kb.cli import main
from kb.graph.built_store import BUILD_GRAPH, open_build
from kb.knowledge_base import KnowledgeBase
from kb.paths import curated_files
from tests.api.conftest import free_port
from tests.api.test_startup import started
from tests.graph.test_round_trip import SERVICE_PATHS

ROOT = Path(__file__).resolve().parents[2]
MINI = sorted((ROOT / "tests" / "fixtures" / "mini").glob("*.ttl"))
SHACL_BAD = ROOT / "tests" / "fixtures" / "invalid" / "StudyShape-label.ttl"
PATHS = [
    *SERVICE_PATHS,
    "/studies",
    "/studies/study-pollux",
    "/patients?study=study-athens-dara-imid",
    "/network/regimens",
    "/compare/response-rate?format=csv&by=regimen",
    "/export?format=nquads",
]
JSON_RESULTS = {"accept": "application/sparql-results+json"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
AGENTS = "https://w3id.org/mmkb/graph/data/agents.ttl"


def settings(**overrides: object) -> Settings:
    return Settings.from_env(allowed_hosts=("testserver",), sparql_workers=1, **overrides)


@pytest.fixture(scope="module")
def store(built_store: Path) -> Path:
    return built_store


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    """The app as `uvicorn --factory` starts it with MMKB_STORE: it opens the store when it starts."""
    with TestClient(create_app(settings=settings(store=str(store)))) as served:
        yield served


@pytest.fixture(scope="module")
def files_client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, settings())) as served:
        yield served


def same_answers(one: TestClient, other: TestClient) -> None:
    for path in PATHS:
        got, want = one.get(path), other.get(path)
        assert got.status_code == want.status_code == 200, (path, got.text[:200])
        assert got.content == want.content, path


def count(client: TestClient, query: str = COUNT, **params: str) -> int:
    response = client.get("/sparql", params={"query": query, **params}, headers=JSON_RESULTS)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_the_service_on_a_store_answers_as_on_the_files(client: TestClient, files_client: TestClient) -> None:
    assert client.app.state.kb.build is not None  # type: ignore[attr-defined]
    same_answers(client, files_client)


def test_failed_builds_leave_the_service_on_the_good_data(
    store: Path,
    client: TestClient,
    files_client: TestClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served = store.resolve()
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix id: <https://w3id.org/mmkb/id/> .\nid:a id:b id:c ;\n", encoding="utf-8")
    for bad, where in (
        (broken, f"{broken}:3:1: syntax error: "),
        (SHACL_BAD, "tests/fixtures/invalid/StudyShape-label.ttl:12: "),
    ):
        assert main(["build", "--store", str(store), "--kb", *map(str, curated_files()), str(bad)]) == 1
        err = capsys.readouterr().err
        assert f"error: {where}" in err, err
        assert store.resolve() == served
        same_answers(client, files_client)
    assert "bad-study-label" in err  # the record of the SHACL violation
    # a fresh start on the store serves the same good build
    with TestClient(create_app(settings=settings(store=str(store)))) as again:
        same_answers(again, files_client)


def test_a_running_service_serves_the_build_it_started_on(tmp_path: Path, files_client: TestClient) -> None:
    directory = tmp_path / "store"
    build(directory)
    with TestClient(create_app(settings=settings(store=str(directory)))) as running:
        build(directory, MINI)  # a good build of other data, published while the service runs
        same_answers(running, files_client)
        assert count(running, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a mm:Study }") == 8
    with TestClient(create_app(settings=settings(store=str(directory)))) as restarted:
        assert restarted.get("/studies").json()[0]["id"] == "study-example-2024"
        assert count(restarted, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a mm:Study }") == 1


def test_health_reads_the_stamped_count(
    store: Path, client: TestClient, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: object) -> int:
        raise AssertionError("/health must not count triples")

    expected = len(kb.store)
    monkeypatch.setattr(type(kb.store), "__len__", refused)  # the class of every store opened here
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["triples"] == open_build(store).stamp.triples == expected


def test_the_sparql_workers_open_the_built_store_and_get_no_dump(
    store: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    dumps = []
    start = WorkerPools.pool_for

    def watched(self: WorkerPools, owner: object, dump: Callable[[], bytes], *args: Any) -> WorkerPool:
        def counted() -> bytes:
            dumps.append(owner)
            return dump()

        return start(self, owner, counted, *args)

    monkeypatch.setattr(WorkerPools, "pool_for", watched)
    stamp = open_build(store).stamp
    with TestClient(create_app(settings=settings(store=str(store)))) as client:
        # the union of the named graphs, the build's stamp graph included
        in_stamp = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BUILD_GRAPH}> {{ ?s ?p ?o }} }}")
        assert in_stamp >= len(stamp.quads())
        assert count(client) == stamp.triples + in_stamp
        from_agents = count(client, COUNT.replace("WHERE", f"FROM <{AGENTS}> WHERE"))
        assert from_agents == len(kb.select(f"SELECT ?s WHERE {{ GRAPH <{AGENTS}> {{ ?s ?p ?o }} }}"))
        assert count(client, **{"default-graph-uri": AGENTS}) == from_agents
        pool = client.app.state.sparql.started(client.app.state.kb)  # type: ignore[attr-defined]
        assert pool.data.store_path == str(store.resolve())
        assert pool.data.nquads == b""
        for pid in pool.pids():  # each worker reads the build's own files
            files = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            assert any(f.startswith(f"{store.resolve()}/") for f in files), files
    assert dumps == []


def test_a_file_based_service_still_sends_its_workers_a_copy(
    files_client: TestClient, kb: KnowledgeBase
) -> None:
    assert count(files_client) == len(kb.store)
    pool = files_client.app.state.sparql.started(files_client.app.state.kb)  # type: ignore[attr-defined]
    assert pool.data.store_path is None and pool.data.nquads


def test_the_response_cache_is_keyed_on_the_build_served(store: Path, tmp_path: Path) -> None:
    other = tmp_path / "mini"
    build(other, MINI)
    app = create_app(KnowledgeBase.from_store(store), settings())
    with TestClient(app) as client:
        first = client.get("/studies")
        assert client.get("/studies").headers["x-cache"] == "hit"
        app.state.kb = KnowledgeBase.from_store(other)  # another build served by the same app
        switched = client.get("/studies")
        assert switched.headers["x-cache"] == "miss"
        assert [s["id"] for s in switched.json()] == ["study-example-2024"] != [s["id"] for s in first.json()]
        assert client.get("/studies").headers["x-cache"] == "hit"


def test_a_store_and_files_are_not_served_together(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMKB_DATA", str(MINI[0]))
    with pytest.raises(SettingsError, match="MMKB_STORE serves a built store and MMKB_DATA names files"):
        create_app(settings=settings(store=str(store)))


def test_mmkb_serve_store_answers_as_on_the_files(store: Path, files_client: TestClient) -> None:
    port = str(free_port())
    args = [sys.executable, "-m", "kb.cli", "serve", "--port", port, "--store", str(store)]
    with started(args) as base:
        assert httpx.get(base + "/health").json()["triples"] == open_build(store).stamp.triples
        for path in ("/compare/response-rate?format=json", "/conflicts"):
            got = httpx.get(base + path, timeout=60)
            assert json.loads(got.content) == json.loads(files_client.get(path).content)


def test_the_readme_settings_table_is_the_settings() -> None:
    """Every row of the README's Service settings table is generated from a setting, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Service settings", 1)[1]
    rows = [line for line in section.splitlines() if re.match(r"\| `--", line)]
    expected = []
    for f in dataclasses.fields(Settings):
        default = (",".join(f.default) if isinstance(f.default, tuple) else str(f.default)) or "none"
        shown = default if default == "none" else f"`{default}`"
        expected.append(
            f"| `--{f.name.replace('_', '-')}` | `{f.metadata['env']}` | {shown} | {f.metadata['help']} |"
        )
    assert rows == expected


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <urn:g> WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("select * from <urn:g> where { ?s ?p ?o }", True),
        ("SELECT * \\u0046ROM <urn:g> WHERE { ?s ?p ?o }", True),  # the escape reading counts too
        ('SELECT * WHERE { ?s ?p "FROM" } # FROM', False),
        ("SELECT ?from WHERE { ?from <urn:from> ex:FROM }", False),
        ("SELECT * WHERE { ?s ?p ?o }", False),
    ],
)
def test_a_query_names_its_dataset_only_with_a_from_clause(query: str, names: bool) -> None:
    assert names_dataset(query) is names
