"""How the exchange formats grow with the data, side by side with the Turtle export of the same graph.

For each size N, one child process writes N synthetic studies (`mmkb synth`, seed 1), opens them with the
shipped curated files, and times each export (best of `--repeat`, each on a fresh build so nothing is
served from the cache): Turtle (the baseline: the graph as it is, written by the store), JSON-LD compacted
with mmkb's context, the bulk CSV tables (zip), and the FHIR R5 bundle, with the size of what each writes.
The report gives each export's time as a ratio to Turtle's at the same N (the machine is shared: ratios,
not absolute times, are what compares), and the log-log slope of each over the sizes (1 is linear).

    python benchmarks/exports.py --sizes 100 200 400 --out benchmarks/results/exports
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from growth import main, slope

ROOT = Path(__file__).resolve().parent.parent

FORMATS = ("turtle", "jsonld", "tables", "fhir")


def writers() -> dict[str, Callable[[Any], bytes]]:
    sys.path.insert(0, str(ROOT))
    from kb.graph.bulk_tables import tables_zip
    from kb.render.fhir_bundle import fhir_json

    return {
        "turtle": lambda kb: kb.export("turtle"),
        "jsonld": lambda kb: kb.export("jsonld"),
        "tables": lambda kb: tables_zip(kb.store),
        "fhir": fhir_json,
    }


def measure(studies: int, repeat: int) -> dict[str, Any]:
    """In this process: the seconds and bytes of every export over `studies` studies."""
    sys.path.insert(0, str(ROOT))
    from kb.knowledge_base import KnowledgeBase
    from kb.paths import curated_files
    from kb.synth.writer import write

    with tempfile.TemporaryDirectory(prefix="mmkb-exports-") as work:
        data = Path(work) / "synth.ttl"
        write(data, studies, 1)
        files = [*curated_files(), data]
        out: dict[str, Any] = {}
        for name, writer in writers().items():
            best, size = math.inf, 0
            for _ in range(repeat):
                kb = KnowledgeBase.open(files)  # a fresh build: nothing cached
                started = time.perf_counter()
                body = writer(kb)
                best = min(best, time.perf_counter() - started)
                size = len(body)
            out[name] = {"seconds": best, "bytes": size}
    return out


def report(results: dict[int, dict[str, Any]]) -> str:
    sizes = sorted(results)
    lines = [
        "| export | " + " | ".join(f"N={n}: MB, s, x turtle" for n in sizes) + " | slope |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for name in FORMATS:
        cells = []
        for n in sizes:
            got, base = results[n][name], results[n]["turtle"]["seconds"]
            cells.append(f"{got['bytes'] / 1e6:.1f}, {got['seconds']:.2f}, {got['seconds'] / base:.2f}")
        fitted = slope([(n, results[n][name]["seconds"]) for n in sizes])
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'' if fitted is None else f'{fitted:.2f}'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main(__file__, __doc__ or "", "exports", [100, 200, 400], measure, report))
