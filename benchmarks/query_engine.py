"""Benchmark: the library's queries on Oxigraph's engine against rdflib's own engine, in one run.

Both engines answer the same SPARQL over the same triples (the shipped knowledge base after
reasoning); the script checks that they return the same number of rows and prints the time ratio
per query. rdflib gets a time budget per query (run in a forked child that is stopped when the
budget is spent); a query over budget is reported as a lower bound. Run:

    python benchmarks/query_engine.py [--repeat N] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable

from rdflib import Dataset

from kb.knowledge_base import KnowledgeBase
from kb.namespaces import PREFIXES
from kb.paths import QUERIES_DIR
from kb.queries import check_names, query_text

_BASELINE: Dataset | None = None


def timed(run: Callable[[], object], repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = len(list(run()))  # type: ignore[call-overload]
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def _rdflib_child(text: str, repeat: int, out: mp.Queue) -> None:
    assert _BASELINE is not None
    out.put(timed(lambda: _BASELINE.query(text, initNs=PREFIXES), repeat))


def rdflib_timed(text: str, repeat: int, budget: float) -> tuple[float, int] | None:
    """rdflib's time for `text` in a forked child; None when it does not finish within `budget`."""
    out: mp.Queue = mp.get_context("fork").Queue()
    child = mp.get_context("fork").Process(target=_rdflib_child, args=(text, repeat, out))
    child.start()
    child.join(budget)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return out.get()


def main() -> None:
    global _BASELINE
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds rdflib may spend per query")
    args = parser.parse_args()

    kb = KnowledgeBase.open()
    _BASELINE = Dataset(default_union=True)  # rdflib's in-memory store and SPARQL engine
    for s, p, o, g in kb.store.quads():
        _BASELINE.graph(g).add((s, p, o))
    names = sorted(p.stem for p in QUERIES_DIR.glob("*.rq")) + check_names()
    print(f"{len(kb)} quads; median of {args.repeat} runs; rdflib budget {args.budget:.0f} s per query\n")
    print(f"{'query':45} {'rows':>5} {'oxigraph ms':>12} {'rdflib ms':>10} {'ratio':>8}")
    ratios = []
    for name in names:
        text = query_text(name)
        ox_time, ox_rows = timed(lambda t=text: kb.store.query(t), args.repeat)
        baseline = rdflib_timed(text, args.repeat, args.budget)
        if baseline is None:
            ratio = args.budget / ox_time
            shown = f">{ratio:.0f}x"
            print(f"{name:45} {ox_rows:5d} {ox_time * 1000:12.1f} {'> budget':>10} {shown:>8}")
        else:
            rdf_time, rdf_rows = baseline
            ratio = rdf_time / ox_time
            agree = "" if ox_rows == rdf_rows else f"  ROWS DIFFER (rdflib {rdf_rows})"
            ms = f"{ox_time * 1000:12.1f} {rdf_time * 1000:10.1f}"
            print(f"{name:45} {ox_rows:5d} {ms} {ratio:7.0f}x{agree}")
        ratios.append(ratio)
    mean = statistics.geometric_mean(ratios)
    print(f"\ngeometric mean speed-up of Oxigraph over rdflib (lower bound): {mean:.0f}x")


if __name__ == "__main__":
    main()
