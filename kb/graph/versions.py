"""A version of a knowledge base named on the command line: a folder of curated files, one file, or a git
revision of the repository the command runs in (its curated files at that revision)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from kb.graph.rdf_files import FORMATS
from kb.paths import DATA_DIR

GIT_SECONDS = 60


def version_files(name: str, work: Path) -> list[Path]:
    """The curated files of version `name`; a git revision's are written under `work`. ValueError, with
    what to give instead, when `name` is none of these."""
    path = Path(name)
    if path.is_file():
        return [path]
    if path.is_dir():
        return _rdf_files(path, name)
    return _revision_files(name, work)


def _rdf_files(folder: Path, name: str) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
    if not files:
        raise ValueError(f"{name}: no RDF files in this folder ({', '.join(sorted(FORMATS))})")
    return files


def _git(*argv: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *argv], cwd=cwd, capture_output=True, timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ValueError(f"git could not be run ({exc})") from None


def _revision_files(name: str, work: Path) -> list[Path]:
    here = Path.cwd()
    top = _git("rev-parse", "--show-toplevel", cwd=here)
    if top.returncode != 0:
        raise ValueError(
            f"{name}: not a file or folder, and {here} is not in a git repository to read it from"
        )
    root = Path(top.stdout.decode().strip())
    if _git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", cwd=root).returncode != 0:
        raise ValueError(f"{name}: not a file, a folder or a git revision of {root}")
    data = _data_path(root)
    archive = work / "version.tar"
    work.mkdir(parents=True, exist_ok=True)
    made = _git("archive", "--format=tar", f"--output={archive}", name, "--", data, cwd=root)
    if made.returncode != 0:
        raise ValueError(
            f"{name}: the revision has no {data} ({made.stderr.decode().strip().splitlines()[-1]})"
        )
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return _rdf_files(work / data, f"{name}:{data}")


def _data_path(root: Path) -> str:
    """Where the curated files sit in the repository: kb/data of this checkout, as a path from its root."""
    try:
        return DATA_DIR.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return "kb/data"
