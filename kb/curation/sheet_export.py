"""mmkb export --format sheet: the curated files of a knowledge base as a workbook of the extraction
template (XLSX, or a folder of CSV files), which mmkb import sheet reads back to the same graphs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kb.curation.from_graph import rows_of
from kb.curation.workbook import write
from kb.graph.rdf_files import rdf_format


@dataclass(frozen=True)
class Exported:
    path: Path
    rows: dict[str, int]  # tab -> rows written


def knowledge_base_root(files: list[Path]) -> Path:
    """The folder the files' sheet paths are relative to: the deepest folder holding all of them."""
    return Path(os.path.commonpath([p.resolve().parent for p in files]))


def relative_files(files: list[Path]) -> dict[str, Graph]:
    """Each curated file's graph, keyed by its path relative to the knowledge base's folder."""
    root = knowledge_base_root(files)
    graphs = {}
    for path in files:
        rdf_format(path)  # an unknown suffix is a ValueError naming the file
        graphs[path.resolve().relative_to(root).as_posix()] = Graph().parse(path)
    return graphs


def export_sheet(files: list[Path], out: Path) -> Exported:
    rows = rows_of(relative_files(files))
    write(rows, out)
    return Exported(out, {tab: len(r) for tab, r in rows.items()})


def blank_template(out: Path) -> Exported:
    """The template with no rows (every tab with its header; the XLSX has the data dictionary too)."""
    write({}, out)
    return Exported(out, {})
