"""The /sparql endpoint against the SPARQL 1.1 Protocol (cases modelled on the W3C protocol tests)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rdflib import Graph

from api.settings import Settings
from kb.knowledge_base import KnowledgeBase
from tests.api.conftest import sparql_app

STUDIES = "SELECT ?s WHERE { ?s a mm:Study } ORDER BY ?s"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
AGENTS = "https://w3id.org/mmkb/graph/data/agents.ttl"
SETTINGS = Settings(sparql_deadline_seconds=1.0, sparql_max_rows=10000)
REMOTE = "http://kasei.us/2009/09/sparql/data/data1.rdf"  # a W3C protocol test's remote graph


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.open()


@pytest.fixture(scope="module")
def app(kb: KnowledgeBase) -> FastAPI:
    return sparql_app(kb, SETTINGS)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:  # one event loop for all requests, as in a server
        yield client


def select(client: TestClient, query: str, **headers: str) -> list[dict[str, str]]:
    response = client.get("/sparql", params={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def count(client: TestClient, **params: Any) -> int:
    response = client.get("/sparql", params={"query": COUNT, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# ------------------------------------------------------------------ methods
def test_get_post_form_and_post_body_agree(client: TestClient) -> None:
    by_get = client.get("/sparql", params={"query": STUDIES})
    by_form = client.post("/sparql", data={"query": STUDIES})
    by_body = client.post(
        "/sparql", content=STUDIES, headers={"content-type": "application/sparql-query; charset=utf-8"}
    )
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert by_get.json() == by_form.json() == by_body.json()
    assert len(by_get.json()["results"]["bindings"]) >= 5


def test_select_equals_python_api(client: TestClient, kb: KnowledgeBase) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s a mm:Study ; ?p ?o FILTER(!isBlank(?o)) }"
    expected = {tuple(str(row[v]) for v in ("s", "p", "o")) for row in kb.select(query)}
    got = {(r["s"], r["p"], r["o"]) for r in select(client, query)}
    assert got == expected and expected


# ------------------------------------------------------------------ formats
@pytest.mark.parametrize("accept", [None, "*/*", "application/*", "application/sparql-results+json"])
def test_select_defaults_to_json(client: TestClient, accept: str | None) -> None:
    headers = {"accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": STUDIES}, headers=headers)
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.json()["head"]["vars"] == ["s"]


def test_select_as_xml_csv_tsv(client: TestClient) -> None:
    studies = [r["s"] for r in select(client, STUDIES)]
    xml = client.get(
        "/sparql", params={"query": STUDIES}, headers={"accept": "application/sparql-results+xml"}
    )
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    uris = [e.text for e in ET.fromstring(xml.content).iter("{http://www.w3.org/2005/sparql-results#}uri")]
    assert uris == studies
    csv = client.get("/sparql", params={"query": STUDIES}, headers={"accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.split() == ["s", *studies]
    tsv = client.get(
        "/sparql", params={"query": STUDIES}, headers={"accept": "text/tab-separated-values;q=0.9"}
    )
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert tsv.text.split() == ["?s", *(f"<{s}>" for s in studies)]


def test_ask(client: TestClient) -> None:
    json_answer = client.post("/sparql", data={"query": "ASK { ?s a mm:Study }"})
    assert json_answer.json()["boolean"] is True
    xml = client.get(
        "/sparql",
        params={"query": "ASK { ?s a mm:Nothing }"},
        headers={"accept": "application/sparql-results+xml"},
    )
    assert b"<boolean>false</boolean>" in xml.content


@pytest.mark.parametrize(
    ("accept", "media_type", "rdf_format"),
    [
        (None, "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("text/html;q=1, text/turtle;q=0.5", "text/turtle", "turtle"),
    ],
)
def test_construct_formats(client: TestClient, accept: str | None, media_type: str, rdf_format: str) -> None:
    headers = {"accept": accept} if accept else {}
    query = "CONSTRUCT { ?s a mm:Study } WHERE { ?s a mm:Study }"
    response = client.get("/sparql", params={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    graph = Graph().parse(data=response.content, format=rdf_format)
    assert len(graph) == len(select(client, STUDIES))


def test_describe_is_a_graph(client: TestClient) -> None:
    study = select(client, STUDIES)[0]["s"]
    response = client.get("/sparql", params={"query": f"DESCRIBE <{study}>"})
    assert response.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=response.text, format="turtle")) > 0


def test_nothing_acceptable_is_406(client: TestClient) -> None:
    assert (
        client.get("/sparql", params={"query": STUDIES}, headers={"accept": "image/png"}).status_code == 406
    )
    construct = "CONSTRUCT WHERE { ?s a mm:Study }"
    response = client.get("/sparql", params={"query": construct}, headers={"accept": "text/csv"})
    assert response.status_code == 406


# ------------------------------------------------------------------ dataset
def test_default_and_named_graph_uri(client: TestClient) -> None:
    in_agents = count(client, **{"default-graph-uri": AGENTS})
    assert 0 < in_agents < count(client)
    via_from = f"SELECT (COUNT(*) AS ?n) FROM <{AGENTS}> WHERE {{ ?s ?p ?o }}"
    assert int(select(client, via_from)[0]["n"]) == in_agents
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.get("/sparql", params={"query": graphs, "named-graph-uri": AGENTS})
    assert [b["g"]["value"] for b in response.json()["results"]["bindings"]] == [AGENTS]


def test_a_graph_the_store_does_not_hold_is_empty_and_never_fetched(client: TestClient) -> None:
    assert count(client, **{"default-graph-uri": REMOTE}) == 0
    assert count(client, **{"default-graph-uri": [REMOTE, AGENTS]}) == count(
        client, **{"default-graph-uri": AGENTS}
    )
    via_from = f"SELECT (COUNT(*) AS ?n) FROM <{REMOTE}> WHERE {{ ?s ?p ?o }}"
    assert select(client, via_from) == [{"n": "0"}]
    named = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert select(client, named.replace("SELECT ?g", f"SELECT ?g FROM NAMED <{REMOTE}>")) == []


def test_protocol_dataset_replaces_the_query_dataset(client: TestClient) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{REMOTE}> WHERE {{ ?s ?p ?o }}"
    response = client.get("/sparql", params={"query": query, "default-graph-uri": AGENTS})
    assert response.json()["results"]["bindings"][0]["n"]["value"] == str(
        count(client, **{"default-graph-uri": AGENTS})
    )


def test_named_graph_uri_alone_leaves_the_default_graph_empty(client: TestClient) -> None:
    assert count(client, **{"named-graph-uri": AGENTS}) == 0


@pytest.mark.parametrize("iri", ["not an iri", "relative/path", "<http://example.org/>"])
def test_a_dataset_name_that_is_not_an_iri_is_400(client: TestClient, iri: str) -> None:
    response = client.get("/sparql", params={"query": COUNT, "default-graph-uri": iri})
    assert response.status_code == 400
    assert "default-graph-uri" in response.text


# ------------------------------------------------------------------ bad requests
def test_syntax_error_is_400_with_message(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("SPARQL syntax error at line 1, column 23: expected")
    assert len(response.text) < 300


def test_two_queries_are_400(client: TestClient) -> None:
    assert client.get("/sparql", params=[("query", STUDIES), ("query", COUNT)]).status_code == 400
    assert client.post("/sparql", data={"query": [STUDIES, COUNT]}).status_code == 400
    both = client.post(
        "/sparql",
        params={"query": STUDIES},
        content=COUNT,
        headers={"content-type": "application/sparql-query"},
    )
    assert both.status_code == 400


def test_missing_query_on_post_is_400(client: TestClient) -> None:
    assert client.post("/sparql", data={"default-graph-uri": AGENTS}).status_code == 400
    empty = client.post("/sparql", content="", headers={"content-type": "application/sparql-query"})
    assert empty.status_code == 400


def test_unsupported_post_type_is_415(client: TestClient) -> None:
    assert client.post("/sparql", content=STUDIES, headers={"content-type": "text/plain"}).status_code == 415
    # W3C bad_query_missing_form_type / bad_query_missing_direct_type: a body without a media type
    untyped = client.post("/sparql", content=f"query={STUDIES}".encode(), headers={"content-type": ""})
    assert untyped.status_code == 415


def test_non_utf8_query_is_400(client: TestClient) -> None:
    direct = client.post(
        "/sparql",
        content=b"SELECT * WHERE { ?s ?p '\xff' }",
        headers={"content-type": "application/sparql-query"},
    )
    form = client.post(
        "/sparql",
        content=b"query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%27%FF%27%20%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert direct.status_code == form.status_code == 400
    assert "UTF-8" in direct.text and "UTF-8" in form.text


def test_other_methods_are_405(client: TestClient) -> None:
    response = client.put("/sparql", content=STUDIES, headers={"content-type": "application/sparql-query"})
    assert response.status_code == 405


def test_update_by_get_is_403(client: TestClient) -> None:
    response = client.get("/sparql", params={"update": "CLEAR ALL"})
    assert response.status_code == 403


# ------------------------------------------------------------------ read-only, local
def test_updates_are_403_and_change_nothing(client: TestClient, kb: KnowledgeBase) -> None:
    before_kb, before_endpoint = len(kb), count(client)
    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }"
    responses = [
        client.get("/sparql", params={"query": insert}),
        client.post("/sparql", data={"query": "DELETE WHERE { ?s ?p ?o }"}),
        client.post("/sparql", data={"update": insert}),
        client.post("/sparql", content="CLEAR ALL", headers={"content-type": "application/sparql-update"}),
    ]
    assert [r.status_code for r in responses] == [403] * 4
    assert len(kb) == before_kb
    assert count(client) == before_endpoint


def test_from_a_local_graph_is_allowed(client: TestClient) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{AGENTS}> WHERE {{ ?s ?p ?o }}"
    assert 0 < int(select(client, query)[0]["n"]) < count(client)


# ------------------------------------------------------------------ deadline and cap
def test_deadline_stops_slow_query_while_others_answer(client: TestClient) -> None:
    count(client)  # workers started
    slow: dict[str, Any] = {}

    def run_slow() -> None:
        started = time.monotonic()
        slow["response"] = client.get("/sparql", params={"query": SLOW})
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert client.get("/ping").json() == "pong"
    assert time.monotonic() - started < 0.5
    assert count(client) > 0  # the other worker still answers
    thread.join(timeout=10)
    assert slow["response"].status_code == 503
    assert "1 s" in slow["response"].text
    assert slow["seconds"] < SETTINGS.sparql_deadline_seconds + 2
    assert count(client) > 0  # the killed worker was replaced


def test_row_cap_is_422_naming_the_limit(app: FastAPI, client: TestClient) -> None:
    app.state.settings = dataclasses.replace(SETTINGS, sparql_max_rows=5)
    try:
        too_many = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        construct = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        enough = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    finally:
        app.state.settings = SETTINGS
    assert too_many.status_code == construct.status_code == 422
    assert "LIMIT" in too_many.text and "5 rows" in too_many.text
    assert "5 triples" in construct.text
    assert len(enough.json()["results"]["bindings"]) == 5


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv", "text/turtle"])
def test_byte_cap_is_422_naming_the_limit(app: FastAPI, client: TestClient, accept: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 200"
    if accept == "text/turtle":
        query = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 200"
    app.state.settings = dataclasses.replace(SETTINGS, sparql_max_result_bytes=2000)
    try:
        capped = client.get("/sparql", params={"query": query}, headers={"accept": accept})
        small = client.get("/sparql", params={"query": query.replace("200", "2")}, headers={"accept": accept})
    finally:
        app.state.settings = SETTINGS
    assert capped.status_code == 422, capped.text
    assert "2000 bytes" in capped.text and "LIMIT" in capped.text
    assert small.status_code == 200 and len(small.content) <= 2000


# ------------------------------------------------------------------ description and form
def test_service_description(client: TestClient, kb: KnowledgeBase) -> None:
    response = client.get("/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    rows = graph.query(
        """PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        SELECT ?endpoint ?name WHERE {
            ?service a sd:Service ; sd:endpoint ?endpoint ; sd:supportedLanguage sd:SPARQL11Query ;
                sd:defaultDataset/sd:namedGraph/sd:name ?name }"""
    )
    assert {str(r[0]) for r in rows} == {"http://testserver/sparql"}
    assert {str(r[1]) for r in rows} == set(kb.store.graph_names())
    formats = set(graph.objects(None, graph.namespace_manager.expand_curie("sd:resultFormat")))
    assert len(formats) == 8


def test_html_form(client: TestClient) -> None:
    response = client.get("/sparql", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<form" in response.text and '<textarea name="query"' in response.text


def test_json_error_free_for_empty_result(client: TestClient) -> None:
    body = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s a mm:Nothing }"}).content
    assert json.loads(body)["results"]["bindings"] == []
