"""What the benchmarks of growth with the data share: the log-log slope of a measure over the sizes (1 is
linear, 2 quadratic), and the command line of a benchmark that measures each size in a child process of its
own and reports a table (endpoints.py, exports.py)."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def slope(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(y) against log(x), or None without two distinct sizes."""
    logs = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in logs}) < 2:
        return None
    mx = sum(x for x, _ in logs) / len(logs)
    my = sum(y for _, y in logs) / len(logs)
    return sum((x - mx) * (y - my) for x, y in logs) / sum((x - mx) ** 2 for x, _ in logs)


def main(
    script: str,
    doc: str,
    name: str,
    sizes: list[int],
    measure: Callable[[int, int], dict[str, Any]],
    report: Callable[[dict[int, dict[str, Any]]], str],
) -> int:
    """Measure every size (`--sizes`) in a child process running `script --child N`, print the report, and
    with `--out DIR` write DIR/NAME.json and DIR/NAME.md."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per size")
    parser.add_argument("--out", type=Path, help=f"folder for {name}.json and {name}.md")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.repeat)))
        return 0
    results: dict[int, dict[str, Any]] = {}
    for n in args.sizes:
        command = [sys.executable, script, "--child", str(n), "--repeat", str(args.repeat)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=True)
        results[n] = json.loads(done.stdout.strip().splitlines()[-1])
    text = report(results)
    print(text, end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        (args.out / f"{name}.md").write_text(text, encoding="utf-8")
    return 0
