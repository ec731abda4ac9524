"""Count reconstruction reads only well-formed numbers; ill-typed ones are reported by the shapes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import URIRef

from kb.graph.load import load
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.quality.validate import validate

MINI_DIR = Path(__file__).resolve().parent / "fixtures" / "mini"
STUDY_FILE = MINI_DIR / "example-2024.ttl"
OTHER_FILES = sorted(p for p in MINI_DIR.glob("*.ttl") if p != STUDY_FILE)
RECORD = "https://w3id.org/mmkb/id/example-arm-a-neutropenia"
# The record's inputs as the fixture prints them (the denominator is also printed, earlier, on another
# record, so the pair is replaced together).
INPUTS = "mm:denominator 40 ;\n    mm:percent 45 ;"

DENOMINATOR = "mm:denominator needs a whole number of at least 1 or a typed unknown such as `mm:NotReported`."
PERCENT = "mm:percent needs a number from 0 to 100 or a typed unknown such as `mm:NotReported`."

# rdflib warns about every ill-typed literal it reads; here that is the point.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

BAD_INPUTS = [
    pytest.param(
        "mm:denominator 40.5 ;\n    mm:percent 45 ;",
        f"`40.5` is a decimal; {DENOMINATOR}",
        id="denominator 40.5",
    ),
    pytest.param(
        'mm:denominator "abc"^^xsd:integer ;\n    mm:percent 45 ;',
        f'`"abc"^^xsd:integer` is not an integer (its text is not one); {DENOMINATOR}',
        id="denominator abc",
    ),
    pytest.param(  # the literal is quoted cut short: a message names a value, it does not carry it
        'mm:denominator "1e400"^^xsd:decimal ;\n    mm:percent 45 ;',
        f'`"{"1" + "0" * 55}...` is a decimal; {DENOMINATOR}',
        id="denominator 1e400",
    ),
    pytest.param(
        'mm:denominator 40 ;\n    mm:percent "NaN"^^xsd:double ;',
        f'`"NaN"^^xsd:double` is a double; {PERCENT}',
        id="percent NaN",
    ),
    pytest.param(
        'mm:denominator 40 ;\n    mm:percent "INF"^^xsd:double ;',
        f'`"INF"^^xsd:double` is a double; {PERCENT}',
        id="percent INF",
    ),
    pytest.param(
        'mm:denominator 40 ;\n    mm:percent "abc" ;', f'`"abc"` is a string; {PERCENT}', id="percent abc"
    ),
]


def study_with(tmp_path: Path, inputs: str) -> Path:
    text = STUDY_FILE.read_text(encoding="utf-8")
    assert text.count(INPUTS) == 1
    path = tmp_path / STUDY_FILE.name
    path.write_text(text.replace(INPUTS, inputs), encoding="utf-8")
    return path


def inferred(paths: list[Path], predicate: URIRef) -> list[str]:
    kb = KnowledgeBase(load(paths))
    rows = kb.store.select(f"SELECT ?o WHERE {{ <{RECORD}> <{predicate}> ?o }}")
    return sorted(str(row["o"]) for row in rows)


def test_a_printed_percentage_is_reconstructed(tmp_path):
    paths = [*OTHER_FILES, study_with(tmp_path, INPUTS)]
    assert inferred(paths, MM.countOrigin) == [str(MM.CountAmbiguous)]  # the figure is hedged
    assert "18" in inferred(paths, MM.numeratorCandidate)  # 45% of 40


@pytest.mark.parametrize(("inputs", "message"), BAD_INPUTS)
def test_ill_typed_inputs_are_not_reconstructed_but_reported(tmp_path, inputs, message):
    paths = [*OTHER_FILES, study_with(tmp_path, inputs)]
    assert inferred(paths, MM.countOrigin) == [str(MM.CountUnknown)]
    assert inferred(paths, MM.numeratorCandidate) == []
    report = validate(paths)
    assert [v.message for v in report.violations if v.record == RECORD] == [message]


@pytest.mark.parametrize(("inputs", "message"), BAD_INPUTS[:1] + BAD_INPUTS[3:4])
def test_mmkb_validate_prints_the_violation_not_a_traceback(tmp_path, inputs, message):
    study = study_with(tmp_path, inputs)
    mmkb = Path(sys.executable).parent / "mmkb"
    files = [str(p) for p in [*OTHER_FILES, study]]
    result = subprocess.run([str(mmkb), "validate", *files], capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert any(line.startswith(f"error: {study}: {RECORD}: ") and message in line for line in errors), errors
