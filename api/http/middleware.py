"""Pure ASGI middleware: security headers, allowed hosts, refusal of cross-site writes, request-body limit."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response
from api.http.headers import SECURITY_HEADERS
from api.sparql_protocol import FORM, SPARQL_QUERY, SPARQL_UPDATE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The media types any route of this service reads from a request body (the SPARQL protocol's POST forms;
# an update is read only to be refused with a clear message).
BODY_MEDIA_TYPES = (FORM, SPARQL_QUERY, SPARQL_UPDATE)
DEFAULT_PORTS = {"http": "80", "https": "443"}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(host: str) -> str:
    """The name in a Host header, without its port ('[::1]:8000' -> '[::1]')."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host


class AllowedHosts:
    """400 for a Host header not in `hosts` ('*' allows any, '*.example.org' its subdomains)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {h.strip().lower() for h in hosts}

    def allows(self, name: str) -> bool:
        if "*" in self.hosts or name in self.hosts:
            return True
        return any(h.startswith("*.") and name.endswith(h[1:]) for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host", "")
            if not self.allows(host_name(host)):
                message = f"Host {host!r} is not one this service answers to (setting allowed_hosts)"
                await error_response(400, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def origin_of(scheme: str, host: str) -> str:
    """scheme://host with the scheme's default port left out, lowercased, as browsers send Origin."""
    host = host.strip().lower()
    default = DEFAULT_PORTS.get(scheme)
    if default and host.endswith(f":{default}") and not host.endswith("]"):
        host = host[: -len(default) - 1]
    return f"{scheme}://{host}"


class SameOriginWrites:
    """403 for an unsafe method whose Origin header is neither this service's own nor a trusted one.

    Browsers send Origin with every cross-site POST, so a form on another site's page cannot make the
    service act; clients that send no Origin (curl, SPARQL libraries) pass.
    """

    def __init__(self, app: ASGIApp, trusted_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = {o.strip().lower().rstrip("/") for o in trusted_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin is not None:
                scheme, _, host = origin.strip().lower().partition("://")
                given = origin_of(scheme, host)
                own = origin_of(scope["scheme"], headers.get("host", ""))
                if given != own and given not in self.trusted and "*" not in self.trusted:
                    message = f"{scope['method']} from another site's page ({origin!r}) is refused"
                    await error_response(403, message)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class BodyTooLarge(ApiError):
    """Raised from `receive` when the body read so far passes the limit; answered 413."""

    def __init__(self, limit: int) -> None:
        message = f"request body larger than {limit} bytes (setting max_body_bytes)"
        super().__init__(413, message, headers={"Connection": "close"})


class BodyLimit:
    """Request bodies: media type checked before reading, size checked from Content-Length and counted
    while streaming, so that a large or chunked body is cut at `max_bytes` without being buffered."""

    def __init__(self, app: ASGIApp, max_bytes: int, media_types: Iterable[str] = BODY_MEDIA_TYPES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.media_types = tuple(media_types)

    def refusal(self, scope: Scope, headers: Headers) -> ApiError | None:
        """The answer to give before reading the body, if any."""
        length = headers.get("content-length")
        if length is None and "transfer-encoding" not in headers:
            return None
        if length is not None:
            if not length.strip().isdigit():
                return ApiError(400, f"invalid Content-Length {length!r}")
            if int(length) > self.max_bytes:
                return BodyTooLarge(self.max_bytes)
            if int(length) == 0:
                return None
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if scope["method"] not in SAFE_METHODS and media_type not in self.media_types:
            return ApiError(
                415,
                f"a request body of type {media_type or '(none)'!r} is not read here; send one of "
                + ", ".join(self.media_types),
                self.media_types,
                {"Connection": "close"},
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope, Headers(scope=scope))
        if refusal is not None:
            await error_response(refusal.status, refusal.error, refusal.valid, refusal.headers)(
                scope, receive, send
            )
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted_receive, send)
