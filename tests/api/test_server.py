"""The service under uvicorn as `mmkb serve` runs it, over raw sockets to 127.0.0.1: slow clients cut off,
bodies limited while streaming, no server banner, and SIGTERM ending the process within 2 s."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.server import protocol_class

TIMEOUT = 1.0  # client_timeout_seconds of the servers under test
# A cut-off must come after the deadline and well before this (generous for two busy shared cores).
GIVE_UP = 15.0
PARSERS = ["h11", "httptools"]
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module", params=PARSERS)
def server(request: pytest.FixtureRequest, serve: Callable[..., Any]) -> Iterator[int]:
    """The service with a 1 s client timeout and a 64 KiB body limit, on each HTTP parser; yields the port."""
    http = protocol_class(TIMEOUT, request.param)
    with serve(client_timeout_seconds=TIMEOUT, max_body_bytes=65536, http=http) as settings:
        yield settings.port


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP)
    sock.settimeout(0.05)
    return sock


def _cut_off_after(sock: socket.socket, drip: bytes = b"", interval: float = 0.1) -> tuple[float, bytes]:
    """Seconds until the server closes `sock` while `drip` is sent a byte every `interval`; and what the
    server sent before closing."""
    started = time.monotonic()
    received = b""
    position = 0
    next_send = started
    while time.monotonic() - started < GIVE_UP:
        if position < len(drip) and time.monotonic() >= next_send:
            try:
                sock.sendall(drip[position : position + 1])
            except OSError:
                return time.monotonic() - started, received
            position += 1
            next_send += interval
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started, received
        if not chunk:
            return time.monotonic() - started, received
        received += chunk
    raise AssertionError(f"not cut off within {GIVE_UP} s; received {received[:200]!r}")


def _request(port: int, raw: bytes) -> bytes:
    """The whole answer to `raw` on a fresh connection (closed by the server after one answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_connection_that_sends_nothing_is_closed(server: int) -> None:
    with _connect(server) as sock:
        elapsed, received = _cut_off_after(sock)
    assert received == b"" and TIMEOUT * 0.9 <= elapsed < GIVE_UP


def test_headers_dripped_byte_by_byte_are_cut_off(server: int) -> None:
    drip = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 500
    with _connect(server) as sock:
        elapsed, received = _cut_off_after(sock, drip)
    assert received == b"" and TIMEOUT * 0.9 <= elapsed < GIVE_UP


def test_a_body_dripped_byte_by_byte_is_cut_off(server: int) -> None:
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 500\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(head)
        elapsed, received = _cut_off_after(sock, b"#" * 500)
    assert received == b"" and TIMEOUT * 0.9 <= elapsed < GIVE_UP


def test_an_idle_keep_alive_connection_is_closed_and_a_slow_but_timely_client_is_served(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(TIMEOUT / 4)
        sock.sendall(b"Accept: application/json\r\n\r\n")
        elapsed, received = _cut_off_after(sock)
    assert received.startswith(b"HTTP/1.1 200 ")
    assert TIMEOUT * 0.9 <= elapsed < GIVE_UP


def test_no_server_banner(server: int) -> None:
    response = httpx.get(f"http://127.0.0.1:{server}/health")
    assert response.status_code == 200
    assert "server" not in response.headers


def test_a_declared_body_over_the_limit_is_413_without_sending_it(server: int) -> None:
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 10000000000\r\n\r\n"
    )
    answer = _request(server, head)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"65536 bytes" in answer


def test_a_chunked_body_is_cut_at_the_limit(server: int) -> None:
    chunk = b"# " + b"x" * 8190 + b"\n"
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server), timeout=GIVE_UP) as sock:
        sock.sendall(head)
        sent = 0
        answer = b""
        sock.settimeout(0.05)
        # Sends up to 64 MiB unless answered first: the server must answer once 64 KiB have arrived.
        while sent < 64 * 1024 * 1024:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if answer:
                break
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert sent < 4 * 1024 * 1024


def test_the_wrong_media_type_is_refused_before_the_body_is_read(server: int) -> None:
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
    )
    assert _request(server, head).startswith(b"HTTP/1.1 415 ")


def _group_members(group: int, wait: float) -> list[str]:
    """Command lines of the processes still in process group `group` after up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group and fields[0] != "Z":
                    members.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, IndexError, ValueError):
                continue
        if not members or time.monotonic() > deadline:
            return members
        time.sleep(0.1)


def test_sigterm_stops_mmkb_serve_within_2_s_while_a_query_runs(tmp_path: Path, free_tcp_port: int) -> None:
    port = free_tcp_port
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--port", str(port), "--sparql-deadline-seconds", "60"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, to find any process it leaves behind
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while b"Application startup complete" not in (tmp_path / "serve.log").read_bytes():
            assert time.monotonic() < deadline and process.poll() is None, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.1)
        answers: list[object] = []

        def query() -> None:
            try:
                answers.append(
                    httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": SLOW_QUERY}, timeout=60)
                )
            except httpx.HTTPError as exc:
                answers.append(exc)

        client = threading.Thread(target=query, daemon=True)
        client.start()
        time.sleep(1.0)  # the query is running in a worker by now
        assert not answers, f"the slow query answered at once: {answers}"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=GIVE_UP)
        elapsed = time.monotonic() - started
        print(f"SIGTERM to exit: {elapsed:.2f} s")
        assert elapsed < 2.0, (tmp_path / "serve.log").read_text()
        left = _group_members(process.pid, wait=5.0)
        print(f"process group empty {time.monotonic() - started:.2f} s after SIGTERM")
        assert left == [], f"processes outliving the server: {left}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()
