"""How opening, validating and the comparison grow with the data: N independent copies of the shipped files.

Copy 1 is the shipped curated files; copy i > 1 is every curated file with its `id:` prefix declaration
rewritten to `.../id/copy<i>-`, so each copy is an independent set of studies with the same shape. For
each N, two child processes (so that each peak RSS is its own) measure:

- open: `KnowledgeBase.open(files)` split into load, materialize, record_counts, classify_findings
  and RefractoryCategories; then the response-rate comparison `response_rates(kb)` (best of
  `--repeat`, uncached) beside the same aggregate as one raw pyoxigraph SPARQL query over the store
  (`RAW_AGGREGATE`, the engine's limit), and the peak RSS of the process;
- validate: `kb.quality.validate.validate(files)`, with its SHACL share (core shapes by pyshacl, the
  SPARQL constraints on Oxigraph), and the peak RSS of the process.

The report gives, per stage, the time at every N and the log-log slope over the three largest N
(1 is linear, 2 quadratic), and the comparison's ratio to the raw query. Each child is bounded in time
(`--timeout`) and address space (`--max-memory`); one that exceeds either is reported as such.

    python benchmarks/scaling.py --sizes 1 5 10 20 40 --out benchmarks/results/scaling
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from growth import slope

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/mmkb/id/"
OPEN_STAGES = ("load", "materialize", "record_counts", "classify_findings", "RefractoryCategories")
VALIDATE_STAGES = ("core_results", "sparql_results")
# The comparison's question as one SPARQL aggregate: the query the scale benchmark runs too.
RAW_AGGREGATE = (ROOT / "benchmarks" / "raw-aggregate.rq").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the data


def renamed_copies(count: int, folder: Path) -> list[Path]:
    """The shipped curated files and `count - 1` renamed copies of them (see the module docstring)."""
    sys.path.insert(0, str(ROOT))
    from kb.paths import DATA_DIR, curated_files

    files = list(curated_files())
    for i in range(2, count + 1):
        for path in curated_files():
            copy = folder / f"copy{i}" / path.relative_to(DATA_DIR)
            copy.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8")
            if text.count(f"<{ID}>") != 1:
                raise SystemExit(f"{path}: expected one id: prefix declaration")
            copy.write_text(text.replace(f"<{ID}>", f"<{ID}copy{i}->"), encoding="utf-8")
            files.append(copy)
    return files


# ---------------------------------------------------------------- in the child process


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stage_timers(module: Any, names: tuple[str, ...], times: dict[str, float]) -> Iterator[None]:
    """Wrap `module.<name>` for each name so that each call adds its seconds to `times[name]`."""
    originals = {name: getattr(module, name) for name in names}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.process_time() - start

        return run

    for name, function in originals.items():
        setattr(module, name, timed(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(module, name, function)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def raw_aggregate_rows(store: Any) -> int:
    """Run RAW_AGGREGATE on pyoxigraph itself and read every value of every row; the row count."""
    from kb.namespaces import PREFIXES

    rows = 0
    for solution in store.oxigraph.query(RAW_AGGREGATE, prefixes=PREFIXES, use_default_graph_as_union=True):
        for term in solution:
            if term is not None:
                term.value  # noqa: B018 - reading the value is part of the work measured
        rows += 1
    return rows


def measure_open(files: list[Path], repeat: int) -> dict[str, Any]:
    import kb.knowledge_base as facade
    from kb.analysis.response_rate import response_rates

    stages: dict[str, float] = {}
    start, wall = time.process_time(), time.perf_counter()
    with stage_timers(facade, OPEN_STAGES, stages):
        kb = facade.KnowledgeBase.open(files)
    total, wall = time.process_time() - start, time.perf_counter() - wall
    table = response_rates(kb)
    raw_rows = raw_aggregate_rows(kb.store)
    return {
        "triples": len(kb.store),
        "studies": len(kb.select("SELECT ?s WHERE { ?s a mm:Study }")),
        "open": total,
        "open_wall": wall,
        **stages,
        "comparison": best_of(repeat, lambda: response_rates(kb)),
        "comparison_rows": len(table.rows),
        "raw_aggregate": best_of(repeat, lambda: raw_aggregate_rows(kb.store)),
        "raw_aggregate_rows": raw_rows,
        "open_rss_mib": peak_rss_mib(),
    }


def measure_validate(files: list[Path]) -> dict[str, Any]:
    import kb.quality.shacl as shacl
    from kb.quality.validate import validate

    stages: dict[str, float] = {}
    start, wall = time.process_time(), time.perf_counter()
    with stage_timers(shacl, VALIDATE_STAGES, stages):
        report = validate(files)
    if report.load_errors:
        raise SystemExit(f"load errors: {report.load_errors[0]}")
    return {
        "validate": time.process_time() - start,
        "validate_wall": time.perf_counter() - wall,
        **stages,
        "violations": len(report.violations),
        "validate_rss_mib": peak_rss_mib(),
    }


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    if args.max_memory:
        limit = int(args.max_memory * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    files = [Path(line) for line in Path(args.files).read_text(encoding="utf-8").splitlines()]
    result = measure_open(files, args.repeat) if args.child == "open" else measure_validate(files)
    print(json.dumps(result))


# ---------------------------------------------------------------- in the parent process


def run_child(kind: str, files: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--files", str(files), "--repeat", str(args.repeat)]
    command += ["--max-memory", str(args.max_memory)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {f"{kind}_failed": f"over {args.timeout:.0f} s"}
    if done.returncode != 0:
        if "MemoryError" in done.stderr or "memory allocation of" in done.stderr:
            return {f"{kind}_failed": f"over {args.max_memory:g} GiB"}
        if done.returncode == -signal.SIGKILL:
            return {f"{kind}_failed": "killed (out of memory?)"}
        last = (done.stderr.strip().splitlines() or ["exit status " + str(done.returncode)])[-1]
        return {f"{kind}_failed": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def fastest(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one child as one: each time the least, each peak RSS the largest; a failure wins."""
    failed = [r for r in results if any(key.endswith("_failed") for key in r)]
    if failed:
        return failed[0]
    merged = dict(results[0])
    for key, first in results[0].items():
        if isinstance(first, float):
            values = [r[key] for r in results]
            merged[key] = max(values) if key.endswith("_mib") else min(values)
    return merged


COLUMNS = (
    ("triples", "triples", "{:,}"),
    ("open", "open s", "{:.2f}"),
    ("open_wall", "open s (wall clock)", "{:.2f}"),
    *((stage, f"{stage} s", "{:.2f}") for stage in OPEN_STAGES),
    ("open_rss_mib", "open peak MiB", "{:.0f}"),
    ("validate", "validate s", "{:.2f}"),
    ("validate_wall", "validate s (wall clock)", "{:.2f}"),
    ("core_results", "SHACL core s", "{:.2f}"),
    ("sparql_results", "SHACL-SPARQL s", "{:.2f}"),
    ("validate_rss_mib", "validate peak MiB", "{:.0f}"),
    ("comparison", "comparison ms", "{:.1f}"),
    ("raw_aggregate", "raw query ms", "{:.1f}"),
    ("ratio", "comparison / raw", "{:.2f}x"),
)
MILLISECONDS = ("comparison", "raw_aggregate")


def markdown(report: dict[str, Any]) -> str:
    runs = report["runs"]
    lines = [
        "# Growth with the data",
        "",
        f"Copies of the shipped curated files (commit {report['commit']}); {report['machine']}.",
        "Times are CPU seconds of the measuring process (so that other work on the machine does not",
        f"distort them), the fastest of {report['runs_per_size']} child process(es) per size, the comparison",
        "and the raw query the best of several runs; the slope is the log-log least-squares slope over the",
        "three largest sizes that finished (1 linear, 2 quadratic).",
        "",
        "| measure | " + " | ".join(f"{r['copies']} copies" for r in runs) + " | slope |",
        "| --- | " + " | ".join("---:" for _ in runs) + " | ---: |",
    ]
    for key, title, fmt in COLUMNS:
        cells = []
        for run in runs:
            value = run.get(key)
            if value is None:
                failed = run.get("open_failed") or run.get("validate_failed")
                cells.append(f"({failed})" if failed else "")
            else:
                cells.append(fmt.format(value * 1000 if key in MILLISECONDS else value))
        found = report["slopes"].get(key)
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {'' if found is None else f'{found:.2f}'} |")
    studies = ", ".join(str(r.get("studies", "?")) for r in runs)
    lines += ["", f"Studies per size: {studies}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 10, 20, 40])
    parser.add_argument("--repeat", type=int, default=3, help="comparison runs per size (the best counts)")
    parser.add_argument("--runs", type=int, default=1, help="child processes per size and kind")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per child process")
    parser.add_argument("--max-memory", type=float, default=16.0, help="GiB of address space per child")
    parser.add_argument("--out", type=Path, help="write OUT.json and OUT.md")
    parser.add_argument("--child", choices=("open", "validate"), help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if any(n < 1 for n in args.sizes) or args.runs < 1 or args.repeat < 1:
        parser.error("--sizes, --runs and --repeat must be positive")
    runs = []
    with tempfile.TemporaryDirectory(prefix="mmkb-scaling-") as tmp:
        for n in sorted(set(args.sizes)):
            listing = Path(tmp) / f"files-{n}.txt"
            listing.write_text("\n".join(map(str, renamed_copies(n, Path(tmp) / "data"))), encoding="utf-8")
            run: dict[str, Any] = {"copies": n}
            for kind in ("open", "validate"):
                run.update(fastest([run_child(kind, listing, args) for _ in range(args.runs)]))
            if run.get("comparison") and run.get("raw_aggregate"):
                run["ratio"] = run["comparison"] / run["raw_aggregate"]
            print(json.dumps(run), file=sys.stderr)
            runs.append(run)
    slopes = {}
    for key, _, _ in COLUMNS:
        measured = [r for r in runs if key in r][-3:]
        if key != "ratio" and len(measured) >= 2:
            slopes[key] = slope([(r["copies"], r[key]) for r in measured])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    report = {
        "commit": commit.stdout.strip() or "unknown",
        "machine": f"{_cores()} cores, Python {sys.version.split()[0]}",
        "runs_per_size": args.runs,
        "runs": runs,
        "slopes": slopes,
    }
    text = markdown(report)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(text, encoding="utf-8")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
