"""One way to start, nothing at import: each run as a new user would, from the repository root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from kb.knowledge_base import KnowledgeBase
from tests.api.conftest import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
MINI = sorted((ROOT / "tests" / "fixtures" / "mini").glob("*.ttl"))


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def started(args: list[str], **env: str) -> Iterator[str]:
    """`args` run from the repository root until the service answers /health; yields its base URL and
    stops it afterwards."""
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, "MMKB_ALLOWED_HOSTS": "127.0.0.1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = next(a for a in args if a.isdigit())
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, 60)
        yield base
    finally:  # a clean-up, not a check: stopping on SIGTERM is tested in test_server.py
        process.kill()
        process.wait(timeout=10)


def test_importing_the_app_loads_nothing() -> None:
    """With MMKB_DATA naming a file that does not exist, importing and building the app still succeed:
    neither reads any data. The module holds a factory, no app."""
    code = (
        "import api.app\n"
        "assert not hasattr(api.app, 'app')\n"
        "app = api.app.create_app()\n"
        "assert app.state.kb is None\n"
    )
    result = run_python(code, MMKB_DATA="/nonexistent/file.ttl")
    assert result.returncode == 0, result.stderr


# Loaded by the functions that compute with them, never by importing the service or the command line.
HEAVY = ("scipy",)


@pytest.mark.parametrize("module", ["api.app", "kb.cli"])
def test_importing_the_service_or_the_command_line_loads_no_heavy_library(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"importing {module} loaded {result.stdout.strip()}"


def test_import_kb_and_the_readme_example_run_from_the_repository_root() -> None:
    readme = (ROOT / "README.md").read_text()
    examples = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert examples
    for code in ["import kb", *examples]:
        result = run_python(code)
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def mini_triples() -> int:
    return len(KnowledgeBase.open(MINI))


def test_uvicorn_factory_serves_the_files_in_mmkb_data(mini_triples: int) -> None:
    port = str(free_port())
    args = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", port]
    with started(args, MMKB_DATA=os.pathsep.join(map(str, MINI))) as base:
        assert httpx.get(base + "/health").json()["triples"] == mini_triples


def test_mmkb_serve_data_loads_only_those_files(mini_triples: int) -> None:
    port = str(free_port())
    args = [sys.executable, "-m", "kb.cli", "serve", "--port", port, "--data", *map(str, MINI)]
    with started(args) as base:
        assert httpx.get(base + "/health").json()["triples"] == mini_triples
