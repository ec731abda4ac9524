"""The remote store's edges: location strings, credentials from the environment, and a server that is
down, silent, refusing or too talkative, each a one-line error that names the URL and never a secret."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.cli import main
from kb.graph.sparql_client import Endpoints, auth_from_env
from kb.graph.sparql_text import declares_dataset, prologue, skolem_term_tests
from kb.graph.store import Location, LocationError, StoreError, open_store
from kb.knowledge_base import KnowledgeBase
from tests.api.conftest import free_port
from tests.integration.servers import Server, oxigraph_server

SECRET = "s3cret-pw"


# ---------------------------------------------------------------- location strings


@pytest.mark.parametrize(
    ("text", "query", "update", "gsp"),
    [
        ("sparql+http://h:8890/sparql", "http://h:8890/sparql", "http://h:8890/sparql", None),
        (
            "sparql+http://h:7878/query?update=/update&gsp=/store",
            "http://h:7878/query",
            "http://h:7878/update",
            "http://h:7878/store",
        ),
        ("sparql+https://kb.example.org/sparql", "https://kb.example.org/sparql", None, None),
        ("sparql+http://h:1/a/query?update=update", "http://h:1/a/query", "http://h:1/a/update", None),
        (
            "sparql+http://h:1/q?update=https://w.example.org/u",
            "http://h:1/q",
            "https://w.example.org/u",
            None,
        ),
    ],
)
def test_a_location_names_the_query_update_and_graph_store_endpoints(
    text: str, query: str, update: str | None, gsp: str | None
) -> None:
    location = Location.parse(text)
    assert location.kind == "sparql"
    assert location.url is not None
    endpoints = Endpoints.parse(location.url)
    assert (endpoints.query, endpoints.update, endpoints.gsp) == (query, update or query, gsp)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"sparql+http://admin:{SECRET}@h:8890/sparql", "credentials do not belong in the location"),
        ("sparql+http://h:8890/sparql?user=admin", "unknown option 'user'; valid: update, gsp"),
        ("sparql+http://h:port/sparql", "the port is not a number"),
        ("sparql+http:///sparql", "expected sparql+http://HOST:PORT/PATH"),
        ("sparql+http://h:1/sparql#frag", "no #fragment"),
        ("sparql+http://h:1/q?update=/u&update=/v", "give update= once"),
        ("sparql+http://h:1/q?gsp=", "give gsp= once"),
        ("sparql+http://h:1/q?update=ftp://x/u", "is not an http(s) URL"),
    ],
)
def test_a_bad_location_is_a_location_error_that_says_why(text: str, says: str) -> None:
    with pytest.raises(LocationError, match=None) as raised:
        Location.parse(text)
    assert says in str(raised.value)
    assert SECRET not in str(raised.value)


def test_the_command_line_refuses_credentials_in_the_location_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["conflicts", "--location", f"sparql+http://admin:{SECRET}@127.0.0.1:1/sparql"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mmkb: error: ") and SECRET not in err
    assert "MMKB_SPARQL_USER" in err


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({}, None),
        ({"MMKB_SPARQL_USER": "u", "MMKB_SPARQL_PASSWORD": SECRET}, httpx.BasicAuth),
        (
            {"MMKB_SPARQL_USER": "u", "MMKB_SPARQL_PASSWORD": SECRET, "MMKB_SPARQL_AUTH": "Digest"},
            httpx.DigestAuth,
        ),
    ],
)
def test_credentials_come_from_the_environment(env: dict[str, str], kind: type | None) -> None:
    auth = auth_from_env(env)
    assert auth is None if kind is None else isinstance(auth, kind)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MMKB_SPARQL_USER": "u"}, "set both MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD"),
        ({"MMKB_SPARQL_PASSWORD": SECRET}, "set both MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD"),
        (
            {"MMKB_SPARQL_USER": "u", "MMKB_SPARQL_PASSWORD": SECRET, "MMKB_SPARQL_AUTH": "kerberos"},
            "unknown MMKB_SPARQL_AUTH 'kerberos'; valid: basic, digest",
        ),
    ],
)
def test_incomplete_or_unknown_credentials_are_a_location_error(env: dict[str, str], says: str) -> None:
    with pytest.raises(LocationError) as raised:
        auth_from_env(env)
    assert str(raised.value).startswith(says)


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_timeout_that_is_not_a_positive_number_is_a_location_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMKB_SPARQL_TIMEOUT", value)
    with pytest.raises(LocationError, match="MMKB_SPARQL_TIMEOUT must be a positive number"):
        open_store(Location.parse("sparql+http://127.0.0.1:1/sparql"))


# ---------------------------------------------------------------- query text sent to the server


def test_the_prologue_declares_the_predeclared_prefixes_the_query_uses() -> None:
    prefixes = {"mm": "urn:mm#", "rdfs": "urn:rdfs#", "xsd": "urn:xsd#"}
    text = 'SELECT ?x WHERE { ?x mm:p "rdfs:no" ; <urn:xsd:no> ?y # xsd:no\n FILTER(?y) }'
    assert prologue(text, prefixes) == "PREFIX mm: <urn:mm#>\n"


@pytest.mark.parametrize(
    ("text", "declares"),
    [
        ("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }", True),
        ("select * from named <urn:g> where { graph ?g { ?s ?p ?o } }", True),
        ('SELECT * WHERE { ?s ?p "FROM" . ?s <urn:FROM> ?o . ?s ex:from ?x } # FROM', False),
    ],
)
def test_a_query_that_names_its_own_dataset_is_recognised(text: str, declares: bool) -> None:
    assert declares_dataset(text) is declares


def test_term_tests_treat_skolem_iris_as_blank_nodes() -> None:
    text = 'ASK { ?s ?p ?o FILTER(isBlank(?o) || ISIRI(STR(?o)) || isuri(?s) || CONTAINS("isIRI(", "x")) }'
    rewritten = skolem_term_tests(text, "urn:genid/")
    skolem = 'isIRI({0}) && STRSTARTS(STR({0}), "urn:genid/")'
    assert rewritten == (
        f"ASK {{ ?s ?p ?o FILTER((isBlank(?o) || ({skolem.format('?o')}))"
        f" || (isiri(STR(?o)) && !({skolem.format('STR(?o)')}))"
        f' || (isuri(?s) && !({skolem.format("?s")})) || CONTAINS("isIRI(", "x")) }}'
    )


# ---------------------------------------------------------------- a server that fails


def test_an_unreachable_server_is_one_line_naming_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(StoreError, match=f"^cannot reach the SPARQL server at {url}: "):
        open_store(Location.parse("sparql+" + url))
    assert main(["conflicts", "--location", "sparql+" + url]) == 2
    first, err = capsys.readouterr().err.split("\n", 1)  # the first line names the knowledge base
    assert first.startswith("mmkb: knowledge base: ")
    assert err.count("\n") == 1 and err.startswith(f"mmkb: error: cannot reach the SPARQL server at {url}")


def test_a_server_that_does_not_answer_in_time_is_a_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        monkeypatch.setenv("MMKB_SPARQL_TIMEOUT", "0.5")
        with pytest.raises(StoreError, match=f"^the SPARQL server at {url} did not answer in 0.5 s$"):
            open_store(Location.parse("sparql+" + url))


def test_an_error_status_is_a_store_error_with_the_servers_words(oxigraph: Server, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=f"^the SPARQL server at {oxigraph.base}/nowhere answered HTTP 404"):
        open_store(Location.parse(f"sparql+{oxigraph.base}/nowhere"))
    # the query endpoint does not take updates: the first write says so
    store = open_store(Location.parse(f"sparql+{oxigraph.base}/query"))
    path = tmp_path / "one.ttl"
    path.write_text("<urn:a> <urn:p> 1 .\n", encoding="utf-8")
    with pytest.raises(StoreError, match=f"^the SPARQL server at {oxigraph.base}/query answered HTTP 4"):
        store.parse_file(path, "urn:mmkb-test:g")


def test_an_answer_larger_than_the_limit_is_a_store_error(
    oxigraph: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = open_store(Location.parse(oxigraph.location))
    path = tmp_path / "big.ttl"
    path.write_text("".join(f"<urn:s{i}> <urn:p> {i} .\n" for i in range(2000)), encoding="utf-8")
    store.parse_file(path, "urn:mmkb-test:big")
    monkeypatch.setenv("MMKB_SPARQL_MAX_BYTES", "10000")
    small = open_store(Location.parse(oxigraph.location))
    with pytest.raises(StoreError, match="larger than 10000 bytes"):
        small.select("SELECT * WHERE { ?s ?p ?o }")
    store.clear_graph("urn:mmkb-test:big")


def test_the_service_answers_503_when_its_sparql_server_goes_away(tmp_path: Path) -> None:
    settings = Settings.from_env(allowed_hosts=("testserver",))
    with ExitStack() as service:
        with oxigraph_server(tmp_path / "server") as server:
            kb = KnowledgeBase.open(location=server.location)
            client = service.enter_context(TestClient(create_app(kb, settings)))
            assert client.get("/studies").status_code == 200
        # the SPARQL server has stopped; the service runs on
        response = client.get("/questions/typed-unknowns")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"error": "the knowledge base's SPARQL server did not answer; try again later"}
    assert server.base not in response.text
