"""The OpenAPI description of /sparql: its parameters, request bodies, statuses and media types."""

from __future__ import annotations

from typing import Any

from api.sparql_results import GRAPH_FORMATS, SOLUTION_TYPES

_JSON_TYPES = ("application/sparql-results+json", "application/ld+json")
_TEXT = {"text/plain": {"schema": {"type": "string"}}}


def _content(media_types: list[str]) -> dict[str, Any]:
    return {
        media_type: {"schema": {} if media_type in _JSON_TYPES else {"type": "string"}}
        for media_type in media_types
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _TEXT}


_ANSWER_TYPES = [*SOLUTION_TYPES, *GRAPH_FORMATS]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Not a valid query (syntax, empty, two queries, bad dataset IRI, SERVICE or LOAD)."),
    403: _error("SPARQL Update: the endpoint is read-only."),
    406: _error("None of the answer's media types is acceptable."),
    413: _error("The query or the request body is longer than the configured limit."),
    422: _error("The answer has more rows or bytes than the configured caps; narrow the query."),
    503: _error("Deadline passed, all workers busy, a worker ended, or the service is shutting down."),
}
_DATASET_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
    }
    for name, description in (
        ("default-graph-uri", "A graph of the store, by name, merged into the default graph (repeatable)."),
        ("named-graph-uri", "A graph of the store, by name, usable in GRAPH (repeatable)."),
    )
]
_QUERY_PARAMETER = {
    "name": "query",
    "in": "query",
    "required": False,
    "description": "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE). Without it, the service "
    "description (text/turtle) or a query form (text/html).",
    "schema": {"type": "string"},
}
_FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["query"],
}

GET_DOC: dict[str, Any] = {
    "summary": "SPARQL query by GET, or the service description",
    "responses": {
        200: {
            "description": "The answer, in the negotiated media type; without `query`, the service "
            "description or an HTML query form.",
            "content": _content([*_ANSWER_TYPES, "text/html"]),
        },
        **_ERRORS,
    },
    "openapi_extra": {"parameters": [_QUERY_PARAMETER, *_DATASET_PARAMETERS]},
}
POST_DOC: dict[str, Any] = {
    "summary": "SPARQL query by POST (URL-encoded form or application/sparql-query)",
    "responses": {
        200: {"description": "The answer, in the negotiated media type.", "content": _content(_ANSWER_TYPES)},
        **_ERRORS,
        415: _error("The body is neither a URL-encoded form nor application/sparql-query."),
    },
    "openapi_extra": {
        "parameters": _DATASET_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
                "application/sparql-query": {"schema": {"type": "string"}},
            },
        },
    },
}
