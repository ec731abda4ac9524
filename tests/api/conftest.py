"""A live mmkb service on 127.0.0.1 for tests that use real HTTP clients; TestClient's host allowed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.http.server import server_config
from api.routes.sparql import shutdown_workers
from api.settings import Settings

# Starlette's TestClient sends "Host: testserver"; the service's defaults allow only local names.
TEST_HOSTS = "testserver,127.0.0.1,localhost"


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
def live_server(kb) -> Iterator[str]:
    """The service on a free local port, served by uvicorn (as `mmkb serve` configures it) in a thread;
    yields its base URL."""
    settings = Settings.from_env(port=free_port())
    server = uvicorn.Server(server_config(create_app(kb, settings), settings, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.port}"
    wait_until_up(base)
    yield base
    server.should_exit = True
    thread.join(timeout=10)
    shutdown_workers()
