"""Service-wide hardening through the real app: every bad input a clear JSON 4xx (never a traceback),
security headers, allowed hosts, cross-site writes refused, CORS off by default, 405 with Allow, the
body limit, and the API docs served from the service itself."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import LIBRARY_ERRORS
from api.http.headers import CONTENT_SECURITY_POLICY
from api.settings import Settings, from_args, parse_value
from kb.cli import build_parser, main
from kb.graph.load import LoadError
from kb.knowledge_base import KnowledgeBase, LoadFailed

SETTINGS = Settings(allowed_hosts=("testserver",), max_body_bytes=4096)
BAD_CHARACTERS = [" ", "<", ">", '"', "{", "}", "|", "^", "`", "%", "\\", "\x01", "\x1f", "\x7f", "%zz"]


@pytest.fixture(scope="module")
def app(kb: KnowledgeBase) -> FastAPI:
    return create_app(kb, SETTINGS)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _is_error(response, status: int | None = None) -> bool:
    body = response.json()
    return (status is None or response.status_code == status) and isinstance(body.get("error"), str)


@pytest.mark.parametrize("bad", BAD_CHARACTERS, ids=repr)
@pytest.mark.parametrize("template", ["/studies/a{bad}b", "/claims/a{bad}b", "/patients?study=a{bad}b"])
def test_ids_with_characters_an_iri_cannot_hold_are_422(client: TestClient, template: str, bad: str) -> None:
    response = client.get(template.replace("{bad}", quote(bad, safe="")))
    assert response.status_code == 422
    assert "should match pattern" in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/network/a%00b",
        "/questions/a%01b",
        "/questions/a b.rq",
        "/static/a%00",
        "/export?format=%00",
        "/compare/response-rate?min_n=-1",
        "/compare/response-rate?pool=maybe",
        "/compare/response-rate?by=%7B",
        "/plots/forest.svg?ci=%5C",
        "/no/such/path",
    ],
)
def test_bad_parameters_are_json_4xx(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert _is_error(response)
    assert "Traceback" not in response.text


@pytest.mark.parametrize("error_class", list(LIBRARY_ERRORS), ids=lambda c: c.__name__)
def test_every_library_error_has_its_4xx_and_a_message(kb: KnowledgeBase, error_class: type) -> None:
    app = create_app(kb, SETTINGS)
    error = (
        LoadFailed([LoadError("x.ttl", 3, 1, "bad turtle")])
        if error_class is LoadFailed
        else error_class("wrong")
    )

    @app.get("/raise")
    def raise_it() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/raise")
    assert response.status_code == LIBRARY_ERRORS[error_class][0]
    assert 400 <= response.status_code < 500
    assert response.json()["error"].startswith(str(error).splitlines()[0])


def test_an_unexpected_error_is_a_json_500_without_traceback(kb: KnowledgeBase) -> None:
    app = create_app(kb, SETTINGS)

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret detail /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error; the service log has the details"}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


class _Inline(HTMLParser):
    """Collects inline script, inline style and event-handler attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]
        self.external += [v for k, v in attrs if k in ("src", "href") and v and re.match(r"(https?:)?//", v)]


@pytest.mark.parametrize("path", ["/", "/docs", "/sparql", "/static/index.html"])
def test_pages_have_no_inline_script_or_style_and_load_nothing_from_elsewhere(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = _Inline()
    page.feed(response.text)
    assert page.found == []
    assert page.external == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/health"), ("GET", "/docs"), ("GET", "/nothing"), ("DELETE", "/health")],
)
def test_security_headers_on_every_answer(client: TestClient, method: str, path: str) -> None:
    headers = client.request(method, path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_docs_are_served_offline(client: TestClient) -> None:
    page = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/static/docs.js"} <= set(assets)
    assert not re.search(r"https?://|//cdn", page)
    for asset in assets:
        if asset.startswith("data:"):
            continue
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
    assert "SwaggerUIBundle" in client.get("/docs/swagger-ui-bundle.js").text
    assert client.get("/openapi.json").json()["info"]["title"] == "mmkb"
    assert client.get("/redoc").status_code == 404


def test_unknown_host_is_400_and_the_bound_host_is_allowed(kb: KnowledgeBase) -> None:
    app = create_app(kb, replace(SETTINGS, host="10.1.2.3"))
    with TestClient(app, base_url="http://evil.example") as evil:
        response = evil.get("/health")
        assert response.status_code == 400 and "allowed_hosts" in response.json()["error"]
    with TestClient(app, base_url="http://10.1.2.3:8000") as bound:
        assert bound.get("/health").status_code == 200
    with TestClient(
        create_app(kb, replace(SETTINGS, allowed_hosts=("*",))), base_url="http://any"
    ) as anyhost:
        assert anyhost.get("/health").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/sparql", "/studies", "/health"])
def test_cross_site_writes_are_403(client: TestClient, method: str, path: str) -> None:
    for origin in ("http://evil.example", "null", "http://testserver.evil.example", "https://testserver"):
        response = client.request(method, path, headers={"origin": origin})
        assert response.status_code == 403, origin
        assert "another site" in response.json()["error"]


def test_same_origin_and_originless_writes_pass(client: TestClient) -> None:
    form = {"query": "ASK { ?s ?p ?o }"}
    for headers in ({}, {"origin": "http://testserver"}, {"origin": "http://testserver:80"}):
        response = client.post(
            "/sparql", data=form, headers={**headers, "accept": "application/sparql-results+json"}
        )
        assert response.status_code == 200, headers
    assert client.get("/health", headers={"origin": "http://evil.example"}).status_code == 200


def test_cors_is_off_by_default_and_configurable(kb: KnowledgeBase, client: TestClient) -> None:
    plain = client.get("/health", headers={"origin": "https://app.example"})
    assert "access-control-allow-origin" not in plain.headers
    app = create_app(kb, replace(SETTINGS, cors_origins=("https://app.example",)))
    with TestClient(app) as cors:
        allowed = cors.get("/health", headers={"origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        preflight = cors.options(
            "/sparql",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        )
        assert preflight.status_code == 200
        posted = cors.post(
            "/sparql",
            content="ASK { ?s ?p ?o }",
            headers={"origin": "https://app.example", "content-type": "application/sparql-query"},
        )
        assert posted.status_code == 200
        other = cors.get("/health", headers={"origin": "https://other.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/sparql", ["GET", "POST"]),
        ("DELETE", "/health", ["GET"]),
        ("POST", "/studies/study-pollux", ["GET"]),
        ("PATCH", "/questions/median-pfs.rq", ["GET"]),
    ],
)
def test_405_lists_every_allowed_method(
    client: TestClient, method: str, path: str, allowed: list[str]
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == ", ".join(allowed)
    assert response.json()["valid"] == allowed


def test_body_over_the_limit_is_413_before_reading(client: TestClient) -> None:
    response = client.post(
        "/sparql", content=b"x" * 5000, headers={"content-type": "application/sparql-query"}
    )
    assert response.status_code == 413
    assert "4096 bytes" in response.json()["error"]


def test_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"# padding\n" * 100

    response = client.post("/sparql", content=chunks(), headers={"content-type": "application/sparql-query"})
    assert response.status_code == 413


def test_body_of_a_type_no_route_reads_is_415(client: TestClient) -> None:
    response = client.post("/sparql", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.json()["valid"]


def test_every_setting_is_an_option_of_mmkb_serve_and_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    parser = build_parser()
    for f in dataclasses.fields(Settings):
        option = "--" + f.name.replace("_", "-")
        value = "a,b" if isinstance(f.default, tuple) else "7"
        settings = from_args(parser.parse_args(["serve", option, value]))
        assert getattr(settings, f.name) == parse_value(f, value)
        assert f"| `{option}` | `{f.metadata['env']}` |" in readme, (
            f"README: add {option} to Service settings"
        )


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["serve", "--port", "x"], {}, "mmkb serve: error: argument --port: invalid int value: 'x'"),
        (["serve", "--max-body-bytes", "0"], {}, "argument --max-body-bytes: must be positive, not 0"),
        (["serve", "--port", "70000"], {}, "argument --port: must be a TCP port (1 to 65535), not 70000"),
        (
            ["serve"],
            {"MMKB_CLIENT_TIMEOUT": "soon"},
            "mmkb: error: MMKB_CLIENT_TIMEOUT: 'soon' is not a valid",
        ),
        (
            ["serve"],
            {"MMKB_SPARQL_WORKERS": "-1"},
            "mmkb: error: MMKB_SPARQL_WORKERS must be positive, not -1",
        ),
    ],
)
def test_a_bad_setting_is_a_one_line_error_naming_it(
    argv: list[str], env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
