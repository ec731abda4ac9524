"""The load command, briefly: it starts the service, runs the mix and the deadline phase, and reports.

No timing is asserted (CI machines are shared); the run must give no server error on the mix and an
answer from every route in it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"
MIX_ROUTES = {
    "health",
    "page",
    "studies",
    "study",
    "compare-json",
    "compare-csv",
    "sparql",
    "forest-plot",
    "conflicts",
}


def run_load(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOAD), "--out", str(tmp_path / "load"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_load_command_runs_the_mix_without_server_errors(tmp_path: Path) -> None:
    done = run_load(
        tmp_path,
        "--clients=4",
        "--duration=3",
        "--deadline-clients=1",
        "--server-arg=--sparql-deadline-seconds=1",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "load.json").read_text())
    assert (tmp_path / "load.md").read_text().startswith("# Load test")
    phases = report["variants"]["default"]["phases"]
    assert set(phases) == {"mix", "mix+deadline"}
    for name, phase in phases.items():
        routes = phase["routes"]
        assert set(routes) == MIX_ROUTES, f"{name}: routes that never answered: {MIX_ROUTES - set(routes)}"
        for route, row in routes.items():
            statuses = row["statuses"]
            assert any(s.startswith("2") for s in statuses), f"{name} {route}: no success, {statuses}"
            failures = {s: n for s, n in statuses.items() if not s.startswith("2")}
            assert not failures, f"{name} {route}: {failures}"
        assert phase["memory_start"]["server_mib"] > 0 and phase["memory_end"]["server_mib"] > 0
    # The deadline (1 s here) ends each cartesian query well within the 3 s phase: it is answered.
    deadline = phases["mix+deadline"]["deadline_routes"]["sparql-deadline"]["statuses"]
    assert deadline and all(s.isdigit() for s in deadline), (
        f"the deadline query got no HTTP answer: {deadline}"
    )


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://10.0.0.1:8000", "https://127.0.0.1:8000"])
def test_load_command_refuses_any_other_host(tmp_path: Path, url: str) -> None:
    done = run_load(tmp_path, f"--url={url}", "--duration=1", timeout=30)
    assert done.returncode != 0 and "only http://127.0.0.1:PORT" in done.stderr
