"""How the comparison of every endpoint grows with the data, side by side with the response comparison.

For each size N, one child process writes N synthetic studies (`mmkb synth`, seed 1), opens them with the
shipped curated files, and times `compare(kb, endpoint)` for every endpoint (best of `--repeat`, each on a
fresh build so no table is served from the cache), with the number of rows. The report gives each
endpoint's time as a ratio to the response comparison's at the same N (the machine is shared: ratios, not
absolute times, are what compares), and the log-log slope of each over the sizes (1 is linear).

    python benchmarks/endpoints.py --sizes 250 500 1000 --out benchmarks/results/endpoints
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def slope(points: list[tuple[int, float]]) -> float | None:
    """The least-squares slope of log(time) over log(size)."""
    usable = [(math.log(n), math.log(t)) for n, t in points if t > 0]
    if len(usable) < 2:
        return None
    mx = sum(x for x, _ in usable) / len(usable)
    my = sum(y for _, y in usable) / len(usable)
    sxx = sum((x - mx) ** 2 for x, _ in usable)
    return sum((x - mx) * (y - my) for x, y in usable) / sxx if sxx else None


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per size")
    parser.add_argument("--out", type=Path, help="folder for endpoints.json and endpoints.md")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.repeat)))
        return 0
    results: dict[int, dict[str, Any]] = {}
    for n in args.sizes:
        command = [sys.executable, __file__, "--child", str(n), "--repeat", str(args.repeat)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=True)
        results[n] = json.loads(done.stdout.strip().splitlines()[-1])
    text = report(results)
    print(text, end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "endpoints.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        (args.out / "endpoints.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
