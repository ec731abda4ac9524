"""The scale benchmark's service measurements: `mmkb serve` on 127.0.0.1, cold start, the comparison's
latency and SPARQL throughput, with the clients of load.py."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from load import HOST, SPARQL_JSON, SPARQL_QUERIES, RawConnection, Request, free_port, loop_client, one
from load_report import Results, summarize
from scale_process import MIB, Child, tree_rss

COMPARISON = Request("comparison", "/compare/response-rate", {"format": "json"}, "application/json")
# A representative SELECT: response proportions with their counts (a join over claims), as in load.py.
SPARQL = Request("sparql", "/sparql", {"query": SPARQL_QUERIES[1]}, SPARQL_JSON)
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Limits:
    """How long a server may live, how much memory it may hold, and how much each measurement takes."""

    seconds: float
    max_rss_mib: float
    repeat: int  # sequential comparison requests
    measure_seconds: float  # most seconds for those requests
    clients: int  # concurrent SPARQL clients
    sparql_seconds: float  # length of the throughput phase
    max_requests: int  # most SPARQL requests in that phase
    request_timeout: float = 60.0


class ServerGone(Exception):
    """The server ended (or was stopped at its limits) before it answered."""


def serve(source: list[str], limits: Limits, *, measure: bool, settings: list[str] | None = None) -> dict:
    """Start `mmkb serve` with `source` (e.g. ["--store", DIR] or ["--kb", FILE]); time the first /health
    and the first comparison from process start; with `measure`, then the comparison's latency and SPARQL
    throughput. The server is stopped at the end, and at its time or memory limit at the latest."""
    port = free_port()
    command = [sys.executable, "-m", "kb.cli", "serve", "--host", HOST, "--port", str(port)]
    child = Child(
        [*command, *source, *(settings or [])], seconds=limits.seconds, max_rss_mib=limits.max_rss_mib
    )
    base = f"http://{HOST}:{port}"
    result: dict[str, Any] = {"command": " ".join(["mmkb serve", *source, *(settings or [])])}
    try:
        with httpx.Client(base_url=base) as client:
            result["health_s"], _ = _first_answer(child, client, Request("health", "/health"))
            result["first_comparison_s"], answer = _first_answer(child, client, COMPARISON)
            result["comparison_rows"] = len(answer.json()["rows"])
            result["comparison_bytes"] = len(answer.content)  # over the cache's entry limit: not cached
            if measure:
                result["comparison"] = asyncio.run(_sequential(port, limits))
            if measure and limits.clients:
                # the first SPARQL request starts the workers, which open the store: timed on its own
                result["first_sparql_s"], _ = _first_answer(child, client, SPARQL, since=time.monotonic())
                result["sparql"] = asyncio.run(_throughput(port, limits))
        result["rss_after_mib"] = round(tree_rss(child.pid) / MIB, 1)
    except (ServerGone, httpx.HTTPError, ValueError, KeyError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        child.stop()
    outcome = child.outcome()
    if child.stopped != "asked" and "failed" in outcome:
        result["failed"] = outcome["failed"]
    elif "error" in result:
        result["failed"] = result["error"]
    result["seconds"], result["peak_rss_mib"] = outcome["seconds"], outcome["peak_rss_mib"]
    return result


def _first_answer(
    child: Child, client: httpx.Client, request: Request, since: float | None = None
) -> tuple[float, httpx.Response]:
    """Seconds from `since` (the server's process start) to a 200 to `request`, and that answer, polling
    while the server does not listen yet or answers 503; any other answer is an error. (Accept and
    Accept-Encoding are those of the timed requests, which load.RawConnection sends: the response cache
    keys on them.)"""
    while child.running:
        try:
            timeout = max(1.0, child.deadline - time.monotonic())
            headers = {"Accept": request.accept, "Accept-Encoding": ""}
            answer = client.get(request.path, params=request.params, headers=headers, timeout=timeout)
            status: int | None = answer.status_code
        except httpx.TransportError:
            status = None
        if status == 200:
            return round(time.monotonic() - (child.started if since is None else since), 3), answer
        if status not in (None, 503):
            raise ServerGone(f"GET {request.path} answered {status}")
        time.sleep(POLL_SECONDS)
    raise ServerGone(child.outcome().get("failed") or f"exited with status {child.returncode}")


async def _sequential(port: int, limits: Limits) -> dict[str, Any]:
    """The comparison requested `repeat` times one after the other (at most `measure_seconds`)."""
    answered, statuses = Results(), Counter[str]()
    connection = RawConnection(port)
    started = time.monotonic()
    try:
        while sum(statuses.values()) < limits.repeat and time.monotonic() < started + limits.measure_seconds:
            # an uncached comparison at a large size may take minutes: bounded by the server's own limit
            single = Results()
            status = await one(connection, COMPARISON, limits.seconds, single)
            statuses[status] += 1
            if status == "200":  # the latency of an error is no figure of the comparison
                answered.latencies[COMPARISON.route] += single.latencies[COMPARISON.route]
                answered.count += 1
    finally:
        connection.close()
    route = summarize(answered, time.monotonic() - started)["routes"].get(COMPARISON.route, {})
    return {**route, "requests": sum(statuses.values()), "statuses": dict(statuses)}


async def _throughput(port: int, limits: Limits) -> dict[str, Any]:
    """`clients` closed-loop clients sending the SPARQL SELECT for `sparql_seconds` (or `max_requests`)."""
    results = Results()
    budget = [limits.max_requests]
    started = time.monotonic()
    stop_at = started + limits.sparql_seconds
    tasks = [
        asyncio.create_task(
            loop_client(RawConnection(port), [SPARQL], i, stop_at, budget, limits.request_timeout, results)
        )
        for i in range(limits.clients)
    ]
    _, pending = await asyncio.wait(tasks, timeout=limits.sparql_seconds + limits.request_timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.monotonic() - started
    route = summarize(results, elapsed)["routes"].get("sparql", {"requests": 0, "statuses": {}})
    answered = route["statuses"].get("200", 0)
    return {
        "clients": limits.clients,
        "seconds": round(elapsed, 2),
        "answered_per_second": round(answered / elapsed, 1),
        **route,
    }
