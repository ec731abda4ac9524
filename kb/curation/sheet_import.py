"""mmkb import sheet: a workbook to canonical Turtle files, one per study, validated together with the rest of
the knowledge base before anything is written. A problem is reported as tab, row and column with what to
write; one problem anywhere and no file is written."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from kb.curation.context import COLUMNS, context, mismatch
from kb.curation.template import FIGURES
from kb.curation.to_graph import Converted, Problem, to_graphs
from kb.curation.workbook import SheetError, Workbook, read
from kb.graph.load import load
from kb.namespaces import ID_IRI, curie
from kb.quality.lint import canonical
from kb.quality.validate import Violation, validated


class ImportFailed(Exception):
    def __init__(self, sheet: str, problems: list[str]) -> None:
        super().__init__(f"{sheet}: {len(problems)} problems")
        self.sheet = sheet
        self.problems = problems


@dataclass
class Imported:
    sheet: str
    written: list[Path] = field(default_factory=list)  # files created or changed
    unchanged: list[Path] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # conflict findings of the resulting knowledge base


def turtle_files(converted: Converted) -> dict[str, str]:
    """The canonical Turtle of each file the workbook holds (relative path -> text)."""
    return {
        path: canonical(graph.serialize(format="turtle")) for path, graph in sorted(converted.files.items())
    }


def import_sheet(sheet: Path, out: Path, knowledge_base: list[Path]) -> Imported:
    """Write the workbook's files under `out` if the knowledge base they join (`knowledge_base`, with the
    files the workbook replaces taken out) is valid; else raise ImportFailed with every problem."""
    try:
        book = read(sheet)
    except SheetError as exc:
        raise ImportFailed(str(sheet), [str(exc)]) from None
    converted = to_graphs(book)
    if converted.problems:
        raise ImportFailed(str(sheet), [f"{sheet}: {p}" for p in converted.problems])
    texts = turtle_files(converted)
    targets = {path: (out / path).resolve() for path in texts}
    kept = [p for p in knowledge_base if p.resolve() not in targets.values()]
    with tempfile.TemporaryDirectory(prefix="mmkb-import-") as work:
        staged = []
        for path, text in texts.items():
            file = Path(work) / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
            staged.append(file)
        report, _ = validated(load([*kept, *staged]))
        problems = [str(e) for e in report.load_errors]
        problems += [_cell_message(str(sheet), v, converted) for v in report.violations]
    if not problems:  # the context cells are read against records known to be valid
        problems = [f"{sheet}: {p}" for p in _context_problems(book, converted, kept)]
    if problems:
        raise ImportFailed(str(sheet), problems)
    imported = Imported(str(sheet), conflicts=[f"{f.iri}: {f.message}" for f in report.conflicts])
    for path, text in texts.items():
        target = out / path
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            imported.unchanged.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
        imported.written.append(target)
    return imported


def _context_problems(book: Workbook, converted: Converted, kept: list[Path]) -> list[Problem]:
    """Filled context cells of the figures tab that do not say what the records say."""
    rows = [r for r in book.tab(FIGURES.name) if any(r.get(c) for c in COLUMNS)]
    if not rows:
        return []
    union = Graph()
    for graph in converted.files.values():
        union += graph
    for path in kept:
        union.parse(path)
    problems = []
    for row in rows:
        figure = URIRef(ID_IRI + row.get("id").strip().removeprefix("id:"))
        actual = context(union, figure)
        for column in COLUMNS:
            given = row.get(column)
            if given and mismatch(given, actual.get(column, "")):
                says = f"the records say {actual[column]!r}" if column in actual else "the records give none"
                problems.append(
                    Problem(
                        FIGURES.name, row.number, column, f"{given!r}, but {says}: correct it or empty it"
                    )
                )
    return problems


def _cell_message(sheet: str, violation: Violation, converted: Converted) -> str:
    """A validation message placed at the row and column the record and property came from."""
    row = converted.rows.get(violation.record)
    path = getattr(violation, "path", None)
    if row is None:
        return f"{violation.file}: {violation.record}: {violation.rule}: {violation.message}"
    column = converted.columns.get((violation.record, str(path))) if path else None
    place = Problem(row.tab.name, row.number, column, "")
    return (
        f"{sheet}: {place.where()}: {curie(URIRef(violation.record))}: {violation.rule}: {violation.message}"
    )
