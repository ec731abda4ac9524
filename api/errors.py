"""Error responses as JSON {"error": ..., "valid": [...]} and the handlers that produce them."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kb.compare import OptionError


class ApiError(Exception):
    """An error the client can fix: a status, a message and, where it helps, the valid values."""

    def __init__(self, status: int, error: str, valid: Sequence[str] = ()) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.valid = list(valid)


def invalid_option(option: str, value: str, valid: Sequence[str]) -> ApiError:
    return ApiError(422, f"invalid {option} {value!r}", valid)


def not_found(what: str, value: str, valid: Sequence[str] = ()) -> ApiError:
    return ApiError(404, f"no {what} {value!r}", valid)


def _body(error: str, valid: Sequence[str] = ()) -> dict[str, object]:
    body: dict[str, object] = {"error": error}
    if valid:
        body["valid"] = list(valid)
    return body


def _valid_from_message(message: str) -> list[str]:
    """The library's messages end in '; valid: a, b, c' (or 'valid names:')."""
    _, sep, tail = message.rpartition("valid")
    if not sep:
        return []
    tail = tail.split(":", 1)[-1]
    return [v.strip() for v in tail.split(",") if v.strip()]


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(_body(exc.error, exc.valid), status_code=exc.status)


async def _option_error(request: Request, exc: Exception) -> JSONResponse:
    message = str(exc)
    return JSONResponse(_body(message, _valid_from_message(message)), status_code=422)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
    ]
    return JSONResponse({"error": "invalid request: " + "; ".join(problems)}, status_code=422)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(OptionError, _option_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
