"""A small SPARQL 1.1 client on httpx: the Query and Update protocols and Graph Store Protocol PUT and
POST.

Queries go as GET, or as a form-encoded POST when long, with an explicit Accept per query form; updates
go as form-encoded POSTs (some servers hang on a POST of application/sparql-query). Every request has a
timeout and a cap on the bytes read; a failure, a refusal or an unreachable server is a StoreError of
one line that names the URL (credentials come from the environment, never from the location, so no
message can show them).

Environment: MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD (both or neither), MMKB_SPARQL_AUTH (basic, the
default, or digest), MMKB_SPARQL_TIMEOUT (seconds per request, default 60), MMKB_SPARQL_MAX_BYTES (the
largest answer read, default 1 GiB).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from kb.graph.store import LocationError, StoreError

SOLUTIONS = "application/sparql-results+json"
TRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
LONGEST_GET = 2000  # characters of URL; longer queries are POSTed (a common server and proxy limit)
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_BYTES = 1 << 30


@dataclass(frozen=True)
class Endpoints:
    """Where a SPARQL server takes queries, updates and (optionally) Graph Store Protocol requests."""

    query: str
    update: str
    gsp: str | None = None

    @classmethod
    def parse(cls, url: str) -> Endpoints:
        """`http(s)://HOST:PORT/PATH[?update=PATH&gsp=PATH]`: the query URL, then the update and Graph
        Store Protocol URLs relative to it (the update URL is the query URL unless given)."""
        where = f"SPARQL location {_redacted(url)!r}"
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 (a port that is not a number raises here)
        except ValueError:
            raise LocationError(f"{where}: the port is not a number") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LocationError(f"{where}: expected sparql+http://HOST:PORT/PATH or sparql+https://...")
        if parts.username is not None or parts.password is not None:
            raise LocationError(
                f"{where}: credentials do not belong in the location; "
                "set MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD"
            )
        if parts.fragment:
            raise LocationError(f"{where}: a location has no #fragment")
        options = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(options) - {"update", "gsp"})
        if unknown:
            raise LocationError(f"{where}: unknown option {unknown[0]!r}; valid: update, gsp")
        for name, values in options.items():
            if len(values) != 1 or not values[0]:
                raise LocationError(f"{where}: give {name}= once, with a path or URL")
        query = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        update = urljoin(query, options["update"][0]) if "update" in options else query
        gsp = urljoin(query, options["gsp"][0]) if "gsp" in options else None
        for other in (update, gsp):
            if other is not None and urlsplit(other).scheme not in ("http", "https"):
                raise LocationError(f"{where}: {other!r} is not an http(s) URL")
        return cls(query, update, gsp)


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


def auth_from_env(environ: Mapping[str, str] | None = None) -> httpx.Auth | None:
    """Basic or digest credentials from MMKB_SPARQL_USER, MMKB_SPARQL_PASSWORD and MMKB_SPARQL_AUTH."""
    env = os.environ if environ is None else environ
    user, password = env.get("MMKB_SPARQL_USER"), env.get("MMKB_SPARQL_PASSWORD")
    if user is None and password is None:
        return None
    if not user or password is None:
        raise LocationError("set both MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD, or neither")
    scheme = env.get("MMKB_SPARQL_AUTH", "basic").strip().lower()
    if scheme == "basic":
        return httpx.BasicAuth(user, password)
    if scheme == "digest":
        return httpx.DigestAuth(user, password)
    raise LocationError(f"unknown MMKB_SPARQL_AUTH {scheme!r}; valid: basic, digest")


def _number_from_env(name: str, default: float, environ: Mapping[str, str]) -> float:
    text = environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise LocationError(f"{name} must be a positive number, not {text!r}")
    return value


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str


class SparqlClient:
    """Requests to one server's endpoints, each bounded in time and in the bytes read."""

    def __init__(self, endpoints: Endpoints, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.endpoints = endpoints
        self.timeout = _number_from_env("MMKB_SPARQL_TIMEOUT", DEFAULT_TIMEOUT, env)
        self.max_bytes = int(_number_from_env("MMKB_SPARQL_MAX_BYTES", DEFAULT_MAX_BYTES, env))
        # Without TCP_NODELAY a request's body waits for the acknowledgement of its headers.
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        self.http = httpx.Client(
            transport=httpx.HTTPTransport(socket_options=nodelay),
            auth=auth_from_env(env),
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            follow_redirects=False,
            headers={"User-Agent": "mmkb"},
        )

    def close(self) -> None:
        self.http.close()

    def query(
        self, text: str, accept: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> Answer:
        """Run a query; the dataset, when given, goes in the protocol's default-graph-uri and
        named-graph-uri parameters."""
        fields = [
            ("query", text),
            *(("default-graph-uri", g) for g in default_graphs),
            *(("named-graph-uri", g) for g in named_graphs),
        ]
        encoded = urlencode(fields)
        url = self.endpoints.query
        headers = {"Accept": accept}
        if len(url) + 1 + len(encoded) <= LONGEST_GET:
            return self._send("GET", url + ("&" if "?" in url else "?") + encoded, headers)
        return self._send("POST", url, {**headers, "Content-Type": FORM}, encoded.encode())

    def update(self, text: str) -> None:
        body = urlencode({"update": text}).encode()
        self._send("POST", self.endpoints.update, {"Content-Type": FORM}, body)

    def post_graph(self, graph: str, ntriples: bytes) -> None:
        """Add N-Triples to a graph by the Graph Store Protocol (POST merges into the graph)."""
        self._send("POST", self._graph_url(graph), {"Content-Type": TRIPLES}, ntriples)

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace a graph by these N-Triples by the Graph Store Protocol (PUT: one request, so a reader
        sees the old graph or the new one)."""
        self._send("PUT", self._graph_url(graph), {"Content-Type": TRIPLES}, ntriples)

    def _graph_url(self, graph: str) -> str:
        assert self.endpoints.gsp is not None
        return self.endpoints.gsp + ("&" if "?" in self.endpoints.gsp else "?") + urlencode({"graph": graph})

    def _send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None) -> Answer:
        where = url.split("?", 1)[0]
        try:
            with self.http.stream(method, url, headers=headers, content=body) as response:
                received = self._read(response, where)
        except httpx.TimeoutException:
            raise StoreError(f"the SPARQL server at {where} did not answer in {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(f"cannot reach the SPARQL server at {where}: {reason}") from None
        if response.status_code >= 300:
            detail = " ".join(received.decode("utf-8", "replace").split())[:300] or "(no text)"
            hint = "; check MMKB_SPARQL_USER and MMKB_SPARQL_PASSWORD" if response.status_code == 401 else ""
            status = response.status_code
            raise StoreError(f"the SPARQL server at {where} answered HTTP {status}: {detail}{hint}")
        # Virtuoso cuts a long answer at its ResultSetMaxRows and says so only in this header (which it
        # also sends when the answer has exactly that many rows).
        cut = response.headers.get("X-SPARQL-MaxRows")
        if cut is not None:
            raise StoreError(
                f"the SPARQL server at {where} cut the answer at {cut} rows; raise its result limit "
                "(Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)"
            )
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return Answer(received, media_type)

    def _read(self, response: httpx.Response, where: str) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise StoreError(
                    f"the answer of the SPARQL server at {where} is larger than {self.max_bytes} bytes "
                    "(MMKB_SPARQL_MAX_BYTES)"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def json_solutions(answer: Answer, where: str) -> dict:
    """A SPARQL JSON results document (SELECT or ASK)."""
    try:
        document = json.loads(answer.body)
    except ValueError:
        raise StoreError(
            f"the SPARQL server at {where} did not answer in SPARQL JSON results (got {answer.media_type!r})"
        ) from None
    if not isinstance(document, dict):
        raise StoreError(f"the SPARQL server at {where} answered JSON that is not SPARQL results")
    return document
