"""No query, by any method or spelling, makes the SPARQL worker open a connection: a listener counts them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from kb.knowledge_base import KnowledgeBase
from tests.api.conftest import CountingListener, sparql_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = sparql_app(KnowledgeBase.open(), Settings(sparql_deadline_seconds=5.0))
    with TestClient(app) as client:
        yield client


def test_the_listener_counts_a_real_connection(listener: CountingListener) -> None:
    before = listener.count()
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    assert listener.count() == before + 1


SERVICE = "SERVICE <{url}> { ?s ?p ?o }"
# Each reaches SERVICE (or LOAD) by a path on which two SPARQL grammars could disagree.
QUERIES = {
    "comment-ended-by-cr": "SELECT * WHERE { #\rSERVICE <{url}> { ?s ?p ?o }\n}",
    "crlf-lines": "SELECT * WHERE { # a comment\r\nSERVICE <{url}> { ?s ?p ?o }\r\n}",
    "cr-lines": "SELECT *\rWHERE {\r" + SERVICE + "\r}",
    "lf-lines": "SELECT *\nWHERE {\n" + SERVICE + "\n}",
    "codepoint-escape": "SELECT * WHERE { \\u0053ERVICE <{url}> { ?s ?p ?o } }",
    "long-escape": "SELECT * WHERE { \\U00000053ERVICE <{url}> { ?s ?p ?o } }",
    "lower-case": "select * where { service <{url}> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }",
    "variable-endpoint": "SELECT * WHERE { BIND(<{url}> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "values-endpoint": "SELECT * WHERE { VALUES ?e { <{url}> } SERVICE ?e { ?s ?p ?o } }",
    "exists": "SELECT * WHERE { ?x ?y ?z FILTER EXISTS { " + SERVICE + " } } LIMIT 1",
    "not-exists": "SELECT * WHERE { ?x ?y ?z FILTER NOT EXISTS { " + SERVICE + " } } LIMIT 1",
    "sub-select": "SELECT * WHERE { { SELECT * WHERE { " + SERVICE + " } } }",
    "optional": "SELECT * WHERE { ?x ?y ?z OPTIONAL { " + SERVICE + " } } LIMIT 1",
    "union-graph": "SELECT * WHERE { { ?x ?y ?z } UNION { GRAPH ?g { " + SERVICE + " } } } LIMIT 1",
    "after-hash-iri": "SELECT * WHERE { ?s <http://example.org/#> ?o . " + SERVICE + " }",
    "after-escaped-quote": 'SELECT * WHERE { BIND("\\"#" AS ?x) ' + SERVICE + " }",
    "after-long-string": "SELECT * WHERE { BIND('''#\n''' AS ?x) " + SERVICE + " }",
    "prologue": "PREFIX e: <{url}#>\nBASE <{url}>\nSELECT * WHERE { SERVICE e:x { ?s ?p ?o } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { " + SERVICE + " }",
    "describe": "DESCRIBE ?s WHERE { " + SERVICE + " }",
    "ask": "ASK { " + SERVICE + " }",
    "load": "LOAD <{url}>",
    "load-after-clear": "CLEAR ALL ; LOAD <{url}> INTO GRAPH <http://example.org/g>",
}


def _send(client: TestClient, method: str, query: str) -> httpx.Response:
    if method == "GET":
        return client.get("/sparql", params={"query": query})
    if method == "form":
        return client.post("/sparql", data={"query": query})
    return client.post(
        "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
    )


@pytest.mark.parametrize("method", ["GET", "form", "direct"])
@pytest.mark.parametrize("name", list(QUERIES))
def test_service_by_any_path_is_4xx_without_a_connection(
    client: TestClient, listener: CountingListener, name: str, method: str
) -> None:
    before = listener.accepted
    url = f"http://127.0.0.1:{listener.port}/sparql"
    response = _send(client, method, QUERIES[name].replace("{url}", url))
    assert 400 <= response.status_code < 500, response.text
    assert listener.count() == before
    text = response.text.lower()
    assert str(listener.port) not in text and "os error" not in text and "refused" not in text


@pytest.mark.parametrize(
    "params",
    [
        {"query": "SELECT * FROM <{url}> WHERE { ?s ?p ?o }"},
        {"query": "SELECT * FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }"},
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "{url}"},
        {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": "{url}"},
    ],
)
def test_a_remote_graph_name_is_an_empty_graph_never_fetched(
    client: TestClient, listener: CountingListener, params: dict[str, str]
) -> None:
    before = listener.accepted
    url = f"http://127.0.0.1:{listener.port}/data.ttl"
    response = client.get("/sparql", params={k: v.replace("{url}", url) for k, v in params.items()})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == []
    assert listener.count() == before


def test_the_workers_run_under_the_seccomp_filter(client: TestClient) -> None:
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    pids = client.app.state.sparql.pids()  # type: ignore[attr-defined]
    assert pids
    for pid in pids:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        status = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
        assert status["Seccomp"].strip() == "2" and status["NoNewPrivs"].strip() == "1"


# Runs in a fresh interpreter: confine it as a worker is confined, then try to get out directly.
_ESCAPE_ATTEMPTS = """
import ctypes, json, socket, sys
from api.sparql_sandbox import confine
import os
confine(os.getppid(), 1024)
port = int(sys.argv[1])
found = {}
try:
    socket.create_connection(("127.0.0.1", port), timeout=2)
    found["tcp"] = "connected"
except OSError as exc:
    found["tcp"] = type(exc).__name__
for name, family, kind in [("udp", socket.AF_INET, socket.SOCK_DGRAM), ("inet6", socket.AF_INET6,
        socket.SOCK_STREAM), ("netlink", socket.AF_NETLINK, socket.SOCK_RAW), ("packet", socket.AF_PACKET,
        socket.SOCK_RAW)]:
    try:
        socket.socket(family, kind)
        found[name] = "created"
    except OSError as exc:
        found[name] = type(exc).__name__
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
found["io_uring_setup"] = (libc.syscall(425, 1, params), ctypes.get_errno())
a, b = socket.socketpair()
found["unix"] = "ok"
import pyoxigraph as ox
from api.sparql_engine import Job, evaluate
query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
outcome = evaluate(ox.Store(), {}, Job(query, "application/sparql-results+json", None, 10, 10000))
found["engine"] = [outcome.status, outcome.body.decode()]
print(json.dumps(found))
"""


def test_code_inside_a_confined_worker_cannot_connect(listener: CountingListener) -> None:
    before = listener.count()
    run = subprocess.run(
        [sys.executable, "-c", _ESCAPE_ATTEMPTS, str(listener.port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["tcp"] == "PermissionError"
    assert {found[name] for name in ("udp", "inet6", "netlink", "packet")} == {"PermissionError"}
    assert found["io_uring_setup"] == [-1, 1]  # EPERM
    assert found["unix"] == "ok"
    status, message = found["engine"]  # the engine's own SERVICE call, with no screen in front of it
    assert status == 400 and "outbound" in message
    assert str(listener.port) not in message and "denied" not in message.lower()
    assert listener.count() == before
