"""Workbooks on disk: an XLSX file with one sheet per tab, or CSV files (one per tab, named after it, in a
folder; a lone CSV file is the tab its name says, else the figures tab). Cells are read and written as
text, so a number keeps the form it was printed in."""

from __future__ import annotations

import csv
import difflib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from kb.curation import dictionary
from kb.curation.template import FIGURES, TAB_BY_NAME, TABS, Tab

DICTIONARY = "dictionary"  # the XLSX template's data dictionary sheet; never read as data
MAX_ROWS = 200_000  # per tab: a workbook larger than this is not an extraction sheet


class SheetError(ValueError):
    """A workbook that cannot be read as the template: where and what to do."""


@dataclass(frozen=True)
class Row:
    tab: Tab
    number: int  # the row number a spreadsheet shows (the header is row 1)
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class Workbook:
    name: str  # the file as the user named it
    rows: dict[str, list[Row]] = field(default_factory=dict)  # tab name -> rows

    def tab(self, name: str) -> list[Row]:
        return self.rows.get(name, [])


def read(path: Path) -> Workbook:
    """Every tab of the workbook at `path`; SheetError for a tab or column the template does not have."""
    if path.is_dir():
        tables = {p.stem: _csv_table(p) for p in sorted(path.glob("*.csv"))}
        if not tables:
            raise SheetError(f"{path}: no .csv file in the folder; export one with `mmkb new sheet {path}`")
    elif path.suffix.lower() == ".xlsx":
        tables = _xlsx_tables(path)
    elif path.suffix.lower() == ".csv":
        tables = {path.stem if path.stem in TAB_BY_NAME else FIGURES.name: _csv_table(path)}
    else:
        raise SheetError(f"{path}: not a workbook; give an .xlsx file, a .csv file or a folder of .csv files")
    book = Workbook(str(path))
    for name, table in tables.items():
        if name == DICTIONARY:
            continue
        tab = TAB_BY_NAME.get(name)
        if tab is None:
            raise SheetError(
                f"{path}: sheet {name!r} is not a tab of the template{_nearest(name, TAB_BY_NAME)}"
            )
        book.rows[name] = _rows(path, tab, table)
    return book


def _rows(path: Path, tab: Tab, table: list[list[str]]) -> list[Row]:
    if not table:
        return []
    header = [h.strip() for h in table[0]]
    expected = tab.header()
    for h in header:
        if h and h not in expected:
            raise SheetError(
                f"{path}: {tab.name}, column {h!r} is not a column of this tab{_nearest(h, expected)}"
            )
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        raise SheetError(f"{path}: {tab.name}: column {doubled[0]!r} appears twice; keep one")
    if len(table) - 1 > MAX_ROWS:
        raise SheetError(f"{path}: {tab.name}: more than {MAX_ROWS} rows; split the workbook")
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            raise SheetError(f"{path}: {tab.name}, row {number}: a value beyond the last named column")
        cells = {h: v for h, v in zip(header, values, strict=False) if h and v.strip()}
        if cells:
            rows.append(Row(tab, number, cells))
    return rows


def _nearest(name: str, choices: object) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)  # type: ignore[call-overload]
    return f"; did you mean {close[0]!r}?" if close else ""


def _csv_table(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    return list(csv.reader(io.StringIO(text, newline="")))


def _xlsx_tables(path: Path) -> dict[str, list[list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SheetError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        tables = {}
        for sheet in book.worksheets:
            table = []
            for number, row in enumerate(sheet.iter_rows(), start=1):
                if number > MAX_ROWS + 1:
                    raise SheetError(f"{path}: {sheet.title}: more than {MAX_ROWS} rows; split the workbook")
                table.append([_xlsx_cell(path, sheet.title, number, i, cell) for i, cell in enumerate(row)])
            tables[sheet.title] = table
        return tables
    finally:
        book.close()


def _xlsx_cell(path: Path, sheet: str, row: int, index: int, cell: object) -> str:
    """A cell's text; a number shown as a percentage is refused (0.292 shown as 29.2% is not as printed)."""
    value = getattr(cell, "value", None)
    fmt = getattr(cell, "number_format", "") or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in fmt:
        from openpyxl.utils import get_column_letter

        where = f"{sheet}, row {row}, cell {get_column_letter(index + 1)}{row}"
        raise SheetError(
            f"{path}: {where}: {value!r} is formatted as a percentage; write the percentage as printed "
            f"({_cell_text(value * 100)}) in a cell formatted as text or number"
        )
    return _cell_text(value)


def _cell_text(value: object) -> str:
    """A cell as text: numbers as printed (no exponent), booleans as true/false, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write(book: dict[str, list[dict[str, str]]], path: Path) -> None:
    """Write the tabs (every tab of the template, in its order, empty ones with their header) to an XLSX
    file, or to a folder of CSV files when `path` does not end in .xlsx."""
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_xlsx(book, path)
        return
    path.mkdir(parents=True, exist_ok=True)
    for tab in TABS:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header = tab.header()
        writer.writerow(header)
        writer.writerows([[row.get(h, "") for h in header] for row in book.get(tab.name, [])])
        (path / f"{tab.name}.csv").write_text(out.getvalue(), encoding="utf-8")


def _write_xlsx(book: dict[str, list[dict[str, str]]], path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for tab in TABS:
        sheet = workbook.create_sheet(tab.name)
        header = tab.header()
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in book.get(tab.name, []):
            sheet.append([row.get(h, "") for h in header])
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                cell.number_format = "@"  # text: a number keeps its printed form
        sheet.freeze_panes = "B2"
    sheet = workbook.create_sheet(DICTIONARY)
    for line in dictionary.rows():
        sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    workbook.save(path)
