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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

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
# Runs until the SPARQL deadline: a three-way cartesian product of the whole store.
DEADLINE_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP_ROUTES = ("health", "page", "studies", "study")


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


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    count: int = 0


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarize(results: Results, seconds: float) -> dict[str, Any]:
    routes = {}
    for route in sorted(results.latencies):
        values = sorted(results.latencies[route])
        routes[route] = {
            "requests": len(values),
            "per_second": round(len(values) / seconds, 1),
            **{f"p{q}_ms": round(percentile(values, q), 1) for q in (50, 95, 99)},
            "max_ms": round(values[-1], 1),
            "statuses": dict(sorted(results.statuses[route].items())),
        }
    errors: Counter[str] = Counter()
    for counts in results.statuses.values():
        errors.update({status: n for status, n in counts.items() if not status.startswith("2")})
    return {
        "requests": results.count,
        "requests_per_second": round(results.count / seconds, 1),
        "errors": dict(sorted(errors.items())),
        "routes": routes,
    }


def _proc_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _proc_children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_proc_children(int(child))]
    return found


def memory(pid: int | None) -> dict[str, Any] | None:
    """Resident memory in MiB of the server process and of each of its child processes (SPARQL workers)."""
    if pid is None:
        return None
    mib = 1024 * 1024
    try:
        import psutil

        server = psutil.Process(pid)
        children = server.children(recursive=True)
        return {
            "server_mib": round(server.memory_info().rss / mib, 1),
            "workers_mib": [round(c.memory_info().rss / mib, 1) for c in children if c.is_running()],
        }
    except ImportError:
        return {
            "server_mib": round(_proc_rss(pid) / mib, 1),
            "workers_mib": [round(_proc_rss(child) / mib, 1) for child in _proc_children(pid)],
        }
    except Exception as exc:  # the process went away between listing and reading
        return {"error": f"{type(exc).__name__}: {exc}"}


def _memory_cell(figures: dict[str, Any] | None) -> str:
    if not figures or "server_mib" not in figures:
        return "n/a"
    workers = " + ".join(f"{w:.0f}" for w in figures["workers_mib"]) or "none"
    return f"{figures['server_mib']:.0f} (workers {workers})"


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Load test", "", f"Command: `{report['command']}`", ""]
    machine = report["machine"]
    lines += [
        f"Machine: {machine['cpus']} CPUs, load average at start {machine['load_average_at_start']}",
        "",
    ]
    rates: dict[str, float] = {}
    for name, variant in report["variants"].items():
        for phase_name, result in variant["phases"].items():
            rates[f"{name}/{phase_name}"] = result["requests_per_second"]
            lines += [f"## {name}, {phase_name} (settings: {variant['settings'] or 'defaults'})", ""]
            lines += [
                f"{result['requests']} requests in {result['seconds']} s from {result['clients']} clients"
                f" (+{result['deadline_clients']} deadline-query clients): "
                f"**{result['requests_per_second']} req/s**; errors: {result['errors'] or 'none'}; "
                f"{result['in_flight_at_stop']} clients cut off at the end; "
                f"load generator CPU share {result['load_generator_cpu_share']}.",
                "",
                f"RSS MiB at start: {_memory_cell(result['memory_start'])}; "
                f"at end: {_memory_cell(result['memory_end'])}.",
                "",
                "| route | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | statuses |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            ]
            routes = {**result["routes"], **result.get("deadline_routes", {})}
            for route, row in routes.items():
                mark = " (cheap)" if route in CHEAP_ROUTES else ""
                statuses = ", ".join(f"{k}: {v}" for k, v in row["statuses"].items())
                lines.append(
                    f"| {route}{mark} | {row['requests']} | {row['per_second']} | {row['p50_ms']} | "
                    f"{row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} | {statuses} |"
                )
            lines.append("")
    if len(rates) > 1:
        first_name, first = next(iter(rates.items()))
        lines += [f"Throughput relative to {first_name}:", ""]
        lines += [f"- {key}: {rate / first:.2f}x" for key, rate in rates.items() if first]
        lines.append("")
    return "\n".join(lines)


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


async def one(client: httpx.AsyncClient, request: Request, results: Results) -> None:
    started = time.perf_counter()
    try:
        response = await client.get(request.path, params=request.params, headers={"Accept": request.accept})
        await response.aread()
        outcome = str(response.status_code)
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    results.latencies[request.route].append((time.perf_counter() - started) * 1000)
    results.statuses[request.route][outcome] += 1
    results.count += 1


async def mix_client(
    client: httpx.AsyncClient,
    mix: list[Request],
    seed: int,
    stop_at: float,
    budget: list[int],
    results: Results,
) -> None:
    order = random.Random(seed)
    while time.monotonic() < stop_at and budget[0] > 0:
        budget[0] -= 1
        await one(client, order.choice(mix), results)


async def deadline_client(client: httpx.AsyncClient, stop_at: float, results: Results) -> None:
    request = Request("sparql-deadline", "/sparql", {"query": DEADLINE_QUERY}, SPARQL_JSON)
    while time.monotonic() < stop_at:
        await one(client, request, results)


async def phase(
    base: str, args: argparse.Namespace, deadline_clients: int, pid: int | None
) -> dict[str, Any]:
    """One phase: the mix from args.clients clients, plus `deadline_clients` looping the deadline query."""
    limits = httpx.Limits(max_connections=args.clients + deadline_clients + 4, max_keepalive_connections=None)
    timeout = httpx.Timeout(args.request_timeout)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        listing = (await client.get("/studies", headers={"Accept": "application/json"})).json()
        mix = workload([study["id"] for study in listing])
        for request in mix:  # warm every route once, outside the measurement
            await client.get(request.path, params=request.params, headers={"Accept": request.accept})
        memory_start = memory(pid)
        results, slow = Results(), Results()
        budget = [args.max_requests]
        cpu_start, started = time.process_time(), time.monotonic()
        stop_at = started + args.duration
        tasks = [
            asyncio.create_task(mix_client(client, mix, args.seed + i, stop_at, budget, results))
            for i in range(args.clients)
        ]
        tasks += [
            asyncio.create_task(deadline_client(client, stop_at, slow)) for _ in range(deadline_clients)
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
        deadline_clients=deadline_clients,
        seconds=round(elapsed, 2),
        in_flight_at_stop=len(pending),
        load_generator_cpu_share=round(client_cpu / elapsed, 2),
        memory_start=memory_start,
        memory_end=memory(pid),
    )
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
    parser.add_argument("--variant", action="append", default=[], help="NAME[:VAR=VALUE,...] server env")
    parser.add_argument("--server-arg", action="append", default=[], help="extra `mmkb serve` argument")
    parser.add_argument("--out", type=Path, help="report path without suffix: writes .md and .json")
    args = parser.parse_args(argv)
    if args.url:
        local_url(args.url)
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
