"""Lossless round trips: an export read back gives the answers of the shipped knowledge base, and no
statement is ever counted twice, however often it was loaded.

"Answers" are what a user sees: the response-rate comparison (each row's counts, rate, interval,
candidates, caveats and sources, for the default view and a regimen view), the conflict findings and
every named question. They are compared through the library, the command line (`--kb EXPORT`) and the
service (MMKB_DATA=EXPORT, as `mmkb serve --data EXPORT` starts it).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.analysis.questions import questions
from kb.analysis.response_rate import response_rates
from kb.cli import main
from kb.graph.export import RDF_FORMATS, export
from kb.graph.load import load
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPHS
from kb.paths import DATA_DIR, curated_files

SUFFIX = {
    "turtle": "ttl",
    "ntriples": "nt",
    "jsonld": "jsonld",
    "trig": "trig",
    "nquads": "nq",
    "rdfxml": "rdf",
}
DATASET_FORMATS = ("trig", "nquads", "jsonld")
ID = "https://w3id.org/mmkb/id/"


def comparison(kb: KnowledgeBase, **options: object) -> list[tuple]:
    table = response_rates(kb, **options)  # type: ignore[arg-type]
    return [
        (
            *(r.study_id, r.cohort_id, r.stratum_key, r.regimen, r.threshold, r.n, r.responders, r.rate_pct),
            *(r.ci_low_pct, r.ci_high_pct, r.count_origin, r.candidates, r.caveats, r.other_values),
            *(tuple(s.label for s in r.sources), len(r.conflicts), r.derivation, r.n_unknown),
        )
        for r in table.rows
    ]


def records(kb: KnowledgeBase) -> dict[str, object]:
    """What the facade gives for every study, its patients and every claim it cites."""
    studies = kb.studies()
    details = [kb.study(s.id) for s in studies]
    claims = sorted({c.id for d in details if d for c in d.outcomes})
    return {
        "studies": studies,
        "details": details,
        "patients": [kb.patients(s.id) for s in studies],
        "claims": [kb.claim(c) for c in claims],
        "conflict findings": kb.conflict_findings(),
    }


def answers(kb: KnowledgeBase) -> dict[str, object]:
    return {
        **records(kb),
        "comparison": comparison(kb),
        "by regimen": comparison(kb, by="regimen"),
        "conflicts": sorted((str(f.iri), str(f.rule), f.message) for f in kb.conflicts),
        "resolved": sorted(str(r.finding.iri) for r in kb.resolved),
        **{
            f"question {q.name}": [tuple(str(row.get(c, "")) for c in q.returns) for row in kb.select(q.text)]
            for q in questions()
        },
    }


@pytest.fixture(scope="module")
def shipped(kb: KnowledgeBase) -> dict[str, object]:
    return answers(kb)


@pytest.fixture(scope="module")
def exports(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exports")
    written = {}
    for fmt in RDF_FORMATS:
        path = folder / f"kb.{SUFFIX[fmt]}"
        path.write_bytes(export(kb.store, fmt))
        written[fmt] = path
    return written


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_an_export_read_back_gives_the_same_answers(
    fmt: str, exports: dict[str, Path], shipped: dict, kb: KnowledgeBase
) -> None:
    again = KnowledgeBase.open([exports[fmt]])
    assert answers(again) == shipped
    assert len(again.store) == len(kb.store)


@pytest.mark.parametrize("fmt", DATASET_FORMATS)
def test_a_dataset_export_loads_back_to_the_same_dataset(
    fmt: str, exports: dict[str, Path], kb: KnowledgeBase
) -> None:
    again = KnowledgeBase.open([exports[fmt]])
    assert again.store.graph_names() == kb.store.graph_names()
    assert export(again.store, "nquads") == export(kb.store, "nquads")


@pytest.mark.parametrize("fmt", ["turtle", "trig"])
def test_an_export_beside_the_files_it_came_from_adds_nothing(
    fmt: str, exports: dict[str, Path], shipped: dict, kb: KnowledgeBase
) -> None:
    both = KnowledgeBase.open([*curated_files(), exports[fmt]])
    assert len(both.store) == len(kb.store)
    assert answers(both) == shipped


def test_the_inferred_statements_of_a_triple_export_are_computed_again_into_the_inferred_graph(
    exports: dict[str, Path], kb: KnowledgeBase
) -> None:
    again = KnowledgeBase.open([exports["ntriples"]])
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o"
    assert again.select(query) == kb.select(query)
    assert sum(again.recomputed.values()) > 0
    # and the ontology is held once, in its own graphs, not a second time in the export's graph
    in_ontology = f"FILTER(STRSTARTS(STR(?g), '{ONTOLOGY_GRAPHS}'))"
    ontology = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {in_ontology} }}"
    assert again.select(ontology) == kb.select(ontology)


def test_every_file_loaded_twice_gives_the_same_answers(
    tmp_path: Path, shipped: dict, kb: KnowledgeBase
) -> None:
    copies = []
    for path in curated_files():
        copy = tmp_path / "copy" / path.relative_to(DATA_DIR)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        copies.append(copy)
    twice = KnowledgeBase.open([*curated_files(), *copies])
    assert len(twice.store) == len(kb.store)
    assert answers(twice) == shipped
    # a word-for-word copy does not define its records a second time
    assert twice.loaded.defined_twice() == {}


def test_a_record_defined_differently_in_two_files_is_still_reported(tmp_path: Path) -> None:
    first, second = curated_files()[0], tmp_path / "edited.ttl"
    text = first.read_text(encoding="utf-8")
    record = next(line.split()[0] for line in text.splitlines() if line.startswith("id:"))
    # a copy of the whole file in which one record says one thing more
    second.write_text(text + f'\n{record} rdfs:comment "edited copy" .\n', encoding="utf-8")
    loaded = load([first, second])
    assert not loaded.errors, loaded.errors
    assert list(loaded.defined_twice()) == [ID + record.removeprefix("id:")]


def renamed_copy(folder: Path) -> list[Path]:
    """Every curated file again, every identifier renamed (an independent second set of studies)."""
    out = []
    for path in curated_files():
        copy = folder / path.relative_to(DATA_DIR)
        copy.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8")
        assert text.count(f"<{ID}>") == 1, f"{path}: expected one id: prefix declaration"
        copy.write_text(text.replace(f"<{ID}>", f"<{ID}copy->"), encoding="utf-8")
        out.append(copy)
    return out


def test_two_renamed_copies_give_exactly_twice_the_comparison_rows(tmp_path: Path, shipped: dict) -> None:
    doubled = KnowledgeBase.open([*curated_files(), *renamed_copy(tmp_path)])
    rows = comparison(doubled)
    original = [r for r in rows if not r[0].startswith(ID + "copy-")]
    copied = [r for r in rows if r[0].startswith(ID + "copy-")]
    assert len(rows) == 2 * len(shipped["comparison"])  # type: ignore[arg-type]
    assert sorted(original) == sorted(shipped["comparison"])  # type: ignore[type-var]
    assert "copy-" not in repr(shipped["comparison"])
    unrenamed = [tuple(v.replace("copy-", "") if isinstance(v, str) else v for v in r) for r in copied]
    assert sorted(unrenamed) == sorted(shipped["comparison"])  # type: ignore[type-var]
    assert len(doubled.conflicts) == 2 * len(shipped["conflicts"])  # type: ignore[arg-type]


# ---------------------------------------------------------------- the command line and the service


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_compare_and_conflicts_with_kb_export_match_the_shipped_ones(
    fmt: str, exports: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["compare", "response-rate", "--format", "json"], ["conflicts"]):
        assert cli(capsys, *command, "--kb", str(exports[fmt])) == cli(capsys, *command)


@pytest.fixture(scope="module")
def shipped_client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings.from_env(allowed_hosts=("testserver",)))) as client:
        yield client


SERVICE_PATHS = [
    "/compare/response-rate?format=json",
    "/conflicts",
    *(f"/questions/{q.name}" for q in questions()),
]


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_the_service_on_an_export_answers_as_on_the_shipped_data(
    fmt: str, exports: dict[str, Path], shipped_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMKB_DATA", str(exports[fmt]))
    with TestClient(create_app(settings=Settings.from_env(allowed_hosts=("testserver",)))) as client:
        for path in SERVICE_PATHS:
            got, want = client.get(path), shipped_client.get(path)
            assert got.status_code == want.status_code == 200, (path, got.text)
            assert json.loads(got.content) == json.loads(want.content), path


# ---------------------------------------------------------------- what an export holds


@pytest.mark.parametrize("fmt", ["ntriples", "trig"])  # one triple format, one dataset format
@pytest.mark.parametrize(("inferred", "ontology"), [(False, True), (True, False), (False, False)])
def test_an_export_without_some_parts_still_reads_back_to_the_same_answers(
    fmt: str, inferred: bool, ontology: bool, kb: KnowledgeBase, shipped: dict, tmp_path: Path
) -> None:
    path = tmp_path / f"part.{SUFFIX[fmt]}"
    path.write_bytes(export(kb.store, fmt, inferred=inferred, ontology=ontology))
    again = KnowledgeBase.open([path])  # the ontology comes from its files, the inferences are computed
    assert answers(again) == shipped


def test_the_parts_left_out_are_not_in_the_export_and_the_header_says_so(kb: KnowledgeBase) -> None:
    asserted = export(kb.store, "nquads", inferred=False, ontology=False).decode()
    assert f"<{INFERRED_GRAPH}>" not in asserted and ONTOLOGY_GRAPHS not in asserted
    assert "mm:numeratorCandidate" not in asserted and "vocab#numeratorCandidate" not in asserted
    header = asserted.splitlines()[0]
    assert header.startswith("# mmkb knowledge base export: the asserted statements of the curated files;")
    assert "without the ontology and the inferred statements" in header
    full = export(kb.store, "turtle").decode().splitlines()[0]
    assert "the ontology and the inferred statements (count reconstruction" in full and "without" not in full
    rdfxml = export(kb.store, "rdfxml", inferred=False).decode().splitlines()
    assert rdfxml[0].startswith("<?xml") and rdfxml[1].startswith("<!-- mmkb knowledge base export:")


def test_the_command_line_writes_the_parts_asked_for(tmp_path: Path, kb: KnowledgeBase) -> None:
    out = tmp_path / "asserted.trig"
    # the files of the `kb` fixture: the shipped copy (not the kb/data of a checkout the tests run in)
    argv = ["export", "--format", "trig", "--asserted-only", "--no-ontology", "--out", str(out)]
    assert main([*argv, "--kb", str(DATA_DIR)]) == 0
    assert out.read_bytes() == export(kb.store, "trig", inferred=False, ontology=False)
    again = KnowledgeBase.open([out])
    assert len(again.store) == len(kb.store)
