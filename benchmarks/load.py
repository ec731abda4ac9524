"""Load test of the service on 127.0.0.1: a mixed workload from N concurrent clients for T seconds.

Starts the service itself on a free port (one server per variant, so variants run back to back in one
run) or uses `--url http://127.0.0.1:PORT`. Each phase runs `--clients` clients looping over the mix
(comparison as JSON and CSV, SPARQL, study pages, the study list, the page, health, plot, conflicts);
`--deadline-clients` adds a second phase in which that many more clients loop a deadline-class SPARQL
query. Bounded in time (`--duration` per phase, `--request-timeout` per request) and in count
(`--max-requests` per phase). Writes a Markdown and a JSON report:

    python benchmarks/load.py --clients 64 --duration 60 --deadline-clients 2 \
        --variant baseline:MMKB_RESPONSE_CACHE_ENTRIES=0 --variant cached --out benchmarks/results/load
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from load_report import Results, cpu_per_request, markdown, memory, summarize

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
SPARQL_JSON = "application/sparql-results+json"
PREFIX = "PREFIX mm: <https://w3id.org/mmkb/vocab#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
SPARQL_QUERIES = (
    PREFIX + "SELECT ?s ?label WHERE { ?s a mm:Study ; rdfs:label ?label } ORDER BY ?s",
    PREFIX
    + "SELECT ?claim ?n ?d WHERE { ?claim a mm:Proportion ; mm:numerator ?n ; mm:denominator ?d } LIMIT 50",
    PREFIX + "SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }",
)
# Seconds a client waits after a 503 (the Retry-After the service sends with it).
RETRY_AFTER = 1.0
# Runs until the SPARQL deadline: a three-way cartesian product of the whole store.
DEADLINE_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass(frozen=True)
class Request:
    route: str  # the label the report groups by
    path: str
    params: dict[str, str] = field(default_factory=dict)
    accept: str = "*/*"


def workload(study_ids: list[str]) -> list[Request]:
    """The mix, one entry per request in a cycle: weights are repetitions."""
    mix = [Request("health", "/health"), Request("page", "/"), Request("studies", "/studies")]
    mix += [Request("study", f"/studies/{sid}", accept="application/json") for sid in study_ids[:4]]
    mix += [Request("compare-json", "/compare/response-rate", accept="application/json")] * 2
    mix += [Request("compare-csv", "/compare/response-rate", {"format": "csv"})]
    mix += [Request("sparql", "/sparql", {"query": q}, SPARQL_JSON) for q in SPARQL_QUERIES]
    mix += [Request("forest-plot", "/plots/forest.svg"), Request("conflicts", "/conflicts")]
    return mix


def local_url(url: str) -> str:
    """The base URL if it names 127.0.0.1 over http; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != HOST or parts.port is None:
        raise SystemExit(f"load: refusing {url!r}: only http://{HOST}:PORT is allowed")
    return f"http://{HOST}:{parts.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(env_overrides: dict[str, str], extra_args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """`mmkb serve` on a free port in a child process; returns it and its base URL once /health answers."""
    port = free_port()
    command = [sys.executable, "-m", "kb.cli", "serve", "--host", HOST, "--port", str(port), *extra_args]
    env = {**os.environ, **env_overrides}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"load: the service exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit("load: the service did not answer /health within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class RawConnection:
    """A minimal HTTP/1.1 keep-alive GET client on one connection.

    Its CPU cost per request is a fraction of httpx's, so that on a small machine the load generator
    takes less of the CPU the service needs (the report gives the generator's CPU share).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, target: str, accept: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(HOST, self.port)
        reader, writer = self.streams
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept: {accept}\r\n\r\n".encode()
        )
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
            if headers.get("transfer-encoding") == "chunked":
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            else:
                await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            self.close()
            raise
        if headers.get("connection") == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


class HttpxConnection:
    """The same interface over a shared httpx client (the --client httpx choice)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, target: str, accept: str) -> int:
        response = await self.client.get(target, headers={"Accept": accept})
        await response.aread()
        return response.status_code

    def close(self) -> None:
        pass


Connection = RawConnection | HttpxConnection


async def one(connection: Connection, request: Request, timeout: float, results: Results) -> str:
    target = request.path + ("?" + urlencode(request.params) if request.params else "")
    started = time.perf_counter()
    try:
        outcome = str(await asyncio.wait_for(connection.get(target, request.accept), timeout))
    except (OSError, EOFError, ValueError, TimeoutError, httpx.HTTPError, asyncio.IncompleteReadError) as exc:
        outcome = type(exc).__name__
    results.latencies[request.route].append((time.perf_counter() - started) * 1000)
    results.statuses[request.route][outcome] += 1
    results.count += 1
    return outcome


async def loop_client(
    connection: Connection,
    mix: list[Request],
    seed: int,
    stop_at: float,
    budget: list[int] | None,
    timeout: float,
    results: Results,
) -> None:
    """Requests from `mix` in a seeded random order, one at a time, until stop_at or the budget is spent.

    After a 503 the client waits RETRY_AFTER seconds, as the service's Retry-After header asks.
    """
    order = random.Random(seed)
    try:
        while time.monotonic() < stop_at and (budget is None or budget[0] > 0):
            if budget is not None:
                budget[0] -= 1
            if await one(connection, order.choice(mix), timeout, results) == "503":
                await asyncio.sleep(max(0.0, min(RETRY_AFTER, stop_at - time.monotonic())))
    finally:
        connection.close()


async def phase(
    base: str, args: argparse.Namespace, deadline_clients: int, pid: int | None
) -> dict[str, Any]:
    """One phase: the mix from args.clients clients, plus `deadline_clients` looping the deadline query."""
    limits = httpx.Limits(max_connections=args.clients + deadline_clients + 4, max_keepalive_connections=None)
    port = int(urlsplit(base).port or 0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=args.request_timeout) as client:

        def connection() -> Connection:
            return RawConnection(port) if args.client == "raw" else HttpxConnection(client)

        listing = (await client.get("/studies", headers={"Accept": "application/json"})).json()
        mix = [r for r in workload([s["id"] for s in listing]) if not args.routes or r.route in args.routes]
        for request in mix:  # every route once, outside the measurement (and a check that each answers)
            await client.get(request.path, params=request.params, headers={"Accept": request.accept})
        deadline = [Request("sparql-deadline", "/sparql", {"query": DEADLINE_QUERY}, SPARQL_JSON)]
        memory_start = memory(pid)
        results, slow = Results(), Results()
        budget = [args.max_requests]
        cpu_start, started = time.process_time(), time.monotonic()
        stop_at = started + args.duration
        tasks = [
            asyncio.create_task(
                loop_client(connection(), mix, args.seed + i, stop_at, budget, args.request_timeout, results)
            )
            for i in range(args.clients)
        ]
        tasks += [
            asyncio.create_task(
                loop_client(connection(), deadline, 0, stop_at, None, args.request_timeout, slow)
            )
            for _ in range(deadline_clients)
        ]
        # The phase ends at stop_at: requests still in flight then are cancelled and not counted.
        _, pending = await asyncio.wait(tasks, timeout=args.duration)
        elapsed = time.monotonic() - started
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        client_cpu = time.process_time() - cpu_start
    summary = summarize(results, elapsed)
    summary.update(
        clients=args.clients,
        client=args.client,
        deadline_clients=deadline_clients,
        seconds=round(elapsed, 2),
        in_flight_at_stop=len(pending),
        load_generator_cpu_share=round(client_cpu / elapsed, 2),
        memory_start=memory_start,
        memory_end=memory(pid),
    )
    summary.update(cpu_per_request(memory_start, summary["memory_end"], summary["requests"]))
    if deadline_clients:
        summary["deadline_routes"] = summarize(slow, elapsed)["routes"]
    return summary


def server_pid(base: str) -> int | None:
    """The pid listening on the base URL's port (psutil where installed), for the memory figures."""
    try:
        import psutil
    except ImportError:
        return None
    port = urlsplit(base).port
    for connection in psutil.net_connections(kind="tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port:
            return connection.pid
    return None


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    name, _, settings = text.partition(":")
    pairs = [item.split("=", 1) for item in settings.split(",") if item]
    if not name or any(len(pair) != 2 for pair in pairs):
        raise SystemExit(f"load: a variant is NAME or NAME:VAR=VALUE,...; not {text!r}")
    return name, {key: value for key, value in pairs}


def run(args: argparse.Namespace) -> dict[str, Any]:
    variants = [parse_variant(v) for v in args.variant] or [("default", {})]
    report: dict[str, Any] = {"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "variants": {}}
    report["machine"] = {"cpus": os.cpu_count(), "load_average_at_start": list(os.getloadavg())}
    for name, env in variants:
        process = None
        if args.url:
            base = local_url(args.url)
            if env:
                raise SystemExit("load: variants with settings need a service started here, not --url")
        else:
            process, base = start_server(env, args.server_arg)
        try:
            pid = process.pid if process else server_pid(base)
            phases = {"mix": asyncio.run(phase(base, args, 0, pid))}
            if args.deadline_clients:
                phases["mix+deadline"] = asyncio.run(phase(base, args, args.deadline_clients, pid))
        finally:
            if process:
                stop_server(process)
        report["variants"][name] = {"settings": env, "phases": phases}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help=f"a running service, http://{HOST}:PORT (default: start one per variant)"
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--deadline-clients", type=int, default=0, help="clients in a second phase (e.g. 2)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="most mix requests per phase")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--client", choices=["raw", "httpx"], default="raw", help="HTTP client of the clients"
    )
    parser.add_argument("--routes", type=lambda text: text.split(","), help="only these routes of the mix")
    parser.add_argument("--variant", action="append", default=[], help="NAME[:VAR=VALUE,...] server env")
    parser.add_argument("--server-arg", action="append", default=[], help="extra `mmkb serve` argument")
    parser.add_argument("--out", type=Path, help="report path without suffix: writes .md and .json")
    args = parser.parse_args(argv)
    if args.url:
        local_url(args.url)
    known = {request.route for request in workload(["x"])}
    if args.routes and not set(args.routes) <= known:
        parser.error(f"--routes: known routes are {', '.join(sorted(known))}")
    if not (1 <= args.clients <= 1024 and 0 < args.duration <= 3600 and 0 <= args.deadline_clients <= 64):
        parser.error("need 1..1024 clients, a duration in (0, 3600] s and 0..64 deadline clients")
    report = run(args)
    text = markdown(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
