"""Every kind of sheet problem, each from the worked example's sheet with one cell changed: the exact message
(tab, row, column, what to write), exit status 1 or 2, and nothing written."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from kb.cli import main
from kb.paths import DATA_DIR, curated_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "baertsch-2017"
KB = [str(p) for p in curated_files() if p.name != "baertsch-2017.ttl"]


def _sheet(tmp_path: Path, tab: str, record: str, column: str, value: str) -> Path:
    """The example sheet with one cell of one row (found by its first cell) set to `value`."""
    sheet = tmp_path / "sheet"
    shutil.copytree(EXAMPLE, sheet)
    path = sheet / f"{tab}.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = rows[0]
    if column not in header:
        header.append(column)
        for row in rows[1:]:
            row.append("")
    target = next(row for row in rows[1:] if row[0] == record)
    target[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return sheet


def _run(sheet: Path, tmp_path: Path, capsys) -> tuple[int, list[str]]:
    out = tmp_path / "out"
    status = main(["import", "sheet", str(sheet), "--out", str(out), "--kb", *KB])
    err = capsys.readouterr().err.splitlines()
    assert not out.exists(), "nothing is written when the sheet has a problem"
    assert err[0].startswith("mmkb: knowledge base: ")
    return status, err[1:]


# (tab, row's id, column, value written, the message after "<sheet>: ")
CELL_PROBLEMS = [
    (
        "figures",
        "baertsch-all-size-letter",
        "count",
        "2 patients",
        "figures, row 2, column count: '2 patients' is not a number, true/false or a typed unknown; "
        "write the number as printed (29.2), or not reported, lost in extraction, not reached, "
        "not estimable, not applicable",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "type",
        "Cohort size",
        "figures, row 2, column type: 'Cohort size' is not a type of this tab; write one of Proportion, "
        "Count, TimeToEventMedian, TimeToEventValue, SummaryStatistic, HazardRatio, RiskReduction, "
        "LandmarkRate, Quantity, Observation, ResponseAssessment, Refractoriness, Treatment, "
        "UnassignedRowValues",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "derivation",
        "",
        "figures, row 2, column derivation: derivation is required: Reported, Derived or Reconstructed",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "hedged",
        "yes",
        "figures, row 2, column hedged: 'yes' is not true or false; write true or false",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "about",
        "baertsch all",
        "figures, row 2, column about: 'baertsch all' is not a record id such as `sirius-dara16`",
    ),
    (
        "figures",
        "baertsch-p1-response-letter",
        "id",
        "baertsch-all-size-letter",
        "figures, row 5, column id: id:baertsch-all-size-letter is already row 2 of figures",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "table",
        "Table 1",
        "figures, row 2, column quote: a piece of evidence is a quote or a table cell, not both: move one to "
        "the evidence tab",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "study",
        "baertsch-2017",
        "figures, row 2, column study: 'baertsch-2017' is not a study id; study ids begin with study- "
        "(study-baertsch-2017)",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "cohort_size",
        "3",
        "figures, row 2, column cohort_size: '3', but the records say '2': correct it or empty it",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "refractory_set",
        "daratumumab",
        "figures, row 2, column refractory_set: 'daratumumab', but the records say 'daratumumab + "
        "pomalidomide': correct it or empty it",
    ),
    (
        "curation",
        "curation-baertsch-2017",
        "ended",
        "24/11/2026",
        "curation, row 2, column ended: '24/11/2026' is not a date and time; write it as a date and time, "
        "`2026-11-24T00:00:00Z`",
    ),
    (
        "curation",
        "curation-baertsch-2017",
        "file",
        "studies/other.ttl",
        "figures, row 2, column curation: no curation row for studies/baertsch-2017.ttl: add one to the "
        "curation tab",
    ),
]


@pytest.mark.parametrize(("tab", "record", "column", "value", "message"), CELL_PROBLEMS)
def test_a_cell_problem_names_tab_row_column_and_what_to_write(
    tmp_path: Path, capsys, tab: str, record: str, column: str, value: str, message: str
) -> None:
    sheet = _sheet(tmp_path, tab, record, column, value)
    status, err = _run(sheet, tmp_path, capsys)
    assert status == 1
    assert f"error: {sheet}: {message}" in err
    assert err[-1].endswith("; nothing written")


def test_a_column_the_template_does_not_have_is_named_with_the_nearest(tmp_path: Path, capsys) -> None:
    sheet = _sheet(tmp_path, "figures", "baertsch-all-size-letter", "denominatr", "2")
    status, err = _run(sheet, tmp_path, capsys)
    assert status == 1
    assert err[0] == (
        f"error: {sheet}: figures, column 'denominatr' is not a column of this tab; "
        "did you mean 'denominator'?"
    )


def test_a_tab_the_template_does_not_have_is_named_with_the_nearest(tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet"
    shutil.copytree(EXAMPLE, sheet)
    (sheet / "cohorts.csv").rename(sheet / "cohort.csv")
    status, err = _run(sheet, tmp_path, capsys)
    assert status == 1
    assert err[0] == f"error: {sheet}: sheet 'cohort' is not a tab of the template; did you mean 'cohorts'?"


def test_an_unreadable_workbook_is_one_line(tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.xlsx"
    sheet.write_text("not a workbook", encoding="utf-8")
    status, err = _run(sheet, tmp_path, capsys)
    assert status == 1
    assert err[0].startswith(f"error: {sheet}: not a readable .xlsx workbook")


def test_a_valid_sheet_leaves_an_unchanged_file_alone(tmp_path: Path, capsys) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(DATA_DIR, kb, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    target = kb / "studies" / "baertsch-2017.ttl"
    before = target.stat().st_mtime_ns
    files = [str(p) for p in sorted(kb.rglob("*.ttl"))]
    assert main(["import", "sheet", str(EXAMPLE), "--out", str(kb), "--kb", *files]) == 0
    assert capsys.readouterr().out.startswith("unchanged ")
    assert target.stat().st_mtime_ns == before


def test_a_percentage_formatted_cell_is_refused_with_the_printed_value(tmp_path: Path, capsys) -> None:
    """Excel stores 29.2% as 0.292: the sheet must hold the percentage as printed, so the cell is refused."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "figures"
    sheet.append(["id", "type", "study", "percent"])
    sheet.append(["x-orr", "Proportion", "study-x", 0.292])
    sheet["D2"].number_format = "0.0%"
    path = tmp_path / "percent.xlsx"
    book.save(path)
    status, err = _run(path, tmp_path, capsys)
    assert status == 1
    assert err[0] == (
        f"error: {path}: figures, row 2, cell D2: 0.292 is formatted as a percentage; write the percentage "
        "as printed (29.2) in a cell formatted as text or number"
    )


DECLARING = "(see docs/curation.md, Declaring a new term)."
# (tab, row's id, column, value written, the message after "<sheet>: "): what validation finds, at its cell
VALIDATION_PROBLEMS = [
    (
        "components",
        "baertsch-dara-pom-daratumumab",
        "drug",
        "daratumomab",
        "components, row 2, column drug: id:baertsch-dara-pom-daratumumab: RegimenComponentShape: "
        "`mm:daratumomab` is not a declared drug; did you mean `mm:daratumumab`? A new drug is declared in "
        "ontology/concepts.ttl as `mm:NAME a mm:Drug ; skos:inScheme mm:DrugScheme ; skos:broader mm:... ; "
        f'skos:prefLabel "..."@en ; skos:definition "..."@en .` {DECLARING}',
    ),
    (
        "studies",
        "study-baertsch-2017",
        "design",
        "CaseReprot",
        "studies, row 2, column design: id:study-baertsch-2017: StudyShape: `mm:CaseReprot` is not a "
        "declared study design; did you mean `mm:CaseReport` or `mm:CaseSeries`? A new study design is "
        "declared in ontology/concepts.ttl as `mm:NAME a mm:StudyDesign ; "
        'skos:inScheme mm:StudyDesignScheme ; mm:evidenceRank N ; skos:prefLabel "..."@en ; '
        f'skos:definition "..."@en .` {DECLARING}',
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "source",
        "pub-letter-athen",
        "figures, row 2, column source: id:baertsch-all-size-letter: ClaimShape: no publication "
        "`id:pub-letter-athen` in the knowledge base; define it in kb/data/publications/bibliography.ttl "
        "(see docs/curation.md) or cite one that exists: `id:pub-letter-athens`, `id:pub-bartlett-2004`, "
        "`id:pub-weiner-2010`.",
    ),
    (
        "figures",
        "baertsch-all-size-letter",
        "about",
        "baertsch-al",
        "figures, row 2, column about: id:baertsch-all-size-letter: undefined-record: no cohort, patient or "
        "study `id:baertsch-al` in the knowledge base; define it in its study's file in kb/data/studies/ "
        "(see docs/curation.md) or refer to one that exists: `id:baertsch-all`, `id:baertsch-p1`, "
        "`id:baertsch-p2`.",
    ),
]


@pytest.mark.parametrize(("tab", "record", "column", "value", "message"), VALIDATION_PROBLEMS)
def test_a_validation_problem_is_placed_at_its_cell(
    tmp_path: Path, capsys, tab: str, record: str, column: str, value: str, message: str
) -> None:
    sheet = _sheet(tmp_path, tab, record, column, value)
    status, err = _run(sheet, tmp_path, capsys)
    assert status == 1
    assert err == [f"error: {sheet}: {message}", "mmkb import sheet: 1 problem; nothing written"]
