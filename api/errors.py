"""Error responses as JSON {"error": ..., "valid": [...]}: every library error class with its 4xx status,
and a catch-all 500 that never shows a traceback to the client."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.http.headers import SECURITY_HEADERS
from api.schemas import Error
from kb.analysis.response_rate import OptionError
from kb.graph.binding import BindingError
from kb.graph.store import LocationError, StoreError
from kb.knowledge_base import LoadFailed

# Library errors a request can cause, with their status and what the client should do about them.
# QueryEngineError and anything else not listed is a fault of the service: a 500 with no details.
LIBRARY_ERRORS: Mapping[type[Exception], tuple[int, str]] = {
    BindingError: (400, "this value cannot be used in a query; ids hold letters, digits, '-', '.', '_', '~'"),
    OptionError: (422, ""),
    LocationError: (400, "name a supported store location"),
    LoadFailed: (422, "fix the files named"),
}


class ApiError(Exception):
    """An error the client can fix: a status, a message and, where it helps, the valid values."""

    def __init__(
        self, status: int, error: str, valid: Sequence[str] = (), headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.valid = list(valid)
        self.headers = dict(headers or {})


def invalid_option(option: str, value: str, valid: Sequence[str]) -> ApiError:
    return ApiError(422, f"invalid {option} {value!r}", valid)


def not_found(what: str, value: str, valid: Sequence[str] = ()) -> ApiError:
    return ApiError(404, f"no {what} {value!r}", valid)


def error_response(
    status: int, error: str, valid: Sequence[str] = (), headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one shape of every error answer, described in OpenAPI by schemas.Error."""
    body = Error(error=error, valid=list(valid)).model_dump(exclude_defaults=True)
    return JSONResponse(body, status_code=status, headers=headers)


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """The OpenAPI `responses` entries of these error statuses: JSON Error bodies whatever media type the
    route answers with when it succeeds (hence the schema inline, not as `model`)."""
    meanings = {
        400: "bad request: a value that cannot be used, or a Host header this service does not answer to",
        403: "refused: an unsafe method from another site's page",
        404: "nothing by that name; `valid` lists the names there are",
        405: "method not allowed; the Allow header lists the allowed ones",
        413: "request body larger than the limit",
        415: "request body of a media type this route does not read",
        422: "invalid parameter; `valid` lists the valid values",
    }
    content = {"application/json": {"schema": Error.model_json_schema()}}
    return {status: {"description": meanings[status], "content": content} for status in statuses}


def _valid_from_message(message: str) -> list[str]:
    """The library's messages end in '; valid: a, b, c' (or '; valid names: ...')."""
    found = re.search(r";\s*valid(?: names)?:\s*(.*)$", message)
    return [v.strip() for v in found.group(1).split(",") if v.strip()] if found else []


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.valid, exc.headers)


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    status, advice = next(v for k, v in LIBRARY_ERRORS.items() if isinstance(exc, k))
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return error_response(status, f"{message}; {advice}" if advice else message, _valid_from_message(message))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
    ]
    return error_response(422, "invalid request: " + "; ".join(problems))


def allowed_methods(request: Request, allow: str = "") -> list[str]:
    """Every method served at this path: `allow` (Starlette's Allow, from the first route that matched
    the path) and those of the other operations on it in the OpenAPI description (the SPARQL endpoint
    has one route per method)."""
    methods = {m.strip().upper() for m in allow.split(",") if m.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request, headers.pop("Allow", ""))
        headers["Allow"] = ", ".join(allowed)
        return error_response(405, f"{request.method} is not allowed on {request.url.path}", allowed, headers)
    if exc.status_code == 404 and exc.detail == "Not Found":
        return error_response(404, f"no such path {request.url.path!r}; the API is described at /docs")
    return error_response(exc.status_code, str(exc.detail), headers=headers)


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    # The server's address and its words go to the service log; the client learns only to try again.
    logging.getLogger("uvicorn.error.mmkb").warning("%s", exc)
    message = "the knowledge base's SPARQL server did not answer; try again later"
    return error_response(503, message, headers={"Retry-After": "1"})


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log (Starlette re-raises after this handler), never to the client.
    # This answer is sent outside the middleware stack, so it carries the security headers itself.
    return error_response(500, "internal error; the service log has the details", headers=SECURITY_HEADERS)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    for error_class in LIBRARY_ERRORS:
        app.add_exception_handler(error_class, _library_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
