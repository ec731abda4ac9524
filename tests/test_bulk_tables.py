"""The bulk tables: every CSV loads in pandas as it is, with the types the data dictionary gives and as
many rows as the knowledge base holds records; the command line and the service give the same zip."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.graph.bulk_tables import DICTIONARY, TABLES, Table, tables_zip
from kb.knowledge_base import KnowledgeBase

TABLE_NAMES = [table.name for table in TABLES]


@pytest.fixture(scope="module")
def archive(kb: KnowledgeBase) -> bytes:
    return tables_zip(kb.store)


def read(archive: bytes, name: str, **options: Any) -> pd.DataFrame:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return pd.read_csv(io.BytesIO(zipped.read(f"mmkb-tables/{name}")), encoding="utf-8", **options)


def count(kb: KnowledgeBase, where: str) -> int:
    (row,) = kb.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")
    return int(str(row["n"]))


def test_zip_holds_one_csv_per_table_and_the_dictionary(archive: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        names = sorted(zipped.namelist())
    assert names == sorted(f"mmkb-tables/{n}" for n in [*[f"{t}.csv" for t in TABLE_NAMES], DICTIONARY])


@pytest.mark.parametrize("table", TABLES, ids=TABLE_NAMES)
def test_every_table_loads_with_its_dictionary_columns(archive: bytes, table: Table) -> None:
    frame = read(archive, f"{table.name}.csv")
    assert list(frame.columns) == [column.name for column in table.columns]
    assert len(frame) > 0
    assert not frame.duplicated().any()
    for column in table.columns:
        present = frame[column.name].dropna()
        if column.kind == "integer" and len(present):
            assert pd.api.types.is_numeric_dtype(present), f"{table.name}.{column.name}"
            assert (present == present.round()).all(), f"{table.name}.{column.name}"
            assert read(archive, f"{table.name}.csv", dtype={column.name: "Int64"})[
                column.name
            ].notna().sum() == len(present)


def test_dictionary_describes_every_column(archive: bytes) -> None:
    dictionary = read(archive, DICTIONARY)
    described = set(zip(dictionary["file"], dictionary["column"], strict=True))
    wanted = {(f"{t.name}.csv", c.name) for t in TABLES for c in t.columns}
    assert described == wanted
    assert dictionary["description"].notna().all()


def test_row_counts_match_the_knowledge_base(archive: bytes, kb: KnowledgeBase) -> None:
    studies = read(archive, "studies.csv")
    assert studies["study"].nunique() == count(kb, "?x a mm:Study")
    cohorts = read(archive, "cohorts.csv")
    assert cohorts["cohort"].nunique() == count(kb, "?x mm:ofStudy ?s FILTER NOT EXISTS { ?x a mm:DataCut }")
    patients = read(archive, "patients.csv")
    assert patients["patient"].nunique() == count(kb, "?x a mm:Patient")
    regimens = read(archive, "regimens.csv")
    assert regimens["regimen"].nunique() == count(kb, "?x a mm:Regimen")
    claims = read(archive, "claims.csv")
    assert claims["claim"].nunique() == count(kb, "?x mm:about ?a ; mm:source ?s")
    conflicts = read(archive, "conflicts.csv")
    assert conflicts["conflict"].nunique() == count(kb, "?x a mm:Conflict")
    assert len(conflicts) == len(kb.select("SELECT * WHERE { ?c a mm:Conflict ; mm:involves ?r }"))


def test_measurements_are_values_as_printed_or_typed_unknowns(archive: bytes, kb: KnowledgeBase) -> None:
    frame = read(archive, "measurements.csv", dtype=str, keep_default_na=False)
    reported = frame[frame["status"] == "reported"]
    unknown = frame[frame["status"] != "reported"]
    assert (reported["value"] != "").all()
    assert (unknown["value"] == "").all(), "a typed unknown never gets a number"
    assert set(unknown["status"]) <= {
        "mm:NotReported",
        "mm:LostInExtraction",
        "mm:NotReached",
        "mm:NotEstimable",
        "mm:NotApplicable",
    }
    integers = reported[reported["datatype"] == "xsd:integer"]["value"]
    assert integers.str.fullmatch(r"-?\d+").all()
    numeric = len(kb.select("SELECT * WHERE { ?c mm:about ?a ; mm:source ?s ; ?p ?v FILTER(isNumeric(?v)) }"))
    assert len(reported) == numeric


def test_service_and_command_line_give_the_same_zip(
    archive: bytes, kb: KnowledgeBase, tmp_path: Path
) -> None:
    settings = Settings.from_env(allowed_hosts=("testserver",))
    with TestClient(create_app(kb, settings)) as client:
        response = client.get("/export", params={"format": "tables"})
        page = client.get("/").text
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.content == archive
    assert 'href="export?format=tables"' in page, "the page links the tables zip"
    out = tmp_path / "tables.zip"
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", "export", "--format", "tables", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == archive


def test_command_line_refuses_tables_without_out() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", "export", "--format", "tables"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "mmkb export: --format tables writes a zip: give --out FILE.zip"
    assert done.stdout == ""
