"""The load command's report: per-route percentiles, errors, memory and CPU of the server, Markdown."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The routes the target "p99 under 250 ms on the cheap routes" refers to.
CHEAP_ROUTES = ("health", "page", "studies", "study")


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


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int | None) -> dict[str, Any] | None:
    """Resident memory (MiB) and CPU time (s) of the server process and of its children (SPARQL workers)."""
    if pid is None:
        return None
    mib = 1024 * 1024
    try:
        import psutil

        server = psutil.Process(pid)
        figures: dict[str, Any] = {
            "server_mib": round(server.memory_info().rss / mib, 1),
            "workers_mib": [],
            "server_cpu_s": round(sum(server.cpu_times()[:2]), 2),
            "workers_cpu_s": {},
        }
        for child in server.children(recursive=True):
            try:
                rss, cpu = child.memory_info().rss, sum(child.cpu_times()[:2])
            except psutil.Error:  # a worker replaced (at a deadline) between listing and reading it
                continue
            figures["workers_mib"].append(round(rss / mib, 1))
            figures["workers_cpu_s"][str(child.pid)] = round(cpu, 2)
        return figures
    except ImportError:
        children = _proc_children(pid)
        return {
            "server_mib": round(_proc_rss(pid) / mib, 1),
            "workers_mib": [round(_proc_rss(child) / mib, 1) for child in children],
            "server_cpu_s": round(_proc_cpu(pid), 2),
            "workers_cpu_s": {str(child): round(_proc_cpu(child), 2) for child in children},
        }
    except Exception as exc:  # the server itself went away
        return {"error": f"{type(exc).__name__}: {exc}"}


def cpu_per_request(
    start: dict[str, Any] | None, end: dict[str, Any] | None, requests: int
) -> dict[str, float]:
    """Server and worker CPU milliseconds per request over the phase (unaffected by CPU contention).

    A worker replaced during the phase takes its CPU time with it: the worker figure is then a lower
    bound, and `workers_replaced` says how many were.
    """
    if not start or not end or "server_cpu_s" not in start or "server_cpu_s" not in end or not requests:
        return {}
    before, after = start["workers_cpu_s"], end["workers_cpu_s"]
    workers = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    return {
        "server_cpu_ms_per_request": round(
            1000 * (end["server_cpu_s"] - start["server_cpu_s"]) / requests, 2
        ),
        "workers_cpu_ms_per_request": round(1000 * workers / requests, 2),
        "workers_replaced": len(set(before) - set(after)),
    }


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
                f"at end: {_memory_cell(result['memory_end'])}. CPU ms per request: server "
                f"{result.get('server_cpu_ms_per_request', 'n/a')}, workers "
                f"{result.get('workers_cpu_ms_per_request', 'n/a')} "
                f"({result.get('workers_replaced', 0)} workers replaced during the phase).",
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
