"""The scale benchmark's measurements inside one child process each: the library, the raw engine, rdflib.

Each sub-command prints JSON lines on stdout: `partial` figures as they are measured, `progress`, and
last its `result`. The parent (scale.py) runs
it in a process of its own, so that each peak RSS is its own, and stops it at its time or memory limit.

    python benchmarks/scale_library.py library --store DIR --repeat 20 --seconds 60
    python benchmarks/scale_library.py engine --store DIR --dump FILE.nq --into NEW_DIR
    python benchmarks/scale_library.py rdflib --dump FILE.nq --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from load_report import percentile

# The comparison's question as one SPARQL aggregate (the engine's limit): see the query's comment.
RAW_AGGREGATE = (Path(__file__).resolve().parent / "raw-aggregate.rq").read_text(encoding="utf-8")

T = TypeVar("T")
# Count origins of comparison rows whose n and responders the raw query reads as they are.
READ_AS_IS = ("reported", "reconstructed")


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def timings(
    run: Callable[[], T], repeat: int, seconds: float, prepare: Callable[[], Any] | None = None
) -> tuple[dict[str, Any], T]:
    """p50/p95 (ms, nearest rank) of up to `repeat` runs, stopping early once `seconds` are spent (one at
    least), and the last run's answer; the first run is reported on its own as `first_ms` and not counted
    (imports, caches). `prepare`, untimed, runs before each run."""
    prepare = prepare or (lambda: None)
    prepare()
    start = time.perf_counter()
    answer = run()
    first = time.perf_counter() - start
    times: list[float] = []
    stop_at = time.perf_counter() + seconds
    while len(times) < repeat and (not times or time.perf_counter() < stop_at):
        prepare()
        start = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - start)
    ordered = sorted(t * 1000 for t in times)
    figures = {
        "first_ms": round(first * 1000, 2),
        "runs": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 2),
        "p95_ms": round(percentile(ordered, 95), 2),
    }
    return figures, answer


def open_kb(store: Path | None, files: Sequence[Path]) -> Any:
    from kb.knowledge_base import KnowledgeBase

    return KnowledgeBase.from_store(store) if store is not None else KnowledgeBase.open(list(files) or None)


def raw_rows(engine: Any) -> list[tuple[str, int | None, int | None]]:
    """RAW_AGGREGATE on pyoxigraph itself, every value of every row read; (cohort, n, responders)."""
    from kb.namespaces import PREFIXES

    out = []
    for solution in engine.query(RAW_AGGREGATE, prefixes=PREFIXES, use_default_graph_as_union=True):
        values = [None if term is None else term.value for term in solution]
        n, responders = solution["n"], solution["responders"]
        out.append((str(values[0]), _integer(n), _integer(responders)))
    return out


def _integer(term: Any) -> int | None:
    """A count's value; None for a typed unknown (an IRI) or nothing."""
    try:
        return int(term.value) if term is not None and hasattr(term, "datatype") else None
    except ValueError:
        return None


def library(args: argparse.Namespace) -> dict[str, Any]:
    """Open the knowledge base, then time the comparison and the raw aggregate over the same store."""
    from kb.analysis.response_rate import response_rates

    start = time.perf_counter()
    kb = open_kb(args.store, args.files)
    opened = time.perf_counter() - start
    emit(event="partial", open_s=round(opened, 3))
    engine = kb.store.oxigraph_engine()
    studies = len(kb.select("SELECT ?s WHERE { ?s a mm:Study }"))
    # computed: each run on the build opened again (untimed), which keeps no table yet
    opened_kb = [kb]
    comparison, table = timings(
        lambda: response_rates(opened_kb[0]),
        args.repeat,
        args.seconds,
        prepare=lambda: opened_kb.__setitem__(0, open_kb(args.store, args.files)),
    )
    emit(event="partial", comparison=comparison)
    # kept: the table a build keeps once computed (KnowledgeBase.computed), as a service asks for it
    kept, _ = timings(lambda: response_rates(kb), args.repeat, args.seconds)
    emit(event="partial", comparison_kept=kept)
    raw, rows = timings(lambda: raw_rows(engine), args.repeat, args.seconds)
    # A comparison row whose count is printed or counted from patient records is a (cohort, n,
    # responders) of the raw answer; a derived count (from a percentage) is the comparison's own work.
    read = [
        (r.cohort_id.split("#")[0], r.n, r.responders)
        for r in table.rows
        if r.count_origin in READ_AS_IS and r.n is not None and r.responders is not None
    ]
    found = set(rows)
    return {
        "open_s": round(opened, 3),
        "triples": len(kb),
        "studies": studies,
        "comparison": comparison,
        "comparison_kept": kept,
        "comparison_rows": len(table.rows),
        "raw_aggregate": raw,
        "raw_rows": len(rows),
        "agreement": f"{sum(1 for c in read if c in found)} of {len(read)}",
    }


def engine_load(args: argparse.Namespace) -> dict[str, Any]:
    """Dump the store as N-Quads to `--dump` (not timed), then time pyoxigraph's own bulk loader reading
    that file into a new on-disk store in `--into`: the engine's limit for loading the same statements."""
    import pyoxigraph as ox

    engine = open_kb(args.store, args.files).store.oxigraph_engine()
    engine.dump(output=str(args.dump), format=ox.RdfFormat.N_QUADS)
    target = ox.Store(str(args.into))
    start = time.perf_counter()
    target.bulk_load(path=str(args.dump), format=ox.RdfFormat.N_QUADS)
    target.flush()
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "triples": len(target),
        "triples_per_second": round(len(target) / seconds),
    }


def rdflib_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """rdflib's default in-memory Dataset parsing the N-Quads dump (`--dump`), then RAW_AGGREGATE on it.

    Progress goes out as it happens (the load, each query's start on the monotonic clock and its
    time), so that the parent can give a lower bound when it stops this process at its budget."""
    from rdflib import Dataset

    from kb.namespaces import PREFIXES

    start = time.perf_counter()
    dataset = Dataset(default_union=True)
    dataset.parse(str(args.dump), format="nquads")
    loaded = time.perf_counter() - start
    triples = sum(len(graph) for graph in dataset.graphs())
    emit(event="partial", load_s=round(loaded, 3), triples=triples)
    times, rows = [], 0
    for _ in range(args.repeat):
        emit(event="progress", query_start=True, at=time.monotonic())
        start = time.perf_counter()
        rows = sum(1 for _ in dataset.query(RAW_AGGREGATE, initNs=PREFIXES))
        times.append(time.perf_counter() - start)
        emit(event="progress", query_s=round(times[-1], 4), rows=rows)
    ordered = sorted(t * 1000 for t in times)
    return {
        "load_s": round(loaded, 3),
        "triples": triples,
        "p50_ms": round(percentile(ordered, 50), 2),
        "runs": len(ordered),
        "rows": rows,
    }


MEASURES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "library": library,
    "engine": engine_load,
    "rdflib": rdflib_baseline,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=tuple(MEASURES))
    parser.add_argument("--store", type=Path, help="a built store (mmkb build --store DIR)")
    parser.add_argument("--files", type=Path, nargs="*", default=[], help="curated files, without --store")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="time for the repeats of one figure")
    parser.add_argument("--dump", type=Path, help="the store's statements as N-Quads (engine, rdflib)")
    parser.add_argument("--into", type=Path, help="a new folder for the engine's own load (engine)")
    args = parser.parse_args(argv)
    emit(event="result", **MEASURES[args.what](args))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
