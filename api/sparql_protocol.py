"""The SPARQL 1.1 Protocol's request side: where the query and dataset are, size limits, negotiation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from api.negotiation import negotiate
from api.sparql_results import GRAPH_FORMATS, SOLUTION_TYPES

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
READ_ONLY = "SPARQL Update is not allowed: this endpoint is read-only"


class Refused(Exception):
    """A request answered with an error status before any evaluation."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class QueryRequest:
    """The query text and the protocol's dataset (None: the query's own, or the union of all graphs)."""

    query: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


def from_get(query_string: str, max_query_bytes: int) -> QueryRequest | None:
    """The request in a GET's query string; None when it names no query (the service description)."""
    params = _pairs(query_string, "the URL")
    if any(name == "update" for name, _ in params):
        raise Refused(403, READ_ONLY)
    queries = [value for name, value in params if name == "query"]
    if not queries:
        return None
    return _request(queries, params, max_query_bytes)


def content_type(header: str | None) -> str:
    """The media type of a Content-Type header, lower-cased, without parameters."""
    return (header or "").split(";")[0].strip().lower()


def check_post(media_type: str, query_string: str) -> None:
    """Refuse a POST by its content type and URL alone, before its body is read."""
    if media_type == SPARQL_UPDATE or any(name == "update" for name, _ in _pairs(query_string, "the URL")):
        raise Refused(403, READ_ONLY)
    if media_type not in (FORM, SPARQL_QUERY):
        raise Refused(
            415, f"POST a query as {FORM} (field 'query') or as {SPARQL_QUERY}, not {media_type or 'no type'}"
        )


def from_post(media_type: str, query_string: str, body: bytes, max_query_bytes: int) -> QueryRequest:
    """The request in a POST whose type passed `check_post`: a form, or the query as the body."""
    url_params = _pairs(query_string, "the URL")
    if any(name == "query" for name, _ in url_params):
        raise Refused(400, "the query is given in the URL of a POST; send it in the request body only")
    if media_type == FORM:
        form = _pairs(_utf8(body, "the form"), "the form")
        if any(name == "update" for name, _ in form):
            raise Refused(403, READ_ONLY)
        params = url_params + form
        queries = [value for name, value in form if name == "query"]
    else:
        params = url_params
        queries = [_utf8(body, "the query")]
    if not queries:
        raise Refused(400, "no query: send the SPARQL query in the form field 'query' or as the body")
    return _request(queries, params, max_query_bytes)


async def read_body(chunks: AsyncIterator[bytes], declared_length: str | None, limit: int) -> bytes:
    """The body, refused with 413 as soon as it (or its declared length) passes `limit` bytes."""
    too_large = Refused(413, f"the request body is larger than {limit} bytes, the most this endpoint accepts")
    if declared_length is not None and declared_length.strip().isdigit() and int(declared_length) > limit:
        raise too_large
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large
        parts.append(chunk)
    return b"".join(parts)


def answer_types(accept: str | None) -> tuple[str | None, str | None]:
    """The media types for solutions and for graphs; 406 when the client accepts neither."""
    solutions, graphs = negotiate(accept, SOLUTION_TYPES), negotiate(accept, list(GRAPH_FORMATS))
    if solutions is None and graphs is None:
        offered = ", ".join([*SOLUTION_TYPES, *GRAPH_FORMATS])
        raise Refused(406, f"no acceptable format; this endpoint answers in {offered}")
    return solutions, graphs


def _request(queries: list[str], params: list[tuple[str, str]], max_query_bytes: int) -> QueryRequest:
    if len(queries) > 1:
        raise Refused(400, f"{len(queries)} queries given; send exactly one 'query'")
    query = queries[0]
    size = len(query.encode("utf-8", errors="surrogatepass"))
    if size > max_query_bytes:
        raise Refused(
            413, f"the query is {size} bytes, longer than the {max_query_bytes} bytes this endpoint accepts"
        )
    default = tuple(value for name, value in params if name == "default-graph-uri")
    named = tuple(value for name, value in params if name == "named-graph-uri")
    if not default and not named:
        return QueryRequest(query)
    return QueryRequest(query, default, named)


def _pairs(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Refused(400, f"{where} is not valid percent-encoded UTF-8") from None


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"{what} is not valid UTF-8 (byte {exc.start})") from None
