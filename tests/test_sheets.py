"""Extraction sheets: the round trip of the shipped knowledge base, a study imported from a sheet against the
same study written in Turtle, the template and its dictionary, and every kind of sheet problem."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kb.analysis.response_rate import response_rates
from kb.cli import main
from kb.curation import dictionary
from kb.curation.template import TABS
from kb.knowledge_base import KnowledgeBase
from kb.paths import DATA_DIR, curated_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "baertsch-2017"
TEMPLATES = ROOT / "docs" / "templates"


def _kb_copy(tmp_path: Path, without: tuple[str, ...] = ()) -> Path:
    """A copy of the shipped curated files (no package files), less the files named."""
    copy = tmp_path / "kb"
    for path in curated_files():
        relative = path.relative_to(DATA_DIR)
        if relative.as_posix() not in without:
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy / relative)
    return copy


def _files(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.rglob("*.ttl"))]


@pytest.mark.parametrize("form", ["kb.xlsx", "csv"])
def test_shipped_knowledge_base_round_trips_through_a_sheet(tmp_path: Path, form: str, capsys) -> None:
    sheet = tmp_path / form
    assert main(["export", "--format", "sheet", "--kb", *map(str, curated_files()), "--out", str(sheet)]) == 0
    out = tmp_path / "out"
    assert main(["import", "sheet", str(sheet), "--out", str(out), "--kb", *map(str, curated_files())]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.ttl"))
    assert written == sorted(p.relative_to(DATA_DIR).as_posix() for p in curated_files())
    # file by file the same graph, isomorphic up to blank nodes, and the same canonical Turtle
    for name in written:
        assert isomorphic(Graph().parse(out / name), Graph().parse(DATA_DIR / name)), name
        assert (out / name).read_text(encoding="utf-8") == (DATA_DIR / name).read_text(encoding="utf-8"), name
    assert "10 files written, 0 unchanged" in capsys.readouterr().err


def test_a_study_from_a_sheet_is_the_study_written_by_hand(tmp_path: Path) -> None:
    """The worked example's sheet gives the hand-written Turtle byte for byte, and the same rows."""
    kb = _kb_copy(tmp_path, without=("studies/baertsch-2017.ttl",))
    assert main(["import", "sheet", str(EXAMPLE), "--out", str(kb), "--kb", *_files(kb)]) == 0
    imported = kb / "studies" / "baertsch-2017.ttl"
    assert imported.read_text(encoding="utf-8") == (DATA_DIR / "studies" / "baertsch-2017.ttl").read_text(
        encoding="utf-8"
    )
    by_hand = response_rates(KnowledgeBase.open(curated_files()))
    from_sheet = response_rates(KnowledgeBase.open(sorted(kb.rglob("*.ttl"))))
    rows = [r for r in from_sheet.rows if "baertsch" in r.study_id]
    assert rows, "the Baertsch study has a comparison row"
    assert [r for r in by_hand.rows if "baertsch" in r.study_id] == rows
    assert by_hand.rows == from_sheet.rows


def test_the_data_dictionary_page_is_generated_from_the_template() -> None:
    assert (ROOT / "docs" / "extraction-template.md").read_text(encoding="utf-8") == dictionary.markdown()


def test_the_shipped_templates_are_what_new_sheet_writes(tmp_path: Path) -> None:
    assert main(["new", "sheet", str(tmp_path / "t.xlsx")]) == 0
    assert main(["new", "sheet", str(tmp_path / "csv")]) == 0
    for tab in TABS:
        shipped = (TEMPLATES / "extraction-template-csv" / f"{tab.name}.csv").read_text(encoding="utf-8")
        assert shipped == (tmp_path / "csv" / f"{tab.name}.csv").read_text(encoding="utf-8")
        assert next(csv.reader([shipped])) == tab.header()

    def cells(path: Path) -> dict[str, list[list[object]]]:
        book = openpyxl.load_workbook(path, read_only=True)
        return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}

    generated, shipped_book = cells(tmp_path / "t.xlsx"), cells(TEMPLATES / "extraction-template.xlsx")
    assert generated == shipped_book
    assert list(shipped_book) == [*(t.name for t in TABS), "dictionary"]


def test_an_exported_figure_is_as_printed_with_its_quote(tmp_path: Path) -> None:
    """The sheet holds the curated statements as printed, not what the reasoner adds (candidates, origins)."""
    sheet = tmp_path / "kb.xlsx"
    assert main(["export", "--format", "sheet", "--out", str(sheet), "--kb", *map(str, curated_files())]) == 0
    book = openpyxl.load_workbook(sheet, read_only=True)
    figures = [list(r) for r in book["figures"].iter_rows(values_only=True)]
    header = figures[0]
    assert not {"numerator_candidate", "numeratorCandidate"} & set(header)
    sirius = next(r for r in figures if r[0] == "sirius-orr-lonial2016")
    row = dict(zip(header, sirius, strict=True))
    assert (row["numerator"], row["denominator"], row["percent"]) == ("31", "106", "29.2")
    assert row["quote"] == "ORR 29.2% (31/106; 95% CI 20.8-38.9)"


def test_an_xlsx_with_numbers_typed_as_numbers_reads_as_printed(tmp_path: Path) -> None:
    """A team's workbook holds numbers as numbers (2, 29.2), not text; they read back as printed."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for path in sorted(EXAMPLE.glob("*.csv")):
        sheet = book.create_sheet(path.stem)
        for row in csv.reader(path.read_text(encoding="utf-8").splitlines()):
            sheet.append([int(v) if v.isdigit() else v for v in row])
    workbook = tmp_path / "baertsch.xlsx"
    book.save(workbook)
    kb = _kb_copy(tmp_path, without=("studies/baertsch-2017.ttl",))
    assert main(["import", "sheet", str(workbook), "--out", str(kb), "--kb", *_files(kb)]) == 0
    imported = (kb / "studies" / "baertsch-2017.ttl").read_text(encoding="utf-8")
    assert imported == (DATA_DIR / "studies" / "baertsch-2017.ttl").read_text(encoding="utf-8")
