"""A live mmkb service on 127.0.0.1 for tests that use real HTTP clients; TestClient's host allowed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.http.server import server_config
from api.routes import sparql
from api.settings import Settings
from kb.knowledge_base import KnowledgeBase

# Starlette's TestClient sends "Host: testserver"; the service's defaults allow only local names.
TEST_HOSTS = "testserver,127.0.0.1,localhost"

Serve = Callable[..., AbstractContextManager[Settings]]


@pytest.fixture(scope="session", autouse=True)
def _test_hosts() -> Iterator[None]:
    """Apps built from the environment (create_app() with no settings) accept TestClient's host."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MMKB_ALLOWED_HOSTS", TEST_HOSTS)
        yield


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"the service at {base} did not start within {seconds} s")


@pytest.fixture(scope="session")
def serve(kb: KnowledgeBase) -> Serve:
    """serve(**settings, http=...) runs the service on a free 127.0.0.1 port under uvicorn, configured as
    `mmkb serve` configures it, in a thread; a context manager yielding the settings (port included)."""

    @contextmanager
    def running(**overrides: Any) -> Iterator[Settings]:
        uvicorn_options = {"log_level": "warning"}
        if "http" in overrides:
            uvicorn_options["http"] = overrides.pop("http")
        settings = Settings.from_env(port=free_port(), **overrides)
        server = uvicorn.Server(server_config(create_app(kb, settings), settings, **uvicorn_options))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            wait_until_up(f"http://127.0.0.1:{settings.port}")
            yield settings
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    return running


@pytest.fixture(scope="session")
def live_server(serve: Serve) -> Iterator[str]:
    """The service with its default settings; yields its base URL."""
    with serve() as settings:
        yield f"http://127.0.0.1:{settings.port}"


@pytest.fixture
def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    return free_port()


def sparql_app(kb: KnowledgeBase, settings: Settings) -> FastAPI:
    """An app with only the SPARQL router and its lifespan (and /ping, a route that never touches SPARQL)."""
    app = FastAPI(lifespan=sparql.lifespan)
    app.state.kb = kb
    app.state.settings = settings
    app.include_router(sparql.router)

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


class CountingListener:
    """A TCP listener on 127.0.0.1 that accepts and counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def count(self) -> int:
        """Connections so far, after a pause that lets a pending one be accepted."""
        time.sleep(0.15)
        return self.accepted

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[CountingListener]:
    """A CountingListener for the module's tests."""
    listening = CountingListener()
    yield listening
    listening.close()
