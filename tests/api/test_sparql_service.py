"""/sparql in a running service: concurrent first queries, /health free of SPARQL load, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Serve, free_port, wait_until_up

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
STUDIES = "SELECT ?s WHERE { ?s a mm:Study }"


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` and that run a SPARQL worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"api.sparql_worker" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) not in ("Z", "X")
    except OSError:
        return False


@pytest.fixture
def fresh_service() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`mmkb serve` in its own process, never asked a SPARQL query yet."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MMKB_ALLOWED_HOSTS": "127.0.0.1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, 60)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_16_concurrent_first_queries_all_answer_then_workers_die_with_a_killed_server(
    fresh_service: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = fresh_service
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def first_query() -> None:
        barrier.wait()
        response = httpx.get(f"{base}/sparql", params={"query": STUDIES}, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=first_query) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert statuses == [200] * 16
    assert httpx.get(f"{base}/sparql", params={"query": STUDIES}, timeout=30).status_code == 200

    workers = _children(process.pid)
    assert len(workers) == 2
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


def test_health_answers_at_once_while_45_slow_queries_run(serve: Serve) -> None:
    with serve(sparql_workers=2, sparql_queue=43, sparql_deadline_seconds=2.0) as settings:
        base = f"http://127.0.0.1:{settings.port}"
        assert httpx.get(f"{base}/sparql", params={"query": STUDIES}, timeout=30).status_code == 200
        statuses: list[int] = []

        def slow_query() -> None:
            response = httpx.get(f"{base}/sparql", params={"query": SLOW}, timeout=60)
            statuses.append(response.status_code)

        threads = [threading.Thread(target=slow_query) for _ in range(45)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        latencies = []
        with httpx.Client(timeout=10) as client:
            for _ in range(10):
                started = time.monotonic()
                assert client.get(f"{base}/health").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)
        for thread in threads:
            thread.join(timeout=120)
    print(
        f"/health under 45 slow queries: max {max(latencies) * 1000:.0f} ms, "
        f"median {sorted(latencies)[5] * 1000:.0f} ms; SPARQL statuses {sorted(set(statuses))}"
    )
    assert max(latencies) < 1.0
    assert len(statuses) == 45 and set(statuses) <= {503}
