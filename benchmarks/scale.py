"""Scale benchmark: build, the comparison, SPARQL and cold start at growing sizes, beside the engine's limit
and rdflib.

For the shipped knowledge base and synthetic ones (`mmkb synth`) of each `--studies` size, one size after
the other, each step in a child process of its own (its peak RSS its own, stopped at its time and memory
limits):

1. synth: `mmkb synth --studies N --seed S --out FILE` (synthetic sizes);
2. build: `mmkb build --store DIR --kb FILE`: seconds, triples per second, peak RSS;
3. engine: the store dumped as N-Quads, then pyoxigraph's bulk loader timed on that dump (the engine's
   limit for loading);
4. library: open the built store; the response-rate comparison (`response_rates(kb)`) and the same
   aggregate as one raw pyoxigraph query (scale_library.RAW_AGGREGATE), p50/p95 over repeats;
5. rdflib: rdflib's default in-memory Dataset parsing the dump, then the same raw query (a lower bound
   when stopped at `--rdflib-budget`);
6. serve_store: `mmkb serve --store DIR` on 127.0.0.1: process start to the first /health and to the first
   comparison, the comparison's latency over `--repeat` requests, SPARQL throughput (`--clients`
   closed-loop clients for `--sparql-seconds`);
7. serve_uncached: the same with the response cache off (each request renders the table the build keeps);
8. serve_files: `mmkb serve --kb FILE`: process start to the first /health and comparison.

Every size gets `--budget` seconds in all; a step that does not finish in what is left, or that passes
`--max-memory`, is reported as not finished and the rest of that size is skipped. Writes OUT.json and
OUT.md:

    python benchmarks/scale.py --studies 1000,10000,100000 --out benchmarks/results/scale
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from scale_http import Limits, serve
from scale_process import ROOT, run_child
from scale_report import markdown, targets

MMKB = [sys.executable, "-m", "kb.cli"]
LIBRARY = [sys.executable, str(Path(__file__).resolve().parent / "scale_library.py")]
NOTES = [
    "## How to read it",
    "",
    "- The raw engine query is the comparison's question as one SPARQL aggregate on pyoxigraph, its "
    "values read without conversion to rdflib terms: n and responders per cohort and source, from "
    "patient records or printed counts, with the refractory drug set, study, design and regimens. The "
    "comparison reads the same figures and also reconciles sources and data cuts, reconstructs counts "
    "from percentages and computes intervals, caveats and medians. `rows read as is found in raw` "
    "checks that the two agree on every printed or patient-record count.",
    "- rdflib is rdflib's default in-memory `Dataset` (union default graph) parsing the same statements "
    "(the built store dumped as N-Quads) and running the same raw query: what an application on plain "
    "rdflib gets for the question.",
    "- Build is `mmkb build` (load, validate, reason, publish the store); the engine bulk load is "
    "pyoxigraph alone loading the built statements, for scale.",
    "- Cold start is from the service process's start to its first answered request; HTTP latencies are "
    "sequential requests of one keep-alive client on 127.0.0.1; the cached figure is what the default "
    "service answers; with the response cache off, each request renders the table the build computed "
    "once (KnowledgeBase.computed).",
    "- The library comparison is given computed (each run on the build opened again, so nothing is kept) "
    "and kept (the table the build computed once, as the service asks for it).",
    "- Peak memory is the peak RSS of the step's process and its children (sampled ten times a second, "
    "and the process's own ru_maxrss). Timing figures are wall-clock on a shared machine: read them "
    "with the load average.",
]


class Budget:
    """Seconds left for one size."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, cap: float | None = None) -> float:
        left = self.end - time.monotonic()
        return max(0.0, left if cap is None else min(cap, left))


def build_available() -> bool:
    found = subprocess.run([*MMKB, "build", "--help"], cwd=ROOT, capture_output=True, timeout=120)
    return found.returncode == 0


def step(command: list[str], budget: Budget, args: argparse.Namespace, cap: float | None = None) -> dict:
    """Run one step in a child process within what the budget leaves; its outcome and its result line."""
    seconds = budget.left(cap)
    if seconds < 1:
        return {"skipped": "budget spent"}
    outcome, lines = run_child(command, seconds=seconds, max_rss_mib=args.max_memory * 1024)
    # figures reported as they were measured, then the result: a step stopped half-way keeps the first
    found = {}
    for line in lines:
        if line.get("event") in ("partial", "result"):
            found.update({key: value for key, value in line.items() if key != "event"})
    return {**outcome, **found, "events": [line for line in lines if line.get("event") == "progress"]}


def rdflib_step(dump: Path, budget: Budget, args: argparse.Namespace) -> dict:
    found = step([*LIBRARY, "rdflib", "--dump", str(dump), "--repeat", str(args.rdflib_repeat)], budget, args,
                 args.rdflib_budget)  # fmt: skip
    events = found.pop("events", [])
    starts = [e["at"] for e in events if "query_start" in e]
    queries = [e["query_s"] for e in events if "query_s" in e]
    if "p50_ms" in found:
        found["shown_ms"] = found["p50_ms"]
    elif queries:  # stopped during a later run: the finished runs' median
        found["p50_ms"] = found["shown_ms"] = round(sorted(queries)[len(queries) // 2] * 1000, 2)
    elif starts and "failed" in found:  # stopped during its first run: it takes at least this long
        found["lower_bound_ms"] = round((found["ended_at"] - starts[0]) * 1000)
        found["shown_ms"] = f">{found['lower_bound_ms']}"
    return found


def measure(studies: int | None, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every step for one size (None: the shipped knowledge base)."""
    budget = Budget(args.budget)
    result: dict[str, Any] = {"studies": "shipped" if studies is None else studies}
    folder = work / str(result["studies"])
    folder.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    if studies is not None:
        data = folder / f"synth-{studies}.nt"
        command = [*MMKB, "synth", "--studies", str(studies), "--seed", str(args.seed), "--out", str(data)]
        result["synth"] = step(command, budget, args)
        if "seconds" not in result["synth"] or "failed" in result["synth"]:
            return result
        files = [str(data)]
    store = folder / "store"
    if args.build:
        command = [*MMKB, "build", "--store", str(store), *(["--kb", *files] if files else [])]
        result["build"] = step(command, budget, args)
    else:
        result["build"] = {"skipped": "mmkb build is not available: the library and service open the files"}
    built = "failed" not in result["build"] and "skipped" not in result["build"]
    if args.build and not built:
        return result  # opening the same files in the library or the service would fail the same way
    source = ["--store", str(store)] if built else ["--files", *files]
    result["library"] = step([*LIBRARY, "library", *source, "--repeat", str(args.repeat),
                            "--seconds", str(args.measure_seconds)], budget, args)  # fmt: skip
    result["triples"] = result["library"].get("triples")
    if built and result["triples"]:
        result["build"]["triples_per_second"] = round(result["triples"] / result["build"]["seconds"])
    if built:
        dump = folder / "store.nq"
        command = [*LIBRARY, "engine", *source, "--dump", str(dump), "--into", str(folder / "engine")]
        result["engine"] = step(command, budget, args)
        shutil.rmtree(folder / "engine", ignore_errors=True)
        if dump.exists() and "failed" not in result["engine"]:
            result["rdflib"] = rdflib_step(dump, budget, args)
        dump.unlink(missing_ok=True)
    serve_source = (["--store", str(store)] if built else ["--kb", *files]) if files or built else []
    for name, settings, sparql in (
        ("serve_store", [], True),
        ("serve_uncached", ["--response-cache-entries", "0"], False),
    ):
        result[name] = service(serve_source, settings, budget, args, sparql=sparql)
    if built:
        result["serve_files"] = service(["--kb", *files] if files else [], [], budget, args, measure=False)
    for found in result.values():
        if isinstance(found, dict):
            found.pop("events", None)
            found.pop("ended_at", None)
    return result


def service(
    source: list[str],
    settings: list[str],
    budget: Budget,
    args: argparse.Namespace,
    *,
    measure: bool = True,
    sparql: bool = True,
) -> dict[str, Any]:
    seconds = budget.left()
    if seconds < 1:
        return {"skipped": "budget spent"}
    limits = Limits(
        seconds=seconds,
        max_rss_mib=args.max_memory * 1024,
        repeat=args.repeat,
        measure_seconds=args.measure_seconds,
        clients=args.clients if sparql else 0,
        sparql_seconds=args.sparql_seconds if sparql else 0,
        max_requests=args.max_requests,
    )
    return serve(source, limits, measure=measure, settings=settings)


def largest_finished(runs: list[dict[str, Any]]) -> str | None:
    """The largest size whose build, library and service steps all finished (rdflib may stop earlier)."""
    done = [
        run["studies"]
        for run in runs
        if all(
            isinstance(run.get(phase), dict) and "failed" not in run[phase] and "skipped" not in run[phase]
            for phase in ("build", "library", "serve_store")
        )
    ]
    return None if not done else str(done[-1])


def commit() -> tuple[str, list[str]]:
    """The commit measured, and the files of kb/ and api/ that differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    changed = subprocess.run(
        ["git", "status", "--porcelain", "kb", "api"], cwd=ROOT, capture_output=True, text=True
    )
    return head.stdout.strip() or "unknown", [line[3:] for line in changed.stdout.splitlines()]


def write(report: dict[str, Any], out: Path | None) -> str:
    report["targets"] = targets(report["runs"])
    report["largest_finished"] = largest_finished(report["runs"])
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = markdown(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        out.with_suffix(".md").write_text(text, encoding="utf-8")
    return text


def sizes(text: str) -> list[int]:
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"a comma-separated list of study counts, not {text!r}") from None
    if any(n < 1 for n in found):
        raise argparse.ArgumentTypeError("study counts must be positive")
    return sorted(set(found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--studies", type=sizes, default=[1000, 10_000, 100_000], help="e.g. 1000,10000")
    parser.add_argument("--no-shipped", action="store_true", help="leave out the shipped knowledge base")
    parser.add_argument("--seed", type=int, default=1, help="mmkb synth's seed")
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds for all steps of one size")
    parser.add_argument("--max-memory", type=float, default=16.0, help="GiB of RSS a step may hold")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of the comparison and raw query")
    parser.add_argument("--measure-seconds", type=float, default=60.0, help="most seconds for those runs")
    parser.add_argument("--rdflib-budget", type=float, default=300.0, help="seconds for rdflib's step")
    parser.add_argument("--rdflib-repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8, help="concurrent SPARQL clients")
    parser.add_argument("--sparql-seconds", type=float, default=20.0, help="length of the SPARQL phase")
    parser.add_argument("--max-requests", type=int, default=50_000, help="most SPARQL requests")
    parser.add_argument("--work", type=Path, help="folder for data and stores (default: a temporary one)")
    parser.add_argument("--out", type=Path, help="report path without suffix: writes OUT.json and OUT.md")
    args = parser.parse_args(argv)
    if not (1 <= args.repeat <= 10_000 and 1 <= args.clients <= 256):
        parser.error("need 1..10000 repeats and 1..256 clients")
    if min(args.budget, args.max_memory, args.measure_seconds, args.rdflib_budget, args.sparql_seconds) <= 0:
        parser.error("budgets, durations and the memory limit must be positive")
    args.build = build_available()
    head, uncommitted = commit()
    report: dict[str, Any] = {
        "command": " ".join(["python benchmarks/scale.py", *(sys.argv[1:] if argv is None else argv)]),
        "commit": head,
        "uncommitted": uncommitted,
        "build_method": "mmkb build --store DIR"
        if args.build
        else "mmkb build is not available: the library and service open the files in memory",
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {k: str(v) for k, v in vars(args).items()},
        "runs": [],
        "notes": NOTES,
    }
    chosen: list[int | None] = [*([] if args.no_shipped else [None]), *args.studies]
    stopped_at: str | None = None  # a size whose build did not finish: larger ones would not either
    with tempfile.TemporaryDirectory(prefix="mmkb-scale-", dir=args.work) as work:
        for studies in chosen:
            if stopped_at is not None:
                report["runs"].append({"studies": studies, "skipped": stopped_at})
                continue
            print(f"scale: {studies or 'shipped'} ...", file=sys.stderr, flush=True)
            found = measure(studies, args, Path(work))
            shutil.rmtree(Path(work) / str(found["studies"]), ignore_errors=True)
            report["runs"].append(found)
            unfinished = found.get("build", {}).get("failed") or found.get("synth", {}).get("failed")
            if unfinished:
                stopped_at = f"not run: the build of {found['studies']} studies did not finish ({unfinished})"
            write(report, args.out)  # a partial report survives an interrupted run
    print(write(report, args.out))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
