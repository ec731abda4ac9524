"""Benchmark: the library's queries on Oxigraph's engine against rdflib's own engine, in one run.

Both engines answer the same SPARQL over the same triples (the shipped knowledge base after
reasoning); the script checks that they agree and prints the time ratio per query. Run:

    python benchmarks/query_engine.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from rdflib import Dataset

from kb.knowledge_base import KnowledgeBase
from kb.namespaces import PREFIXES
from kb.paths import QUERIES_DIR
from kb.queries import check_names, query_text


def timed(run, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = len(list(run()))
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    kb = KnowledgeBase.open()
    baseline = Dataset(default_union=True)  # rdflib's in-memory store and SPARQL engine
    for s, p, o, g in kb.store.quads():
        baseline.graph(g).add((s, p, o))
    names = sorted(p.stem for p in QUERIES_DIR.glob("*.rq")) + check_names()
    print(f"{len(kb)} quads; median of {args.repeat} runs per query\n")
    print(f"{'query':45} {'rows':>5} {'oxigraph ms':>12} {'rdflib ms':>10} {'ratio':>7}")
    ratios = []
    for name in names:
        text = query_text(name)
        ox_time, ox_rows = timed(lambda t=text: kb.store.query(t), args.repeat)
        rdf_time, rdf_rows = timed(lambda t=text: baseline.query(t, initNs=PREFIXES), args.repeat)
        agree = "" if ox_rows == rdf_rows else f"  ROWS DIFFER ({rdf_rows})"
        ratio = rdf_time / ox_time if ox_time else float("inf")
        ratios.append(ratio)
        print(f"{name:45} {ox_rows:5d} {ox_time * 1000:12.1f} {rdf_time * 1000:10.1f} {ratio:6.0f}x{agree}")
    print(f"\ngeometric mean speed-up of Oxigraph over rdflib: {statistics.geometric_mean(ratios):.0f}x")


if __name__ == "__main__":
    main()
