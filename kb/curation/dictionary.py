"""The data dictionary of the extraction template: every tab and column, what it holds and how to write
it, as a table (the XLSX template's dictionary sheet) and as Markdown (docs/extraction-template.md)."""

from __future__ import annotations

from kb.curation.template import EVIDENCE_COLUMNS, KINDS, RECORD, SEPARATOR, TABS, TERM, TEXT, Tab


def rows() -> list[list[str]]:
    """The data dictionary as a table: tab, column, required, several values, what it holds, how to write."""
    rows = [["tab", "column", "required", "several values", "holds", "write"]]
    for tab in TABS:
        rows.append([tab.name, "", "", "", tab.doc, ""])
        for name, required, many, doc, kind in _tab_columns(tab):
            rows.append([tab.name, name, "yes" if required else "", "yes" if many else "", doc, KINDS[kind]])
    return rows


def _tab_columns(tab: Tab) -> list[tuple[str, bool, bool, str, str]]:
    own = {
        "id": "the record's id, without `id:`; begins with the study's short name",
        "study": "the study whose file holds the row (study-...)"
        + ("; empty: " + tab.default_file if tab.default_file else ""),
        "record": "the figure or interpretation the evidence belongs to",
        "type": "one of " + ", ".join(tab.types),
    }
    out: list[tuple[str, bool, bool, str, str]] = []
    for name in tab.header():
        column = tab.column(name) or next((c for c in EVIDENCE_COLUMNS if c.name == name), None)
        if column is not None:
            out.append((name, column.required, column.many, column.doc, column.kind))
        elif name == "type":
            out.append((name, True, False, own["type"], TERM))
        elif name == "study":
            out.append((name, tab.default_file is None, False, own["study"], RECORD))
        else:
            out.append(
                (name, True, False, own.get(name, "the study's id"), RECORD if name != "file" else TEXT)
            )
    return out


INTRODUCTION = """\
# The extraction template

`mmkb new sheet FILE.xlsx` (or `mmkb new sheet DIR` for one CSV file per tab) writes the empty template;
`mmkb export --format sheet --out FILE.xlsx` writes a knowledge base in it; `mmkb import sheet FILE`
reads it back into canonical Turtle, one file per study (see docs/curation.md, "Curating from a sheet").
This page is generated from `kb/curation/template.py`; a test keeps it equal.

A row is a record; its `id` is the record's id without `id:`. A row names its `study` (study-...): each
study is written to `studies/<id without study->.ttl`. A cell holding several values separates them with
`{separator}`. An empty cell says nothing; a number is written as printed (`29.2`, not `29.20`), and a value
the source does not give is a typed unknown, never a guess.

How to write each kind of cell:

| kind | write |
|---|---|
{kinds}
"""


def markdown() -> str:
    kinds = "\n".join(f"| {kind} | {_cell(text)} |" for kind, text in KINDS.items())
    out = [INTRODUCTION.format(separator=SEPARATOR.strip(), kinds=kinds)]
    for tab in TABS:
        out += [
            f"## {tab.name}",
            "",
            tab.doc,
            "",
            "| column | required | several | holds | kind |",
            "|---|---|---|---|---|",
        ]
        for name, required, many, doc, kind in _tab_columns(tab):
            flags = f"{'yes' if required else ''} | {'yes' if many else ''}"
            out.append(f"| `{name}` | {flags} | {_cell(doc)} | {kind} |")
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    """Text for a Markdown table cell (a | would end the cell)."""
    return text.replace("|", "\\|")
