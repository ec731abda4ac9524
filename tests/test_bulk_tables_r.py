"""The bulk tables load in R without any cleaning: base R's read.csv reads every table with the columns,
rows and column types pandas reads (integers as integer, values as numeric, text as character; a text
column of digits only, such as a PMID, is a number to both), and the values that pandas reads as numbers
are the same numbers in R."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kb.graph.bulk_tables import TABLES, tables_zip
from kb.knowledge_base import KnowledgeBase

# Each table as R reads it: rows, and for each column its class and, for a numeric column, its sum.
READ_IN_R = r"""
args <- commandArgs(trailingOnly = TRUE)
out <- list()
for (path in args) {
  frame <- read.csv(path, fileEncoding = "UTF-8", check.names = FALSE, stringsAsFactors = FALSE)
  columns <- list()
  for (name in names(frame)) {
    values <- frame[[name]]
    total <- if (is.numeric(values)) sum(values, na.rm = TRUE) else NULL
    columns[[name]] <- list(class = class(values)[1], present = sum(!is.na(values) & values != ""),
                            total = total)
  }
  out[[basename(path)]] <- list(rows = nrow(frame), names = names(frame), columns = columns)
}
emit <- function(x) {
  if (is.list(x)) {
    keys <- names(x)
    if (is.null(keys)) return(paste0("[", paste(vapply(x, emit, ""), collapse = ","), "]"))
    return(paste0("{", paste(sprintf("\"%s\":%s", keys, vapply(x, emit, "")), collapse = ","), "}"))
  }
  if (is.null(x)) return("null")
  if (is.character(x)) {
    if (length(x) == 1) return(sprintf("\"%s\"", gsub("\"", "\\\\\"", x)))
    return(paste0("[", paste(sprintf("\"%s\"", x), collapse = ","), "]"))
  }
  format(x, digits = 15)
}
cat(emit(out), "\n")
"""
R_CLASSES = {"integer": {"integer"}, "decimal": {"numeric", "integer"}, "number": {"numeric", "integer"}}


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    with zipfile.ZipFile(io.BytesIO(tables_zip(kb.store))) as zipped:
        zipped.extractall(folder)
    return folder / "mmkb-tables"


@pytest.fixture(scope="module")
def read_in_r(tables: Path) -> dict[str, dict[str, object]]:
    rscript = shutil.which("Rscript")
    assert rscript, "Rscript is missing: scripts/test installs Debian's r-base-core"
    paths = [str(tables / f"{table.name}.csv") for table in TABLES]
    done = subprocess.run(
        [rscript, "--vanilla", "-e", READ_IN_R, *paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, dict[str, object]] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_r_reads_each_table_as_pandas_does(table, tables: Path, read_in_r) -> None:
    frame = pd.read_csv(tables / f"{table.name}.csv", encoding="utf-8")
    in_r = read_in_r[f"{table.name}.csv"]
    assert in_r["rows"] == len(frame)
    assert in_r["names"] == [column.name for column in table.columns]
    columns = in_r["columns"]
    assert isinstance(columns, dict)
    for column in table.columns:
        present = frame[column.name].dropna()
        seen = columns[column.name]
        if not len(present):
            continue  # an empty column has no type to read
        if column.kind in R_CLASSES:
            assert seen["class"] in R_CLASSES[column.kind], f"{table.name}.{column.name}: {seen}"
            assert float(seen["total"]) == pytest.approx(float(present.sum())), f"{table.name}.{column.name}"
        elif column.kind == "boolean":
            assert seen["class"] == "logical", f"{table.name}.{column.name}: {seen}"
        elif pd.api.types.is_numeric_dtype(present):  # text of digits only (a PMID): a number to both
            assert seen["class"] in ("integer", "numeric"), f"{table.name}.{column.name}: {seen}"
        else:
            assert seen["class"] == "character", f"{table.name}.{column.name}: {seen}"
        assert seen["present"] == len(present.astype(str).loc[lambda s: s != ""]), (
            f"{table.name}.{column.name}"
        )
