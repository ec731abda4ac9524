"""The mmkb command line: exit codes, one line per problem, and outputs that parse back."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Dataset

from kb.cli import main
from kb.paths import DATA_DIR, PUBLICATIONS_DIR, STUDIES_DIR

BASE = [DATA_DIR / "agents.ttl", PUBLICATIONS_DIR / "bibliography.ttl"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_shipped_kb_is_valid_and_lists_conflicts_as_warnings(capsys, kb):
    code, out, err = run(capsys, "validate")
    assert code == 0
    assert "valid: 10 files and the ontology, 0 errors" in err
    warnings = [line for line in out.splitlines() if line.startswith("warning: conflict")]
    assert sorted(w.split()[2] for w in warnings) == sorted(str(f.iri) for f in kb.conflicts)
    assert not any(line.startswith("error:") for line in out.splitlines())


def test_validate_names_file_record_rule_and_problem(tmp_path, capsys):
    study = tmp_path / "broken-study.ttl"
    text = (STUDIES_DIR / "baertsch-2017.ttl").read_text()
    study.write_text(text.replace('mm:patientLabel "Patient 1" ;', ""))
    code, out, _ = run(capsys, "validate", *map(str, BASE), str(study))
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {study}: https://w3id.org/mmkb/id/baertsch-p1: PatientShape: "
        "A patient must carry the source's label (mm:patientLabel)."
    ]


def test_validate_reports_malformed_turtle_with_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix id: <https://w3id.org/mmkb/id/> .\n\nid:a id:b id:c id:d .\n")
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {bad}:3:") and "syntax error" in line


@pytest.mark.parametrize(("fmt", "parser"), [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld")])
def test_export_parses_back_to_the_whole_graph(kb, tmp_path, capsys, fmt, parser):
    out = tmp_path / f"kb.{fmt}"
    code, _, _ = run(capsys, "export", "--format", fmt, "--out", str(out))
    assert code == 0
    parsed = Dataset().parse(out, format=parser)
    triples = {(s, p, o) for s, p, o, _ in parsed.quads((None, None, None, None))}
    expected = {(s, p, o) for s, p, o, _ in kb.store.quads()}
    assert len(triples) == len(expected) > 5000
    # ontology, curated data and findings are all there
    subjects = {str(s) for s, _, _ in triples}
    for record in ("vocab#Proportion", "id/athens-p1", "id/conflict-SourcesDisagree"):
        assert any(s.endswith(record) or record in s for s in subjects)


def test_export_trig_keeps_one_graph_per_file(tmp_path, capsys):
    out = tmp_path / "kb.trig"
    # the shipped copy, whose files have stable graph names (a checkout's are named by file URI when the
    # package is installed from it, not editable)
    assert run(capsys, "export", "--format", "trig", "--out", str(out), "--kb", str(DATA_DIR))[0] == 0
    names = {str(g.identifier) for g in Dataset().parse(out, format="trig").graphs()}
    assert "https://w3id.org/mmkb/graph/data/studies/sirius.ttl" in names
    assert "https://w3id.org/mmkb/graph/ontology/mmkb.ttl" in names
    assert "https://w3id.org/mmkb/graph/inferred" in names


def test_export_wrong_format_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["export", "--format", "yaml"])
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "turtle" in err and "jsonld" in err


def test_provenance_check_lists_each_mismatch(tmp_path, capsys, sources):
    source = tmp_path / sources["letter"].name
    if sources["letter"].is_file():
        text = sources["letter"].read_text()
        code, _, err = run(capsys, "provenance", "check", "--source", str(sources["letter"]))
        assert code == 0 and "0 mismatches" in err
    else:
        text = sources["excerpt"].read_text()
    # Damage one quoted sentence: exactly the selectors quoting it must be listed.
    source.write_text(text.replace("5 out of 6 patients", "five of six patients"))
    code, out, err = run(capsys, "provenance", "check", "--source", str(source))
    assert code == 1
    assert any("athens-agg-mr-or-better" in line and "does not occur" in line for line in out.splitlines())


def test_lint_reports_non_canonical_file_with_the_fix_command(tmp_path, capsys):
    copy = tmp_path / "gen501.ttl"
    shutil.copy(STUDIES_DIR / "gen501.ttl", copy)
    assert run(capsys, "lint", str(copy))[0] == 0
    copy.write_text("# a comment\n" + copy.read_text())
    code, out, _ = run(capsys, "lint", str(copy))
    assert code == 1 and "mmkb lint --fix" in out
    assert run(capsys, "lint", "--fix", str(copy))[0] == 0
    assert run(capsys, "lint", str(copy))[0] == 0


def test_query_text_as_csv_and_json(capsys):
    query = "SELECT ?n WHERE { id:athens-agg-mr-or-better mm:numerator ?n }"
    code, out, _ = run(capsys, "query", query, "--format", "csv")
    assert code == 0 and out == "n\n5\n"
    code, out, _ = run(capsys, "query", query, "--format", "json")
    assert json.loads(out) == [{"n": "5"}]


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "mmkb"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "validate" in result.stdout


REQUIRED_COLUMNS = (
    "stratum,study,cohort,design,regimen,n,responders,rate_pct,ci_low_pct,ci_high_pct,ci_method,"
    "count_origin,threshold,caveats,sources"
)


def test_compare_response_rate_csv_has_the_required_columns(capsys):
    code, out, _ = run(capsys, "compare", "response-rate", "--format", "csv")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.startswith(REQUIRED_COLUMNS + ",")
    sirius = next(r for r in rows if "SIRIUS: all 106" in r)
    assert ",106,31,29.2,20.8,38.9,clopper-pearson,reported,PR," in sirius


@pytest.mark.parametrize("fmt", ["tsv", "md", "html", "latex", "json"])
def test_compare_other_formats(capsys, fmt):
    code, out, _ = run(
        capsys, "compare", "response-rate", "--by", "design", "--threshold", "MR", "--format", fmt
    )
    assert code == 0 and "Athens case series" in out


def test_compare_on_other_curated_files(capsys):
    mini = Path(__file__).parent / "fixtures" / "mini"
    code, out, _ = run(
        capsys, "compare", "response-rate", "--format", "csv", "--kb", *map(str, sorted(mini.glob("*.ttl")))
    )
    assert code == 0 and "EXAMPLE-1" in out and "SIRIUS" not in out


def test_compare_wrong_threshold_is_one_line_with_the_valid_values(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["compare", "response-rate", "--threshold", "SD"])
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'PR', 'MR', 'VGPR', 'CR'" in err


def test_forest_plot_is_deterministic_svg(tmp_path, capsys):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    assert run(capsys, "plot", "forest", "--out", str(first))[0] == 0
    assert run(capsys, "plot", "forest", "--out", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().startswith("<svg") and "HR (log scale)" in first.read_text()


@pytest.mark.parametrize(
    ("kind", "fmt", "marker"),
    [
        ("regimens", "graphml", "<graphml"),
        ("citations", "json", '"links"'),
        ("regimens", "svg", "<svg"),
    ],
)
def test_network_exports(capsys, kind, fmt, marker):
    code, out, _ = run(capsys, "network", "--kind", kind, "--format", fmt)
    assert code == 0 and marker in out


def test_named_questions_are_listed_and_runnable(capsys):
    code, out, _ = run(capsys, "questions")
    assert code == 0 and len(out.splitlines()) >= 12
    code, out, _ = run(capsys, "query", "--name", "patient-imid-and-response", "--format", "csv")
    assert code == 0 and "pomalidomide" in out
    code, _, err = run(capsys, "query", "--name", "no-such-question")
    assert code == 2 and "valid" in err


def test_query_turtle_for_construct_and_refused_for_select(capsys):
    construct = (
        "CONSTRUCT { ?p mm:patientLabel ?l } WHERE { ?p mm:memberOf id:baertsch-all ; mm:patientLabel ?l }"
    )
    code, out, _ = run(capsys, "query", construct, "--format", "turtle")
    assert code == 0 and "Patient 1" in out and "patientLabel" in out
    code, _, err = run(capsys, "query", "SELECT ?s WHERE { ?s a mm:Study }", "--format", "turtle")
    assert code == 2 and "CONSTRUCT" in err


def test_validate_takes_kb_like_the_other_commands(capsys):
    mini = Path(__file__).parent / "fixtures" / "mini"
    code, _, err = run(capsys, "validate", "--kb", *map(str, sorted(mini.glob("*.ttl"))))
    assert code == 0 and "valid: 3 files and the ontology" in err


def test_serve_runs_the_service_on_given_data(tmp_path):
    data = tmp_path / "tiny.nt"
    data.write_text('<https://w3id.org/mmkb/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "tiny" .\n')
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = Path(sys.executable).parent / "mmkb"
    proc = subprocess.Popen(
        [str(script), "serve", "--port", str(port), "--data", str(data)], stderr=subprocess.PIPE, text=True
    )
    try:
        body = None
        for _ in range(100):
            try:
                body = httpx.get(
                    f"http://127.0.0.1:{port}/sparql",
                    params={"query": 'ASK { ?s ?p "tiny" }'},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=2,
                ).json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert body is not None and body["boolean"] is True
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "triples" in err and f"http://127.0.0.1:{port}/" in err
