"""No 500 from /sparql: large legitimate queries work, bad ones are 4xx, crashed workers 503 and replaced."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from api.sparql_engine import Job
from api.sparql_pool import Closed, Full, PoolLimits, WorkerPool, WorkerPools
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import PREFIXES
from tests.api.conftest import sparql_app

STUDIES = "SELECT ?s WHERE { ?s a mm:Study }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SETTINGS = Settings(sparql_deadline_seconds=3.0, sparql_max_query_bytes=100 * 1024)


def _app(settings: Settings) -> FastAPI:
    return sparql_app(KnowledgeBase.open(), settings)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return _app(SETTINGS)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def rows(client: TestClient, query: str) -> int:
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return len(response.json()["results"]["bindings"])


def pids(app: FastAPI) -> list[int]:
    started: list[int] = app.state.sparql.pids()
    assert started
    return started


def test_a_select_with_95_triple_patterns_works(client: TestClient) -> None:
    query = "SELECT ?s WHERE { " + " ".join(["?s a mm:Study ."] * 95) + " }"
    assert rows(client, query) == rows(client, STUDIES) > 0


def test_40_nested_groups_work(client: TestClient) -> None:
    query = "SELECT ?s WHERE " + "{ " * 40 + "?s a mm:Study " + "} " * 40
    assert rows(client, query) == rows(client, STUDIES)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("# only a comment", "empty"),
        ("#\r# two comments\n", "empty"),
        ('SELECT * WHERE { BIND("\\UFFFFFFFF" AS ?x) }', "syntax error at line 1"),
        ("SELECT * WHERE { ?s ?p", "syntax error at line 1"),
        ("PREFIX x: <http://example.org/>", "syntax error"),
    ],
)
def test_empty_and_malformed_queries_are_400(client: TestClient, query: str, words: str) -> None:
    for response in (
        client.get("/sparql", params={"query": query}),
        client.post("/sparql", data={"query": query}),
        client.post("/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}),
    ):
        assert response.status_code == 400, response.text
        assert words in response.text


def test_a_10000_step_path_crash_is_503_and_the_worker_replaced(app: FastAPI, client: TestClient) -> None:
    rows(client, STUDIES)
    before = pids(app)
    query = "SELECT * WHERE { ?s " + "/".join(["mm:p"] * 10_000) + " ?o }"
    response = client.post("/sparql", content=query, headers={"content-type": "application/sparql-query"})
    assert response.status_code == 503, response.text
    assert "ended its worker" in response.text
    assert rows(client, STUDIES) > 0
    assert pids(app) != before


def test_a_worker_killed_from_outside_answers_503_then_is_replaced(app: FastAPI, client: TestClient) -> None:
    rows(client, STUDIES)
    killed = pids(app)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    statuses = [client.get("/sparql", params={"query": STUDIES}).status_code for _ in range(len(killed) + 1)]
    assert set(statuses) <= {200, 503} and statuses[0] == 503 and statuses[-1] == 200
    assert not set(pids(app)) & set(killed)


def test_query_size_limit_is_413_by_every_method(app: FastAPI, client: TestClient) -> None:
    app.state.settings = dataclasses.replace(SETTINGS, sparql_max_query_bytes=1000)
    try:
        query = STUDIES + " #" + "x" * 1000
        responses = [
            client.get("/sparql", params={"query": query}),
            client.post("/sparql", data={"query": query}),
            client.post("/sparql", content=query, headers={"content-type": "application/sparql-query"}),
            client.post(  # a body far past the limit is refused before it is read
                "/sparql",
                content=iter([b"SELECT * WHERE { ?s ?p ?o }" + b" " * 65536] * 100),
                headers={"content-type": "application/sparql-query"},
            ),
        ]
    finally:
        app.state.settings = SETTINGS
    assert [r.status_code for r in responses] == [413] * 4
    assert "1000 bytes" in responses[0].text


def test_a_340_kb_filter_is_parsed_under_the_deadline_in_the_worker(app: FastAPI, client: TestClient) -> None:
    values = ", ".join(f'"value number {i}"' for i in range(17_000))
    query = f"SELECT ?o WHERE {{ ?s ?p ?o FILTER(?o IN ({values})) }}"
    assert len(query) > 340_000
    app.state.settings = dataclasses.replace(
        SETTINGS, sparql_max_query_bytes=400_000, sparql_deadline_seconds=2
    )
    try:
        started = time.monotonic()
        response = client.post("/sparql", content=query, headers={"content-type": "application/sparql-query"})
        elapsed = time.monotonic() - started
    finally:
        app.state.settings = SETTINGS
    print(f"340 KB FILTER IN: {response.status_code} in {elapsed:.2f} s")
    assert response.status_code in (200, 503)
    assert elapsed < 2 + 5


def test_an_allocation_past_the_memory_limit_is_503_and_the_worker_replaced() -> None:
    app = _app(dataclasses.replace(SETTINGS, sparql_worker_memory_mb=400, sparql_deadline_seconds=20))
    greedy = "SELECT ?o ?c WHERE { ?a ?b ?c . ?s ?p ?o } ORDER BY ?o ?c LIMIT 1"  # sorts 54 M rows
    with TestClient(app) as client:
        rows(client, STUDIES)
        before = pids(app)
        response = client.get("/sparql", params={"query": greedy})
        assert response.status_code == 503, response.text
        assert rows(client, STUDIES) > 0
        assert pids(app) != before


@contextmanager
def _pool(workers: int, queue: int, recycle_mb: int = 1024) -> Iterator[WorkerPool]:
    """A started pool of the shipped data, its workers ended afterwards."""
    kb = KnowledgeBase.open()
    pools = WorkerPools()

    def dump() -> bytes:
        return kb.store.oxigraph.dump(format=ox.RdfFormat.N_QUADS) or b""

    try:
        pool = pools.pool_for(
            kb, dump, json.dumps(PREFIXES).encode(), PoolLimits(workers, queue, 1024, recycle_mb)
        )
        assert pool.started
        yield pool
    finally:
        pools.close()


def _job(query: str) -> Job:
    return Job(query, "application/sparql-results+json", None, 100, 1_000_000)


def test_a_worker_grown_past_the_threshold_is_replaced_after_its_job() -> None:
    with _pool(1, 0, recycle_mb=1) as pool:  # every worker is past 1 MiB
        first = pool.pids()
        assert pool.run_blocking(_job(STUDIES), 10).status == 200
        assert pool.wait_ready()
        assert pool.pids() != first


def test_the_queue_is_bounded_and_answers_full_at_once() -> None:
    async def four(pool: WorkerPool) -> list[object]:
        return await asyncio.gather(*(pool.run(_job(SLOW), 1.5) for _ in range(4)), return_exceptions=True)

    with _pool(1, 1) as pool:
        started = time.monotonic()
        outcomes = asyncio.run(four(pool))
        elapsed = time.monotonic() - started
    full = [o for o in outcomes if isinstance(o, Full)]
    assert len(full) == 2, outcomes
    assert "2 SPARQL queries are already running or waiting" in str(full[0])
    assert elapsed < 15


def test_close_ends_running_and_waiting_runs_at_once() -> None:
    ended: list[tuple[str, float]] = []
    with _pool(1, 1) as pool:

        def run() -> None:
            try:
                pool.run_blocking(_job(SLOW), 30)
                ended.append(("answered", time.monotonic()))
            except Closed:
                ended.append(("closed", time.monotonic()))

        threads = [threading.Thread(target=run) for _ in range(2)]  # one runs, one waits for the worker
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        closing = time.monotonic()
        pool.close()
        for thread in threads:
            thread.join(timeout=5)
    assert [kind for kind, _ in ended] == ["closed", "closed"]
    print(f"runs ended {max(t for _, t in ended) - closing:.3f} s after close()")
    assert max(t for _, t in ended) - closing < 2
