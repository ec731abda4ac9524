"""The response cache: replays 200 GET answers of the REST routes unchanged, never SPARQL, health or errors,
keeps the inner checks (hosts) in force, and stays within its entry and byte bounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from api.app import create_app
from api.cache import ResponseCache
from api.settings import Settings, SettingsError, from_args
from kb.cli import build_parser
from kb.knowledge_base import KnowledgeBase

COMPARE = "/compare/response-rate"
VOLATILE = {"date", "x-cache"}


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


def stable_headers(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE}


def test_a_repeated_get_is_replayed_unchanged(client: TestClient) -> None:
    first = client.get(COMPARE, params={"ci": "wilson"}, headers={"Accept": "application/json"})
    second = client.get(COMPARE, params={"ci": "wilson"}, headers={"Accept": "application/json"})
    assert first.status_code == second.status_code == 200
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert stable_headers(second) == stable_headers(first)
    assert "content-security-policy" in second.headers


def test_the_key_holds_the_query_and_the_accept_header(client: TestClient) -> None:
    as_json = client.get(COMPARE, params={"ci": "jeffreys"}, headers={"Accept": "application/json"})
    as_csv = client.get(COMPARE, params={"ci": "jeffreys"}, headers={"Accept": "text/csv"})
    other = client.get(COMPARE, params={"ci": "clopper-pearson"}, headers={"Accept": "text/csv"})
    assert as_csv.headers["x-cache"] == "miss" and as_csv.headers["content-type"].startswith("text/csv")
    assert as_json.headers["content-type"].startswith("application/json")
    assert other.content != as_csv.content
    again = client.get(COMPARE, params={"ci": "jeffreys"}, headers={"Accept": "text/csv"})
    assert again.headers["x-cache"] == "hit" and again.content == as_csv.content


def test_no_cache_skips_the_lookup(client: TestClient) -> None:
    client.get("/studies")
    fresh = client.get("/studies", headers={"Cache-Control": "no-cache"})
    assert fresh.status_code == 200 and fresh.headers["x-cache"] == "miss"
    assert client.get("/studies").headers["x-cache"] == "hit"
    assert "x-cache" not in client.get("/studies", headers={"Cache-Control": "no-store"}).headers


def test_errors_sparql_and_health_are_never_replayed(client: TestClient) -> None:
    for _ in range(2):
        missing = client.get("/studies/study-no-such-study")
        assert missing.status_code == 404 and missing.headers["x-cache"] == "miss"
        assert "x-cache" not in client.get("/health").headers
        answer = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert answer.status_code == 200 and "x-cache" not in answer.headers


def test_a_refused_host_stays_refused_after_the_answer_is_cached(client: TestClient) -> None:
    client.get("/conflicts")
    assert client.get("/conflicts").headers["x-cache"] == "hit"
    for _ in range(2):
        refused = client.get("/conflicts", headers={"Host": "evil.example"})
        assert refused.status_code == 400


def test_conditional_and_range_requests_go_through(client: TestClient) -> None:
    client.get("/")
    for header in ({"Range": "bytes=0-9"}, {"If-None-Match": '"x"'}):
        assert "x-cache" not in client.get("/", headers=header).headers


# -- bounds, on a small app whose answer sizes are chosen -----------------------------------------------


def sized(request: Request) -> Response:
    request.app.state.calls += 1
    return PlainTextResponse("x" * int(request.path_params["n"]))


def small_cache(**bounds: int) -> tuple[Starlette, ResponseCache, TestClient]:
    app = Starlette(routes=[Route("/size/{n:int}", sized)])
    app.state.calls = 0
    cache = ResponseCache(app, **bounds)
    return app, cache, TestClient(cache)


def test_least_recently_used_entries_go_first() -> None:
    app, cache, client = small_cache(max_entries=2, max_bytes=1_000_000, max_entry_bytes=1_000)
    for n in (1, 2, 1, 3):  # 1 is used again before 3 arrives, so 2 is evicted
        client.get(f"/size/{n}")
    assert len(cache.entries) == 2
    assert client.get("/size/1").headers["x-cache"] == "hit"
    assert client.get("/size/2").headers["x-cache"] == "miss"
    assert app.state.calls == 4


def test_the_byte_bound_holds_and_large_answers_are_not_kept() -> None:
    _, cache, client = small_cache(max_entries=100, max_bytes=2_000, max_entry_bytes=900)
    for n in (800, 700, 600, 500):
        client.get(f"/size/{n}")
        assert cache.bytes <= 2_000
    assert cache.bytes == sum(entry.size for entry in cache.entries.values())
    big = client.get("/size/950")
    assert big.status_code == 200 and len(big.content) == 950
    assert client.get("/size/950").headers["x-cache"] == "miss"


def test_zero_entries_turns_the_cache_off() -> None:
    app, cache, client = small_cache(max_entries=0, max_bytes=1_000_000, max_entry_bytes=1_000)
    assert not cache.enabled
    for _ in range(2):
        assert "x-cache" not in client.get("/size/5").headers
    assert app.state.calls == 2


def test_the_bounds_are_service_settings(kb: KnowledgeBase) -> None:
    """From MMKB_RESPONSE_CACHE_* variables and mmkb serve options to the cache create_app mounts."""
    environ = {"MMKB_RESPONSE_CACHE_ENTRIES": "2", "MMKB_RESPONSE_CACHE_ENTRY_BYTES": "25000"}
    settings = Settings.from_env(environ, allowed_hosts=("testserver",))
    assert (settings.response_cache_entries, settings.response_cache_entry_bytes) == (2, 25000)
    with TestClient(create_app(kb, settings)) as client:
        for path in ("/questions", "/studies", "/studies/study-sirius"):  # 9, 8 and 14 KB
            assert len(client.get(path).content) < 20000
        assert client.get("/studies/study-sirius").headers["x-cache"] == "hit"
        assert client.get("/questions").headers["x-cache"] == "miss"  # evicted: 2 entries at most
        assert len(client.get(COMPARE).content) > 25000
        assert client.get(COMPARE).headers["x-cache"] == "miss"  # too large to keep
    args = build_parser().parse_args(["serve", "--response-cache-entries", "0"])
    with TestClient(create_app(kb, from_args(args))) as client:
        for _ in range(2):
            assert "x-cache" not in client.get("/questions").headers


def test_negative_bounds_are_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="MMKB_RESPONSE_CACHE_BYTES must be 0 or more, not -1"):
        Settings.from_env({"MMKB_RESPONSE_CACHE_BYTES": "-1"})
