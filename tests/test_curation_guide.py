"""The curation guide's worked example, run as it is written in docs/curation.md, so the guide cannot go
stale: a study imported from a sheet is the hand-written study, and the commands after it succeed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from kb.paths import DATA_DIR, curated_files

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "curation.md"


def _commands(heading: str) -> str:
    """The shell block of the guide's section `heading`."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found, f"{heading} has a ```sh block"
    return found.group(1)


def test_the_worked_example_runs_as_written(tmp_path: Path) -> None:
    # The working directory holds what the commands name: the curated files at kb/data and the example
    # sheet (python -P: the kb/data folder there must not shadow the kb package).
    for path in curated_files():
        target = tmp_path / "kb" / "data" / path.relative_to(DATA_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    script = f'set -e\nmmkb() {{ "{sys.executable}" -P -m kb.cli "$@"; }}\n' + _commands("### Worked example")
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    imported = tmp_path / "scratch" / "kb" / "studies" / "baertsch-2017.ttl"
    assert imported.read_text(encoding="utf-8") == (DATA_DIR / "studies" / "baertsch-2017.ttl").read_text(
        encoding="utf-8"
    )
    assert "valid: 10 files and the ontology, 0 errors" in done.stderr
    rows = (tmp_path / "scratch" / "compare.csv").read_text(encoding="utf-8")
    assert "Baertsch" in rows
