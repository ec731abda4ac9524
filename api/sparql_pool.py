"""A bounded pool of confined SPARQL worker processes, awaited from async handlers on its own threads."""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from api.sparql_engine import Job, Outcome, WorkerData
from api.sparql_worker import READY

logger = logging.getLogger("uvicorn.error.mmkb.sparql")
_STARTUP_SECONDS = 60.0
_START_ATTEMPTS = 3
# Address space a worker on a built store gets beyond its memory limit: opening the store (RocksDB,
# read-only) reserves about 230 MiB for its threads and arenas, little of it resident, while the data
# stays on disk instead of in the worker's memory.
STORE_ADDRESS_SPACE_MB = 512


class Unavailable(Exception):
    """No answer from a worker; the message says why and is safe to show."""


class Full(Unavailable):
    """As many SPARQL requests as the pool admits are already running or waiting."""


class Busy(Unavailable):
    """No worker became free before the deadline."""


class Timeout(Unavailable):
    """The query passed its deadline; its worker was killed and is being replaced."""


class WorkerDied(Unavailable):
    """The worker ended while running the query (a crash or its memory limit); it is being replaced."""


class Closed(Unavailable):
    """The pool is shut down."""


@dataclass(frozen=True)
class PoolLimits:
    """Workers, waiting places, each worker's address-space limit and the size that gets it replaced."""

    workers: int
    queue: int
    memory_mb: int
    recycle_mb: int


_SpawnRequest = tuple[list[str], int, Future[subprocess.Popen[bytes]]]


class Spawner:
    """Starts worker processes from one long-lived thread: PR_SET_PDEATHSIG fires when the *thread*
    that started a worker exits, so short-lived threads must not start them, and ending this thread
    (close) ends every worker it started."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[_SpawnRequest | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="sparql-spawner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while (request := self._requests.get()) is not None:
            args, fd, future = request
            try:
                env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
                future.set_result(subprocess.Popen(args, pass_fds=[fd], env=env))
            except BaseException as exc:
                future.set_exception(exc)

    def popen(self, args: list[str], fd: int) -> subprocess.Popen[bytes]:
        """`args` started with `fd` inherited; Closed once the spawner is closed."""
        future: Future[subprocess.Popen[bytes]] = Future()
        with self._lock:  # every request queued before close's sentinel is still served
            if self._closed:
                raise Closed("the service is shutting down")
            self._requests.put((args, fd, future))
        return future.result()

    def close(self) -> None:
        """Serve the requests already made, then end the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._requests.put(None)
        self._thread.join(timeout=_STARTUP_SECONDS)


class _Worker:
    """The server's handle on one worker process and its pipe."""

    def __init__(self, data: WorkerData, prefixes: bytes, memory_mb: int, spawner: Spawner) -> None:
        ours, theirs = socket.socketpair()
        if data.store_path is not None:
            memory_mb += STORE_ADDRESS_SPACE_MB
        with theirs:
            args = [sys.executable, "-m", "api.sparql_worker", str(theirs.fileno()), str(os.getpid())]
            self.process = spawner.popen([*args, str(memory_mb)], theirs.fileno())
        self.conn = Connection(ours.detach())
        self._data = (prefixes, data.header(), data.nquads)

    def start(self) -> None:
        """Send the data (or the path of the store to open) and wait until the worker has it; raise
        WorkerDied if it does not."""
        try:
            for message in self._data:
                self.conn.send_bytes(message)
            if self.conn.poll(_STARTUP_SECONDS) and self.conn.recv_bytes() == READY:
                return
        except (EOFError, OSError):
            pass
        raise WorkerDied("a SPARQL worker did not start")

    def run(self, job: Job, deadline_seconds: float) -> Outcome:
        """Send `job` and wait for its answer; Timeout or WorkerDied when none comes."""
        started = time.monotonic()
        try:
            self.conn.send_bytes(job.to_bytes())
            if not self.conn.poll(deadline_seconds):
                raise Timeout(f"the query did not finish within {time.monotonic() - started:.1f} s")
            header = self.conn.recv_bytes()
            return Outcome.from_parts(header, self.conn.recv_bytes())
        except (EOFError, OSError):
            raise WorkerDied("the query ended its worker (a crash or the worker memory limit)") from None

    def rss_mb(self) -> float:
        """Resident memory in MiB (0 when the process is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as statm:
                pages = int(statm.read().split()[1])
        except (OSError, ValueError, IndexError):
            return 0.0
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)

    def kill(self) -> None:
        """End the process (idempotent); a thread waiting on the pipe then sees it closed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class WorkerPool:
    """Worker processes behind a bounded admission, each opening the built store read-only or holding
    its own copy of the knowledge base (`data`).

    At most `workers + queue` requests are admitted; each runs on a thread of the pool's own
    executor, so waiting for SPARQL never holds the threads other routes use. `spawner` starts the
    processes.
    """

    def __init__(self, data: WorkerData, prefixes: bytes, limits: PoolLimits, spawner: Spawner) -> None:
        self.limits = limits
        self.data = data
        self._prefixes = prefixes
        self._spawner = spawner
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        self.started = False  # set once a first worker was ready: later requests need not wait for it
        self._slots = threading.BoundedSemaphore(limits.workers + limits.queue)
        self._executor = ThreadPoolExecutor(limits.workers + limits.queue, thread_name_prefix="sparql")
        for _ in range(limits.workers):
            self._start_worker()

    def wait_ready(self, timeout: float = _STARTUP_SECONDS) -> bool:
        """Wait until a worker is free (or the pool closed); False if none started within `timeout`."""
        with self._cond:
            return self._cond.wait_for(lambda: self._closed or bool(self._idle), timeout)

    def pids(self) -> list[int]:
        """Process ids of the live workers (started or starting)."""
        with self._cond:
            return sorted(worker.process.pid for worker in self._all)

    async def run(self, job: Job, deadline_seconds: float) -> Outcome:
        """Run `job` on a free worker; Full at once when the pool admits no more, else as `run_blocking`."""
        if not self._slots.acquire(blocking=False):
            raise Full(
                f"{self.limits.workers + self.limits.queue} SPARQL queries are already running or waiting; "
                "try again shortly"
            )
        try:
            future = self._executor.submit(self.run_blocking, job, deadline_seconds)
        except RuntimeError:  # the executor is shut down
            self._slots.release()
            raise Closed("the service is shutting down") from None
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(future)

    def run_blocking(self, job: Job, deadline_seconds: float) -> Outcome:
        """Wait for a free worker (Busy after the deadline), run `job`, replace the worker if it failed."""
        worker = self._take(deadline_seconds)
        try:
            outcome = worker.run(job, deadline_seconds)
        except Unavailable:
            self._retire(worker)
            with self._cond:
                if self._closed:
                    raise Closed("the service is shutting down") from None
            raise
        if outcome.retire or worker.rss_mb() > self.limits.recycle_mb:
            self._retire(worker)
        else:
            with self._cond:
                closed = self._closed
                if not closed:
                    self._idle.append(worker)
                    self._cond.notify()
            if closed:
                worker.conn.close()
        return outcome

    def _take(self, timeout: float) -> _Worker:
        with self._cond:
            self._cond.wait_for(lambda: self._closed or bool(self._idle), timeout)
            if self._closed:
                raise Closed("the service is shutting down")
            if not self._idle:
                raise Busy(f"no SPARQL worker became free within {timeout:g} s; try again shortly")
            return self._idle.pop()

    def _start_worker(self) -> None:
        threading.Thread(target=self._add, name="sparql-start", daemon=True).start()

    def _add(self) -> None:
        for attempt in range(_START_ATTEMPTS):
            with self._cond:
                if self._closed:
                    return
            try:
                worker = _Worker(self.data, self._prefixes, self.limits.memory_mb, self._spawner)
            except Closed:
                return
            except OSError:
                logger.exception("could not start a SPARQL worker")
                time.sleep(attempt + 1)
                continue
            with self._cond:
                closed = self._closed
                if not closed:
                    self._all.add(worker)
            if closed:  # started while the pool closed: close() did not see it
                worker.kill()
                worker.conn.close()
                return
            try:
                worker.start()
            except WorkerDied:
                self._retire(worker, replace=False)
                if self._closed:
                    return
                logger.error("a SPARQL worker did not start (exit status %s)", worker.process.returncode)
                time.sleep(attempt + 1)
                continue
            with self._cond:
                if worker in self._all:
                    self._idle.append(worker)
                    self._cond.notify()
            return

    def _retire(self, worker: _Worker, replace: bool = True) -> None:
        worker.kill()
        worker.conn.close()
        with self._cond:
            self._all.discard(worker)
            replace = replace and not self._closed
        if replace:
            self._start_worker()

    def close(self) -> None:
        """Kill every worker; runs waiting for a worker or an answer end at once with Closed."""
        with self._cond:
            self._closed = True
            workers = list(self._all)
            idle = list(self._idle)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
        for worker in idle:
            worker.conn.close()
        self._executor.shutdown(wait=False)


class WorkerPools:
    """The SPARQL workers of one application: a pool per knowledge base, the thread that spawns their
    processes and the thread that starts a pool (it may dump the store, which must not block the event
    loop). Nothing runs until the first pool is asked for; close() ends it all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[int, tuple[weakref.ref[Any], WorkerPool]] = {}
        self._spawner: Spawner | None = None
        self._starter = ThreadPoolExecutor(1, thread_name_prefix="sparql-pool-start")
        self._closed = False

    def started(self, owner: object) -> WorkerPool | None:
        """The pool already serving `owner`, if any (cheap: safe to call on the event loop)."""
        with self._lock:
            entry = self._pools.get(id(owner))
            if entry is not None and entry[0]() is owner and entry[1].started:
                return entry[1]
            return None

    async def start(
        self,
        owner: object,
        dump: Callable[[], bytes],
        prefixes: bytes,
        limits: PoolLimits,
        store_path: str | None = None,
    ) -> WorkerPool:
        """`pool_for` run on the starter thread."""
        with self._lock:
            if self._closed:
                raise Closed("the service is shutting down")
            future = self._starter.submit(self.pool_for, owner, dump, prefixes, limits, store_path)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # the request itself is cancelled
                raise
            raise Closed("the service is shutting down") from None  # close() cancelled the start

    def pool_for(
        self,
        owner: object,
        dump: Callable[[], bytes],
        prefixes: bytes,
        limits: PoolLimits,
        store_path: str | None = None,
    ) -> WorkerPool:
        """The pool serving `owner`'s store, started on first use and returned once a worker is ready.
        Its workers open the built store at `store_path` read-only, or, without one, each loads a copy:
        `dump()`, the store as N-Quads. Closed once these pools are closed."""
        with self._lock:
            if self._closed:
                raise Closed("the service is shutting down")
            entry = self._pools.get(id(owner))
            pool = entry[1] if entry is not None and entry[0]() is owner else None
            if pool is None and entry is not None:  # a dead owner whose id was reused
                entry[1].close()
            if pool is None:
                if self._spawner is None:
                    self._spawner = Spawner()
                data = WorkerData(store_path=store_path) if store_path else WorkerData(nquads=dump())
                pool = WorkerPool(data, prefixes, limits, self._spawner)
                self._pools[id(owner)] = (weakref.ref(owner), pool)
        if not pool.started:  # the first queries wait for the start, not against their deadline
            pool.started = pool.wait_ready()
        return pool

    def pids(self) -> list[int]:
        """Process ids of every live worker of every pool."""
        with self._lock:
            pools = [pool for _, pool in self._pools.values()]
        return sorted(pid for pool in pools for pid in pool.pids())

    def close(self) -> None:
        """Kill every worker of every pool, then end the starter and spawner threads (idempotent)."""
        with self._lock:
            self._closed = True
            pools = [pool for _, pool in self._pools.values()]
            self._pools.clear()
            spawner, self._spawner = self._spawner, None
        for pool in pools:
            pool.close()
        self._starter.shutdown(wait=True, cancel_futures=True)
        if spawner is not None:
            spawner.close()
