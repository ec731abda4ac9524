"""The layout holds: the library's layers and its independence from the web stack (import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_command_line_answers_help_and_option_errors_without_loading_the_graph():
    # `mmkb --help` and a mistyped option are answered before any command imports rdflib or the data.
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['mmkb', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('kb.cli', run_name='__main__')\n"
        "finally:\n"
        "    heavy = ('rdflib', 'pyoxigraph', 'scipy', 'kb.knowledge_base')\n"
        "    heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "    print('loaded:', ','.join(heavy), file=sys.stderr)\n"
    )
    helped = subprocess.run(
        [sys.executable, "-c", probe, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0
    assert "usage: mmkb" in helped.stdout
    assert "compare" in helped.stdout
    assert helped.stderr.endswith("loaded: \n")
    failed = subprocess.run(
        [sys.executable, "-c", probe, "compare", "response-rate", "--ci", "bogus"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 2
    assert "invalid choice: 'bogus'" in failed.stderr
    assert failed.stderr.endswith("loaded: \n")


def test_every_package_of_the_tree_is_installed() -> None:
    """A package missing from [tool.setuptools] packages works from a checkout and fails once installed."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    moved = {folder: name for name, folder in config.get("package-dir", {}).items()}
    found = set()
    for init in [path for top in ("kb", "api", "ontology") for path in root.glob(f"{top}/**/__init__.py")]:
        folder = init.parent.relative_to(root).as_posix()
        found.add(moved.get(folder, folder.replace("/", ".")))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_ci_runs_the_readme_test_command() -> None:
    """The command a newcomer runs is the one CI runs, and it installs what the tests need itself."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "Set up and run the tests:\n\n```sh\nscripts/test\n```" in readme
    assert (root / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("exec scripts/test")
    script = (root / "scripts" / "test").read_text(encoding="utf-8")
    for package in ("chromium", "chromium-driver", "libseccomp2", "virtuoso-opensource", "libcairo2"):
        assert package in script
    assert "pip install --quiet '.[test]'" in script and 'exec .venv/bin/pytest "$@"' in script
