"""The uvicorn server: no banner, a deadline on receiving each request, and a short graceful shutdown.

uvicorn bounds only the idle time between requests (timeout_keep_alive). A client that opens a
connection and sends nothing, or drips its headers or body a byte at a time, would hold the connection
for ever; the protocol classes here close it when a whole request has not arrived within the deadline.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings

# Seconds that requests still running at SIGTERM are given before they are cancelled; with the worker
# pools closed by the lifespan after it, the process is gone well within 2 s.
GRACEFUL_SHUTDOWN_SECONDS = 1.0


class RequestDeadline(asyncio.Protocol):
    """Mixin for a uvicorn HTTP protocol: the connection is closed unless each request (headers and body)
    has been received within `request_seconds` of the connection opening or of its first byte."""

    request_seconds: float = 10.0
    _request_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._request_timer is None:  # the first bytes of the next request
            self._arm()
        super().data_received(data)
        if self._request_received():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _request_received(self) -> bool:
        return False

    def _arm(self) -> None:
        self._disarm()
        self._request_timer = self.loop.call_later(self.request_seconds, self._request_timed_out)

    def _disarm(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class H11WithDeadline(RequestDeadline, H11Protocol):
    """h11 (pure Python): the request is in once the client's side of the exchange is done."""

    def _request_received(self) -> bool:
        return self.conn.their_state not in (h11.IDLE, h11.SEND_BODY)


def _httptools_class() -> type[RequestDeadline] | None:
    """The httptools protocol (faster, C parser) with the deadline, where httptools is installed."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return None

    class HttpToolsWithDeadline(RequestDeadline, HttpToolsProtocol):
        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._disarm()

    return HttpToolsWithDeadline


def protocol_class(request_seconds: float, parser: str = "auto") -> type[asyncio.Protocol]:
    """The HTTP protocol class with this deadline; `parser` is 'httptools', 'h11' or 'auto'."""
    base = _httptools_class() if parser in ("auto", "httptools") else None
    if base is None and parser == "httptools":
        raise ValueError("httptools is not installed")
    base = base or H11WithDeadline
    return type(base.__name__, (base,), {"request_seconds": request_seconds})


def server_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for `app` under `settings`; `options` pass on to uvicorn.Config."""
    options.setdefault("http", protocol_class(settings.client_timeout_seconds))
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        server_header=False,
        timeout_keep_alive=settings.client_timeout_seconds,  # type: ignore[arg-type]
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,  # type: ignore[arg-type]
        **options,
    )


def run(app: Any, settings: Settings, **options: Any) -> None:
    """Serve `app` under `settings` until interrupted; `options` pass on to uvicorn.Config."""
    uvicorn.Server(server_config(app, settings, **options)).run()
