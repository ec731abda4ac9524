"""How the comparison of every endpoint grows with the data, side by side with the response comparison.

For each size N, one child process writes N synthetic studies (`mmkb synth`, seed 1), opens them with the
shipped curated files, and times `compare(kb, endpoint)` for every endpoint (best of `--repeat`, each on a
fresh build so no table is served from the cache), with the number of rows. The report gives each
endpoint's time as a ratio to the response comparison's at the same N (the machine is shared: ratios, not
absolute times, are what compares), and the log-log slope of each over the sizes (1 is linear).

    python benchmarks/endpoints.py --sizes 250 500 1000 --out benchmarks/results/endpoints
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from growth import main, slope

ROOT = Path(__file__).resolve().parent.parent


def measure(studies: int, repeat: int) -> dict[str, Any]:
    """In this process: the seconds and rows of every endpoint's comparison over `studies` studies."""
    sys.path.insert(0, str(ROOT))
    from kb.analysis.endpoints import ENDPOINTS, compare
    from kb.knowledge_base import KnowledgeBase
    from kb.paths import curated_files
    from kb.synth.writer import write

    with tempfile.TemporaryDirectory(prefix="mmkb-endpoints-") as work:
        data = Path(work) / "synth.ttl"
        write(data, studies, 1)
        files = [*curated_files(), data]
        out: dict[str, Any] = {}
        for name in ENDPOINTS:
            best, rows = math.inf, 0
            for _ in range(repeat):
                kb = KnowledgeBase.open(files)  # a fresh build: nothing cached
                started = time.perf_counter()
                table = compare(kb, name)
                best = min(best, time.perf_counter() - started)
                rows = len(table.rows)
            out[name] = {"seconds": best, "rows": rows}
    return out


def report(results: dict[int, dict[str, Any]]) -> str:
    sizes = sorted(results)
    names = list(results[sizes[0]])
    lines = [
        "| endpoint | " + " | ".join(f"N={n}: rows, s, x response" for n in sizes) + " | slope |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for name in names:
        cells = []
        for n in sizes:
            got, base = results[n][name], results[n]["response"]["seconds"]
            cells.append(f"{got['rows']}, {got['seconds']:.3f}, {got['seconds'] / base:.2f}")
        fitted = slope([(n, results[n][name]["seconds"]) for n in sizes])
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'' if fitted is None else f'{fitted:.2f}'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main(__file__, __doc__ or "", "endpoints", [250, 500, 1000], measure, report))
