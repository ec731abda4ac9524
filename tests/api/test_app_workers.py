"""Each app owns its SPARQL workers: two apps in one process never share them, and a stopped app leaves
no worker process or thread behind; no module holds worker state."""

from __future__ import annotations

import importlib
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from types import ModuleType

import psutil
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.sparql_pool import Spawner, WorkerPool, WorkerPools
from kb.knowledge_base import KnowledgeBase

STUDIES = "SELECT ?s WHERE { ?s a mm:Study }"
SETTINGS = Settings(allowed_hosts=("testserver",), sparql_workers=1, response_cache_entries=0)
# The modules that serve SPARQL, from the app factory down to the pool.
MODULES = ("api.app", "api.deps", "api.routes.sparql", "api.sparql_engine", "api.sparql_pool")
STATEFUL = (
    WorkerPools,
    WorkerPool,
    Spawner,
    Executor,
    threading.Thread,
    threading.Condition,
    type(threading.Lock()),
    type(threading.RLock()),
    queue.SimpleQueue,
    weakref.ref,
)


def _running(pids: Iterable[int]) -> list[int]:
    """Those of `pids` that are live processes (a zombie is not)."""
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _answered(client: TestClient) -> int:
    return client.get("/sparql", params={"query": STUDIES}).status_code


def test_two_apps_have_their_own_workers_and_a_stopped_app_leaves_none(kb: KnowledgeBase) -> None:
    threads_before = set(threading.enumerate())
    first, second = create_app(kb, SETTINGS), create_app(kb, SETTINGS)
    with TestClient(second) as second_client:
        with TestClient(first) as first_client:
            assert _answered(first_client) == _answered(second_client) == 200
            first_pools: WorkerPools = first.state.sparql
            second_pools: WorkerPools = second.state.sparql
            assert first_pools is not second_pools
            first_pids, second_pids = first_pools.pids(), second_pools.pids()
            assert first_pids and second_pids and not set(first_pids) & set(second_pids)
            assert _running(first_pids) == first_pids
        # The first app has stopped: its workers are gone, the second's still answer.
        assert _eventually(lambda: not _running(first_pids)), _running(first_pids)
        assert _running(second_pids) == second_pids
        assert _answered(second_client) == 200
        stopped = TestClient(first).get("/sparql", params={"query": STUDIES})
        assert stopped.status_code == 503 and "shutting down" in stopped.text
    assert _eventually(lambda: not _running(second_pids)), _running(second_pids)

    def sparql_threads() -> list[str]:
        new = set(threading.enumerate()) - threads_before
        return sorted(t.name for t in new if t.is_alive() and t.name.startswith("sparql"))

    assert _eventually(lambda: not sparql_threads()), sparql_threads()


def test_each_run_of_an_app_starts_fresh_workers(kb: KnowledgeBase) -> None:
    app: FastAPI = create_app(kb, SETTINGS)
    runs = []
    for _ in range(2):
        with TestClient(app) as client:
            assert _answered(client) == 200
            runs.append(app.state.sparql.pids())
    assert runs[0] and runs[1] and not set(runs[0]) & set(runs[1])
    assert not _running(runs[0] + runs[1])


def _stateful(value: object) -> bool:
    if isinstance(value, STATEFUL):
        return True
    if isinstance(value, dict):
        return any(_stateful(v) for v in value.values())
    if isinstance(value, list | set | tuple | frozenset):
        return any(_stateful(v) for v in value)
    return False


@pytest.mark.parametrize("name", MODULES)
def test_no_module_holds_worker_state(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    held = sorted(attr for attr, value in vars(module).items() if _stateful(value))
    assert held == [], f"{name} holds {held}: worker state belongs on app.state"


def test_the_pool_module_holds_no_mutable_value() -> None:
    """Constants, classes and functions only: nothing a pool could be registered in."""
    module = importlib.import_module("api.sparql_pool")
    mutable = sorted(
        attr
        for attr, value in vars(module).items()
        if isinstance(value, dict | list | set | bytearray) and not attr.startswith("__")
    )
    assert mutable == []
