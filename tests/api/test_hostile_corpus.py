"""A hostile corpus against a live service: each request gets its expected 4xx/5xx, the service stays up, the
data stays as it was, and no request makes the service open a connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.api.conftest import CountingListener, Serve

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LIMITS = {
    "sparql_deadline_seconds": 1.0,
    "sparql_max_rows": 2000,
    "sparql_max_result_bytes": 1024 * 1024,
    "sparql_max_query_bytes": 100 * 1024,
    "max_body_bytes": 512 * 1024,
    "client_timeout_seconds": 5.0,
}


@dataclass(frozen=True)
class Case:
    """One hostile request and the statuses it may get (one, unless the outcome depends on machine speed)."""

    name: str
    expected: frozenset[int]
    method: str = "GET"
    path: str = "/sparql"
    query: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw_query_string: bytes | None = None


def _q(name: str, query: str, *expected: int, via: str = "GET", **extra: object) -> Case:
    """A SPARQL query sent by GET, form POST (`form`) or direct POST (`direct`)."""
    statuses = frozenset(expected)
    if via == "form":
        return Case(
            name,
            statuses,
            "POST",
            body=httpx.QueryParams({"query": query}).__str__().encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            **extra,  # type: ignore[arg-type]
        )
    if via == "direct":
        return Case(
            name,
            statuses,
            "POST",
            body=query.encode(),
            headers={"content-type": "application/sparql-query"},
            **extra,  # type: ignore[arg-type]
        )
    return Case(name, statuses, query=query, **extra)  # type: ignore[arg-type]


def _update(name: str, update: str, via: str = "GET") -> Case:
    if via == "form":
        body = str(httpx.QueryParams({"update": update})).encode()
        return Case(name, frozenset({403}), "POST", body=body, headers={"content-type": FORM})
    if via == "direct":
        return Case(
            name,
            frozenset({403}),
            "POST",
            body=update.encode(),
            headers={"content-type": "application/sparql-update"},
        )
    return Case(name, frozenset({403}), params=(("update", update),))


FORM = "application/x-www-form-urlencoded"
ENDPOINT = "<{target}>"  # replaced by the counting listener's URL
SSRF = [
    ("comment-cr", "SELECT * WHERE { #\rSERVICE " + ENDPOINT + " { ?s ?p ?o }\n}"),
    ("comment-crlf", "SELECT * WHERE { #\r\nSERVICE " + ENDPOINT + " { ?s ?p ?o }\n}"),
    ("plain", "SELECT * WHERE { SERVICE " + ENDPOINT + " { ?s ?p ?o } }"),
    ("lowercase", "select * where { service " + ENDPOINT + " { ?s ?p ?o } }"),
    ("silent", "SELECT * WHERE { SERVICE SILENT " + ENDPOINT + " { ?s ?p ?o } }"),
    ("codepoint-escape", "SELECT * WHERE { \\u0053ERVICE " + ENDPOINT + " { ?s ?p ?o } }"),
    ("variable-endpoint", "SELECT * WHERE { BIND(" + ENDPOINT + " AS ?e) SERVICE ?e { ?s ?p ?o } }"),
    ("values-endpoint", "SELECT * WHERE { VALUES ?e { " + ENDPOINT + " } SERVICE ?e { ?s ?p ?o } }"),
    ("exists", "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE " + ENDPOINT + " { ?s ?p ?o } } } LIMIT 1"),
    (
        "not-exists",
        "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE " + ENDPOINT + " { ?s ?p ?o } } } LIMIT 1",
    ),
    ("subselect", "SELECT * WHERE { { SELECT * WHERE { SERVICE " + ENDPOINT + " { ?s ?p ?o } } } }"),
    ("optional", "SELECT * WHERE { ?s a ?t OPTIONAL { SERVICE " + ENDPOINT + " { ?s ?p ?o } } } LIMIT 1"),
    ("union", "SELECT * WHERE { { ?s a ?t } UNION { SERVICE " + ENDPOINT + " { ?s ?p ?o } } }"),
    ("construct", "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE " + ENDPOINT + " { ?s ?p ?o } }"),
    ("ask", "ASK { SERVICE " + ENDPOINT + " { ?s ?p ?o } }"),
    ("describe", "DESCRIBE ?s WHERE { SERVICE " + ENDPOINT + " { ?s ?p ?o } }"),
    ("in-graph", "SELECT * WHERE { GRAPH ?g { SERVICE " + ENDPOINT + " { ?s ?p ?o } } }"),
]
UPDATES = [
    ("insert-data", "INSERT DATA { <urn:x> <urn:y> <urn:z> }"),
    ("delete-data", "DELETE DATA { <urn:x> <urn:y> <urn:z> }"),
    ("delete-where", "DELETE WHERE { ?s ?p ?o }"),
    ("modify", "WITH <urn:g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }"),
    ("clear", "CLEAR ALL"),
    ("drop", "DROP DEFAULT"),
    ("create", "CREATE GRAPH <urn:new>"),
    ("copy", "COPY DEFAULT TO <urn:copy>"),
    ("move", "MOVE DEFAULT TO <urn:moved>"),
    ("add", "ADD DEFAULT TO <urn:added>"),
    ("load-http", "LOAD " + ENDPOINT),
    ("load-file", "LOAD <file:///etc/passwd>"),
]


def _doubling(times: int) -> str:
    """A SELECT whose 64 rows each hold a string of 2**times characters."""
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(times))
    values = " ".join(str(i) for i in range(64))
    return f'SELECT ?v{times} WHERE {{ VALUES ?i {{ {values} }} BIND("x" AS ?v0) {binds} }}'


def _nested(depth: int) -> str:
    return "SELECT * WHERE " + "{ " * depth + "?s a ?t" + " }" * depth + " LIMIT 1"


def _patterns(count: int) -> str:
    body = " . ".join(f"?s{i} a ?t" for i in range(count))
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {body} . FILTER(false) }}"


def _path(steps: int) -> str:
    return "SELECT * WHERE { ?s " + "/".join(["mm:a"] * steps) + " ?o } LIMIT 1"


def _in_list(size: int) -> str:
    values = ", ".join(f'"v{i:06d}"' for i in range(size))
    return f"SELECT * WHERE {{ ?s ?p ?o FILTER(?o IN ({values})) }} LIMIT 1"


def cases() -> list[Case]:
    corpus: list[Case] = []
    for name, query in SSRF:
        for via in ("GET", "form", "direct"):
            corpus.append(_q(f"service-{name}-{via}", query, 400, via=via))
    for name, update in UPDATES:
        for via in ("GET", "form", "direct"):
            corpus.append(_update(f"update-{name}-{via}", update, via))
    corpus += [
        _q("update-as-query", "INSERT DATA { <urn:x> <urn:y> <urn:z> }", 403),
        _q("load-as-query", "LOAD " + ENDPOINT, 400),
        # Graphs are selected by name from the store and never fetched: one the store lacks is empty.
        _q("from-http", "SELECT * FROM " + ENDPOINT + " WHERE { ?s ?p ?o }", 200),
        _q("from-named-http", "SELECT * FROM NAMED " + ENDPOINT + " WHERE { GRAPH ?g { ?s ?p ?o } }", 200),
        _q("from-file", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", 200),
        _q(
            "from-named-file", "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }", 200
        ),
        Case(
            "default-graph-uri-http",
            frozenset({200}),
            params=(("query", COUNT), ("default-graph-uri", "{url}")),
        ),
        Case(
            "named-graph-uri-file",
            frozenset({200}),
            params=(("query", COUNT), ("named-graph-uri", "file:///etc/passwd")),
        ),
        Case(
            "default-graph-uri-empty", frozenset({400}), params=(("query", COUNT), ("default-graph-uri", ""))
        ),
        Case(
            "default-graph-uri-space",
            frozenset({400}),
            params=(("query", COUNT), ("default-graph-uri", "http://a b/")),
        ),
        Case(
            "default-graph-uri-relative",
            frozenset({400}),
            params=(("query", COUNT), ("default-graph-uri", "x")),
        ),
        Case(
            "default-graph-uri-long",
            frozenset({200}),
            params=(("query", COUNT), ("default-graph-uri", "http://example.org/" + "a" * 5000)),
        ),
        # Time, rows and bytes.
        _q("cartesian-count", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", 503),
        _q("cartesian-rows", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", 422, 503),
        _q("huge-construct", "CONSTRUCT { ?a ?b ?f . ?d ?e ?c } WHERE { ?a ?b ?c . ?d ?e ?f }", 422, 503),
        _q("big-strings", _doubling(17), 422),
        _q("unbounded-path", "SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:a>|!<urn:a>)* ?o }", 200, 503),
        _q("nested-path", "SELECT (COUNT(*) AS ?n) WHERE { ?s ((!<urn:a>)*/(!<urn:b>)*)* ?o }", 200, 503),
        _q("path-10000-steps", _path(10000), 503, via="direct"),
        _q(
            "catastrophic-regex",
            'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER REGEX(STR(?o), "^(a+)+$") }',
            200,
        ),
        _q("nested-40", _nested(40), 200),
        _q("patterns-90", _patterns(90), 200),
        _q("nested-2000", _nested(2000), 200),
        _q("in-list-340kb", _in_list(34000), 413, via="direct"),
        _q("in-list-90kb", _in_list(9000), 200, 503, via="form"),
        _q("multi-mb", "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3_000_000, 413, via="direct"),
        _q("multi-mb-form", "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3_000_000, 413, via="form"),
        # Malformed requests.
        _q("empty", "", 400),
        _q("comment-only", "# nothing here", 400),
        _q("bad-codepoint", 'SELECT * WHERE { BIND("\\UFFFFFFFF" AS ?x) }', 400),
        _q("syntax-error", "SELECT * WHERE { ?s ?p }", 400),
        Case("two-queries", frozenset({400}), params=(("query", COUNT), ("query", COUNT))),
        Case("invalid-utf8-get", frozenset({400}), raw_query_string=b"query=SELECT%20%FF%FE%20*"),
        Case(
            "invalid-utf8-form",
            frozenset({400}),
            "POST",
            body=b"query=SELECT%FF",
            headers={"content-type": FORM},
        ),
        Case(
            "invalid-utf8-direct",
            frozenset({400}),
            "POST",
            body=b"SELECT * WHERE { ?s ?p \xff }",
            headers={"content-type": "application/sparql-query"},
        ),
        Case(
            "post-text-plain",
            frozenset({415}),
            "POST",
            body=COUNT.encode(),
            headers={"content-type": "text/plain"},
        ),
        Case(
            "post-json",
            frozenset({415}),
            "POST",
            body=b'{"query": 1}',
            headers={"content-type": "application/json"},
        ),
        Case("post-no-type", frozenset({415}), "POST", body=COUNT.encode()),
        Case("accept-png", frozenset({406}), query=COUNT, headers={"accept": "image/png"}),
        Case(
            "put",
            frozenset({405}),
            "PUT",
            body=COUNT.encode(),
            headers={"content-type": "application/sparql-query"},
        ),
        Case("delete", frozenset({405}), "DELETE"),
        Case("patch-studies", frozenset({405}), "PATCH", path="/studies"),
        Case(
            "cross-site-form-post",
            frozenset({403}),
            "POST",
            body=str(httpx.QueryParams({"query": COUNT})).encode(),
            headers={"content-type": FORM, "origin": "https://evil.example"},
        ),
        Case("foreign-host", frozenset({400}), query=COUNT, headers={"host": "evil.example"}),
        Case(
            "body-over-limit",
            frozenset({413}),
            "POST",
            path="/sparql",
            body=b"query=" + b"x" * (1024 * 1024),
            headers={"content-type": FORM},
        ),
        # REST routes with ids and parameters a client can get wrong.
        Case("study-id-space", frozenset({422}), path="/studies/a%20b"),
        Case("study-id-brackets", frozenset({422}), path="/studies/%3Cx%3E%22%7B%7D%7C%5E%60"),
        Case("study-id-backslash", frozenset({422}), path="/studies/a%5Cb"),
        Case("study-id-percent", frozenset({422}), path="/studies/%25"),
        Case("claim-id-control", frozenset({422}), path="/claims/a%00b"),
        Case("claim-id-newline", frozenset({422}), path="/claims/a%0Ab"),
        Case("patients-study-odd", frozenset({422}), path="/patients", params=(("study", "<x> y"),)),
        Case(
            "compare-bad-threshold",
            frozenset({422}),
            path="/compare/response-rate",
            params=(("threshold", "X"),),
        ),
        Case("compare-bad-drug", frozenset({422}), path="/compare/response-rate", params=(("drug", "<>"),)),
        Case("question-unknown", frozenset({404}), path="/questions/%00"),
    ]
    return corpus


CORPUS = cases()


@pytest.fixture(scope="module")
def service(serve: Serve) -> Iterator[str]:
    """The service on a free 127.0.0.1 port with short limits; yields its base URL."""
    with serve(**LIMITS) as settings:
        yield f"http://127.0.0.1:{settings.port}"


def _url(listener: CountingListener) -> str:
    return f"http://127.0.0.1:{listener.port}/sparql"


def _fill(text: str, listener: CountingListener) -> str:
    return text.replace("{target}", _url(listener)).replace("{url}", _url(listener))


def _send(client: httpx.Client, base: str, case: Case, listener: CountingListener) -> httpx.Response:
    params = [(k, _fill(v, listener)) for k, v in case.params]
    if case.query is not None:
        params.append(("query", _fill(case.query, listener)))
    url = base + case.path
    if case.raw_query_string is not None:
        url += "?" + case.raw_query_string.decode("latin-1")
    body = _fill(case.body.decode("latin-1"), listener).encode("latin-1") if case.body is not None else None
    return client.request(case.method, url, params=params or None, content=body, headers=case.headers)


def _triples(client: httpx.Client, base: str) -> int:
    response = client.get(base + "/sparql", params={"query": COUNT})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [case.name for case in CORPUS]
    assert len(names) >= 60
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_hostile_request(case: Case, service: str, listener: CountingListener) -> None:
    with httpx.Client(timeout=30) as client:
        before = _triples(client, service)
        connections = listener.accepted
        response = _send(client, service, case, listener)
        assert response.status_code in case.expected, (response.status_code, response.text[:300])
        assert "Traceback" not in response.text
        if response.status_code >= 400:
            assert response.text.strip(), "an error answer says what went wrong"
            assert "127.0.0.1:" + str(listener.port) not in response.text, "no network detail leaks"
        started = time.monotonic()
        health = client.get(service + "/health")
        assert health.status_code == 200
        assert time.monotonic() - started < 1.0
        assert _triples(client, service) == before
        assert listener.accepted == connections, "the service opened a connection"
