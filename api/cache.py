"""A bounded in-memory response cache for GET requests, as pure ASGI middleware (the graph is read-only).

The knowledge base does not change after it is loaded, so the answer to a GET on a REST route is a
function of the store version (`version()`: the build served, api.app.store_version), the request line
and the headers it depends on. The computed tables (the comparison, its forest plot, the networks) are
thus computed once per store version and representation; when the version changes, every entry is
dropped. This middleware keeps the complete 200
answers of such requests in a least-recently-used map bounded by entries and by bytes, and replays them
without running the route. It sits outermost, so the key holds every header the inner middleware decides
on (Host, Origin) besides those that select the representation (Accept, Accept-Encoding): a stored
answer is only ever replayed to a request that the whole stack answered 200 before.

Never cached: the SPARQL endpoint (user queries, with their own deadline and limits) and /health
(liveness must be live); requests with a body, a Range or a conditional header; answers other than 200,
with Set-Cookie, `Cache-Control: no-store` or `private`, or `Vary: *`. A request with
`Cache-Control: no-cache` (or `Pragma: no-cache`) skips the lookup and refreshes the entry.

Its bounds are service settings (api/settings.py: response_cache_entries, 0 turning the cache off,
response_cache_bytes and response_cache_entry_bytes), passed by create_app.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXCLUDED_PREFIXES = ("/sparql", "/health")
KEY_HEADERS = (b"host", b"accept", b"accept-encoding", b"origin")
BYPASS_HEADERS = frozenset(
    {b"range", b"if-range", b"if-none-match", b"if-modified-since", b"content-length", b"transfer-encoding"}
)
CACHE_HEADER = b"x-cache"

Key = tuple[str, bytes, tuple[bytes, ...]]


def _unversioned() -> str:
    return ""


@dataclass(frozen=True)
class Entry:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(name) + len(value) for name, value in self.headers)


def _directives(value: bytes) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in value.decode("latin-1").split(",")}


class ResponseCache:
    """LRU cache of complete 200 answers to GET requests, bounded by `max_entries` and `max_bytes`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_entries: int,
        max_bytes: int,
        max_entry_bytes: int,
        excluded_prefixes: tuple[str, ...] = EXCLUDED_PREFIXES,
        version: Callable[[], str] = _unversioned,
    ) -> None:
        self.app = app
        self.version = version
        self.cached_version: str | None = None  # the version the entries belong to
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_bytes, max_entry_bytes)
        self.excluded_prefixes = excluded_prefixes
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def _key(self, scope: Scope) -> tuple[Key | None, bool]:
        """The cache key of a request (None: not cacheable) and whether it asks for a fresh answer."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None, False
        path: str = scope["path"]
        if path.startswith(self.excluded_prefixes):
            return None, False
        found: dict[bytes, bytes] = {}
        fresh = False
        for name, value in scope["headers"]:
            if name in BYPASS_HEADERS:
                if name != b"content-length" or value.strip() not in (b"", b"0"):
                    return None, False
            elif name == b"cache-control":
                directives = _directives(value)
                if "no-store" in directives:
                    return None, False
                fresh = fresh or "no-cache" in directives
            elif name == b"pragma" and b"no-cache" in value.lower():
                fresh = True
            elif name in KEY_HEADERS:
                found[name] = found.get(name, b"") + b"," + value if name in found else value
        key = (path, scope.get("query_string", b""), tuple(found.get(name, b"") for name in KEY_HEADERS))
        return key, fresh

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key, fresh = self._key(scope) if self.enabled else (None, False)
        if key is None:
            await self.app(scope, receive, send)
            return
        version = self.version()
        if version != self.cached_version:  # another build is served: nothing stored answers for it
            self.entries.clear()
            self.bytes = 0
            self.cached_version = version
        entry = None if fresh else self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            self.hits += 1
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*entry.headers, (CACHE_HEADER, b"hit")],
                }
            )
            await send({"type": "http.response.body", "body": entry.body, "more_body": False})
            return
        self.misses += 1
        await self._fill(key, scope, receive, send, version)

    async def _fill(self, key: Key, scope: Scope, receive: Receive, send: Send, version: str) -> None:
        """Run the app, passing its answer through while keeping a copy of a storable one (unless another
        store version is served by the time it is complete)."""
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        state = {"storable": False, "size": 0}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers[:] = [(bytes(n).lower(), bytes(v)) for n, v in message.get("headers", [])]
                state["storable"] = message["status"] == 200 and self._storable(headers)
                message = {**message, "headers": [*message.get("headers", []), (CACHE_HEADER, b"miss")]}
            elif message["type"] == "http.response.body" and state["storable"]:
                body = bytes(message.get("body", b""))
                state["size"] += len(body)
                if state["size"] > self.max_entry_bytes:
                    state["storable"] = False
                    chunks.clear()
                else:
                    chunks.append(body)
                    if not message.get("more_body", False) and version == self.cached_version:
                        self._store(key, Entry(tuple(headers), b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)

    @staticmethod
    def _storable(headers: list[tuple[bytes, bytes]]) -> bool:
        for name, value in headers:
            if name == b"set-cookie" or (name == b"vary" and value.strip() == b"*"):
                return False
            if name == b"cache-control" and _directives(value) & {"no-store", "private", "no-cache"}:
                return False
        return True

    def _store(self, key: Key, entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        if entry.size > self.max_entry_bytes:
            return
        self.entries[key] = entry
        self.bytes += entry.size
        while self.entries and (len(self.entries) > self.max_entries or self.bytes > self.max_bytes):
            _, evicted = self.entries.popitem(last=False)
            self.bytes -= evicted.size
