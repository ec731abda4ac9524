"""The scale benchmark, briefly: at the shipped size and one synthetic size it runs every step, finishes and
writes its JSON and Markdown report.

No timing is asserted (CI machines are shared). The synthetic size is SMOKE_STUDIES, or the
MMKB_BENCH_SMOKE_STUDIES environment variable; the steps get small repeat counts and short phases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCALE = Path(__file__).resolve().parents[1] / "benchmarks" / "scale.py"
SMOKE_STUDIES = 1000
STEPS = ("build", "library", "engine", "rdflib", "serve_store", "serve_uncached", "serve_files")
SECTIONS = (
    "# Scale benchmark",
    "## Targets",
    "## Figures",
    "## The same question, as a ratio to the baselines",
    "## Steps",
    "## How to read it",
)


def test_scale_benchmark_runs_every_step_and_writes_its_report(tmp_path: Path) -> None:
    studies = int(os.environ.get("MMKB_BENCH_SMOKE_STUDIES", SMOKE_STUDIES))
    command = [sys.executable, str(SCALE), f"--studies={studies}", "--out", str(tmp_path / "scale")]
    command += ["--repeat=2", "--measure-seconds=2", "--clients=2", "--sparql-seconds=1"]
    command += ["--rdflib-budget=5", "--rdflib-repeat=1", "--budget=900", "--max-memory=6"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=2000, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads((tmp_path / "scale.json").read_text(encoding="utf-8"))
    text = (tmp_path / "scale.md").read_text(encoding="utf-8")
    positions = [text.find(section) for section in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    assert [run["studies"] for run in report["runs"]] == ["shipped", studies]
    for run in report["runs"]:
        # rdflib may be stopped at its budget: then it gives its lower bound or says why
        unfinished = {
            step: run[step].get("failed") or run[step].get("skipped")
            for step in STEPS
            if step != "rdflib" and ("failed" in run[step] or "skipped" in run[step])
        }
        assert not unfinished, f"{run['studies']}: {unfinished}"
        assert "shown_ms" in run["rdflib"] or "failed" in run["rdflib"]
        assert run["triples"] > 0 and run["build"]["triples_per_second"] > 0
        library = run["library"]
        # the raw engine query reads every printed or patient-record count the comparison shows
        found, _, total = library["agreement"].partition(" of ")
        assert found == total and int(total) > 0, library["agreement"]
        # the service answers the library's table
        for step in ("serve_store", "serve_uncached", "serve_files"):
            assert run[step]["comparison_rows"] == library["comparison_rows"], step
        assert run["serve_store"]["comparison"]["statuses"] == {
            "200": run["serve_store"]["comparison"]["requests"]
        }
        sparql = run["serve_store"]["sparql"]
        assert sparql["statuses"].get("200", 0) > 0, sparql["statuses"]
    verdicts = {what: verdict for what, _, verdict in report["targets"]}
    assert len(verdicts) == 6
    assert all(
        v in ("met", "**missed**", "not measured") or v.startswith("undecided") for v in verdicts.values()
    )
