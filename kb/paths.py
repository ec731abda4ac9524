"""Every path mmkb reads, spelled once."""

from __future__ import annotations

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
    """The shipped curated Turtle files, in a stable order."""
    return sorted(DATA_DIR.rglob("*.ttl"))


def display_path(path: Path) -> str:
    """A path as users should read it: relative to the working directory when inside it, a shipped
    file relative to the package's parent (``kb/data/...``), any other path as given."""
    resolved = path.resolve()
    for base in (Path.cwd().resolve(), PACKAGE_DIR.parent):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(path)
