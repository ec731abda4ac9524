"""Every path mmkb reads, spelled once."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _ontology_dir() -> Path:
    """ontology/ beside kb/ in a checkout; the kb.ontology package data once installed."""
    checkout = PACKAGE_DIR.parent / "ontology"
    if (checkout / "mmkb.ttl").is_file():
        return checkout
    return Path(str(files("kb.ontology")))


ONTOLOGY_DIR = _ontology_dir()
VOCABULARY_FILE = ONTOLOGY_DIR / "mmkb.ttl"
CONCEPTS_FILE = ONTOLOGY_DIR / "concepts.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_FILES = (VOCABULARY_FILE, CONCEPTS_FILE)

DATA_DIR = PACKAGE_DIR / "data"
STUDIES_DIR = DATA_DIR / "studies"
PUBLICATIONS_DIR = DATA_DIR / "publications"

QUERIES_DIR = PACKAGE_DIR / "queries"
CHECKS_DIR = QUERIES_DIR / "checks"


def curated_files() -> list[Path]:
    """The shipped curated Turtle files, in a stable order (a command reads working_kb's instead)."""
    return sorted(DATA_DIR.rglob("*.ttl"))


def display_path(path: Path) -> str:
    """A path as users should read it: mmkb's own files (the ontology, the shipped data) by their name in
    the source tree (``ontology/concepts.ttl``, ``kb/data/...``) wherever the package is installed; other
    files relative to the working directory when inside it, else as given."""
    resolved = path.resolve()
    for base, name in ((ONTOLOGY_DIR.resolve(), "ontology"), (PACKAGE_DIR, "kb")):
        if resolved.is_relative_to(base):
            return f"{name}/{resolved.relative_to(base).as_posix()}"
    cwd = Path.cwd().resolve()
    if resolved.is_relative_to(cwd):
        return str(resolved.relative_to(cwd))
    return str(path)


# ------------------------------------------------------------------ the working knowledge base

KB_ENV = "MMKB_KB"  # one or more folders or files of curated data, separated by os.pathsep
CURATED_GLOB = "*.ttl"  # the curated files of a folder, found in it and every folder below
PROJECT_NAME = "mmkb"  # the [project] name of a checkout's pyproject.toml

# Where the knowledge base a command reads came from, in the order a command looks for one.
ORIGINS = ("--kb", KB_ENV, "checkout", "shipped")


class KnowledgeBaseNotFound(ValueError):
    """A path given for the knowledge base that is missing, or a folder with no curated files; the message
    names it, where it was given, and what to do."""


@dataclass(frozen=True)
class WorkingKB:
    """The curated files a command reads, where they are (a folder, or the paths given) and how they were
    chosen (one of ORIGINS)."""

    files: tuple[Path, ...]
    where: str
    origin: str
    folder: Path | None = None  # the one folder the files are in, when it was chosen as a folder

    def writable_folder(self) -> Path:
        """The folder new curated files go to: the working knowledge base's own folder, never the
        installed copy. KnowledgeBaseNotFound when there is none."""
        if self.folder is None or self.origin == "shipped":
            raise KnowledgeBaseNotFound(
                f"the working knowledge base is {self.where} ({self.origin}), not a folder to write into; "
                "give --out DIR, or --kb DIR, or run in a checkout (its kb/data)"
            )
        return self.folder

    def describe(self) -> str:
        count = f"{len(self.files)} file{'' if len(self.files) == 1 else 's'}"
        return f"knowledge base: {self.where} ({count}, {self.origin})"


def working_kb(
    given: Sequence[str | Path] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> WorkingKB:
    """The knowledge base a command reads: the paths `given` (--kb), else those in MMKB_KB (of `env`,
    os.environ when None), else the kb/data of the checkout `cwd` (the working directory when None) is
    in, else the shipped copy. A folder stands for its *.ttl files (recursively, sorted); a file is
    taken as it is, in any RDF format. KnowledgeBaseNotFound when a path is missing or a folder holds
    no curated file."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    if given:
        return _chosen([Path(p) for p in given], "--kb", cwd)
    listed = [Path(part) for part in env.get(KB_ENV, "").split(os.pathsep) if part.strip()]
    if listed:
        return _chosen(listed, KB_ENV, cwd)
    checkout = checkout_root(cwd)
    if checkout is not None:
        return _chosen([checkout / "kb" / "data"], "checkout", cwd)
    return WorkingKB(tuple(curated_files()), _shown(DATA_DIR, cwd), "shipped", DATA_DIR)


def checkout_root(cwd: Path) -> Path | None:
    """The nearest of `cwd` and its parents that is an mmkb checkout: a pyproject.toml whose [project]
    name is mmkb, beside a kb/data folder."""
    for folder in (cwd, *cwd.parents):
        project = folder / "pyproject.toml"
        if project.is_file() and (folder / "kb" / "data").is_dir() and _names_mmkb(project):
            return folder
    return None


def _names_mmkb(pyproject: Path) -> bool:
    try:
        meta = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    project = meta.get("project")
    return isinstance(project, dict) and project.get("name") == PROJECT_NAME


def _chosen(paths: list[Path], origin: str, cwd: Path) -> WorkingKB:
    files: dict[Path, None] = {}  # in order, each once
    for path in paths:
        full = cwd / path
        if full.is_dir():
            found = sorted(p for p in full.rglob(CURATED_GLOB) if p.is_file())
            if not found:
                raise KnowledgeBaseNotFound(
                    f"{path} ({_GIVEN_BY[origin]}): no curated files ({CURATED_GLOB}) in this folder; "
                    f"add the study files to it, or {_INSTEAD[origin]}"
                )
            files.update(dict.fromkeys(found))
        elif full.is_file():
            files[full] = None
        else:
            raise KnowledgeBaseNotFound(
                f"{path} ({_GIVEN_BY[origin]}): no such file or folder; {_INSTEAD[origin]}"
            )
    shown = [_shown(cwd / p, cwd) for p in paths]
    where = ", ".join(shown) if len(shown) <= 3 else f"{', '.join(shown[:2])} and {len(shown) - 2} more"
    folder = cwd / paths[0] if len(paths) == 1 and (cwd / paths[0]).is_dir() else None
    return WorkingKB(tuple(files), where, origin, folder)


_GIVEN_BY = {"--kb": "given with --kb", KB_ENV: f"named in {KB_ENV}", "checkout": "this checkout's data"}
_INSTEAD = {
    "--kb": "give a folder of curated files (such as a checkout's kb/data) or the files themselves",
    KB_ENV: f"set {KB_ENV} to folders or files of curated data (separated by {os.pathsep!r}), or unset it",
    "checkout": "restore kb/data from git (git checkout -- kb/data) or give --kb",
}


def _shown(path: Path, cwd: Path) -> str:
    """A path for the first line of a command: from the working directory when inside it, else in full."""
    resolved = path.resolve()
    base = cwd.resolve()
    if resolved == base:
        return "."
    if resolved.is_relative_to(base):
        return str(resolved.relative_to(base))
    return str(resolved)
