"""The package finds its files the same way from a checkout and installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ontology_found_when_run_from_the_repository_root() -> None:
    # From the root, `kb` is the checkout's folder, which has no kb/ontology (it is mapped at install).
    code = "from kb.paths import ONTOLOGY_DIR, SHAPES_FILE; print(ONTOLOGY_DIR); assert SHAPES_FILE.is_file()"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == REPO / "ontology"


def test_cli_runs_from_the_repository_root() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "usage: mmkb" in done.stdout
