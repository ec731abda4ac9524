"""Worker processes that run user SPARQL on Oxigraph, each killed and replaced when a deadline passes."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

_STARTUP_SECONDS = 120.0

SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class Job:
    """One query to run: its text, its dataset (None: the union of all graphs) and the answer's format."""

    query: str
    media_type: str
    max_rows: int
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Outcome:
    """The answer's bytes (status 200) or an error status with a message for the user."""

    status: int
    body: bytes
    media_type: str


class Timeout(Exception):
    """The query passed its deadline; its worker was killed."""


class Busy(Exception):
    """No worker became free before the deadline."""


def execute(store: ox.Store, prefixes: dict[str, str], job: Job) -> Outcome:
    """Run one job on `store`: serialized results, or a 400 (syntax) / 413 (too many results) outcome."""
    try:
        results = _query(store, prefixes, job)
        if isinstance(results, ox.QueryBoolean):
            return Outcome(
                200, results.serialize(format=SOLUTION_FORMATS[job.media_type]) or b"", job.media_type
            )
        if isinstance(results, ox.QueryTriples):
            triples = []
            for triple in results:
                triples.append(triple)
                if len(triples) > job.max_rows:
                    return _too_many(job.max_rows, "triples")
            body = ox.serialize(triples, format=GRAPH_FORMATS[job.media_type], prefixes=prefixes)
            return Outcome(200, body or b"", job.media_type)
        # Count first, stopping at the cap, then run again to serialize: solutions cannot be rebuilt.
        for count, _ in enumerate(results, start=1):
            if count > job.max_rows:
                return _too_many(job.max_rows, "rows")
        solutions = _query(store, prefixes, job)
        assert isinstance(solutions, ox.QuerySolutions)
        return Outcome(
            200, solutions.serialize(format=SOLUTION_FORMATS[job.media_type]) or b"", job.media_type
        )
    except SyntaxError as exc:
        return Outcome(400, f"SPARQL syntax error: {exc}".encode(), "text/plain")
    except (OSError, ValueError, RuntimeError) as exc:
        return Outcome(500, f"query failed: {exc}".encode(), "text/plain")


def _query(store: ox.Store, prefixes: dict[str, str], job: Job) -> Any:
    if job.default_graph is None and job.named_graphs is None:
        return store.query(job.query, prefixes=prefixes, use_default_graph_as_union=True)
    return store.query(
        job.query,
        prefixes=prefixes,
        default_graph=[ox.NamedNode(g) for g in job.default_graph or ()],
        named_graphs=[ox.NamedNode(g) for g in job.named_graphs or ()],
    )


def _too_many(limit: int, what: str) -> Outcome:
    message = f"the query returns more than {limit} {what}; add a LIMIT (at most {limit}) or narrow the query"
    return Outcome(413, message.encode(), "text/plain")


def _serve(conn: Connection) -> None:
    """Worker main loop: load the data once, then answer jobs until the pipe closes."""
    nquads, prefixes = conn.recv()
    store = ox.Store()
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server closed the pipe or went away
            return
        conn.send(execute(store, prefixes, job))


class _Worker:
    """A fresh interpreter (no inherited Rust threads or locks, no re-import of the caller's main module)."""

    def __init__(self, nquads: bytes, prefixes: dict[str, str]) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.sparql_worker", str(theirs.fileno())], pass_fds=[theirs.fileno()]
            )
        self.conn = Connection(ours.detach())
        self.conn.send((nquads, prefixes))
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.conn.poll(_STARTUP_SECONDS) or self.conn.recv() != "ready":
                raise RuntimeError("SPARQL worker did not start")
            self.ready = True

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.conn.close()


class WorkerPool:
    """A fixed number of worker processes, each holding its own copy of the store."""

    def __init__(self, nquads: bytes, prefixes: dict[str, str], size: int) -> None:
        self._nquads = nquads
        self._prefixes = prefixes
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self._nquads, self._prefixes)
        with self._lock:
            self._all.add(worker)
        self._idle.put(worker)

    def run(self, job: Job, deadline_seconds: float) -> Outcome:
        """Run `job` in a free worker; raise Busy or Timeout if the deadline passes first."""
        try:
            worker = self._idle.get(timeout=deadline_seconds)
        except queue.Empty:
            raise Busy from None
        try:
            worker.wait_ready()
            started = time.monotonic()
            worker.conn.send(job)
            if worker.conn.poll(deadline_seconds):
                outcome: Outcome = worker.conn.recv()
                self._idle.put(worker)
                return outcome
            elapsed = time.monotonic() - started
        except BaseException:
            self._replace(worker)
            raise
        self._replace(worker)
        raise Timeout(f"the query did not finish within {elapsed:.1f} s")

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)
            closed = self._closed
        if not closed:
            self._add()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


_POOLS: dict[int, tuple[weakref.ref[Any], WorkerPool]] = {}
_POOLS_LOCK = threading.Lock()


def pool_for(owner: object, dump: Callable[[], bytes], prefixes: dict[str, str], size: int) -> WorkerPool:
    """The pool serving `owner`'s store, started on first use; `dump()` gives the store as N-Quads."""
    with _POOLS_LOCK:
        entry = _POOLS.get(id(owner))
        if entry is not None and entry[0]() is owner:
            return entry[1]
        if entry is not None:  # a dead owner whose id was reused
            entry[1].close()
        pool = WorkerPool(dump(), prefixes, size)
        _POOLS[id(owner)] = (weakref.ref(owner), pool)
        return pool


def shutdown_workers() -> None:
    """Stop every worker process."""
    with _POOLS_LOCK:
        pools = [pool for _, pool in _POOLS.values()]
        _POOLS.clear()
    for pool in pools:
        pool.close()


if __name__ == "__main__":
    # Run the imported module's copy so that pickled Outcomes name api.sparql_worker, not __main__.
    from api.sparql_worker import _serve as serve

    serve(Connection(int(sys.argv[1])))
