"""The working knowledge base: --kb, then MMKB_KB, then the kb/data of the checkout a command runs in, then
the shipped copy; and every command that reads data names it on the first line of stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

import kb
from kb.cli import build_parser, main
from kb.cli.commands import serve_knowledge_base
from kb.paths import DATA_DIR, KB_ENV, curated_files, working_kb

MINI = Path(__file__).parent / "fixtures" / "mini"
SOURCE = Path(__file__).parent / "fixtures" / "sources" / "letter-excerpt.txt"
SHIPPED = len(curated_files())
# the package's parent: the checkout when run from one, else where the package is installed
PACKAGE_PARENT = Path(kb.__file__).resolve().parent.parent


def checkout(folder: Path, *, name: str = "mmkb") -> Path:
    """A checkout of mmkb: its pyproject.toml and a copy of the shipped kb/data with one more study (the
    mini fixture's, with its publication and curator)."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n', encoding="utf-8")
    data = folder / "kb" / "data"
    shutil.copytree(DATA_DIR, data)
    shutil.copy(MINI / "example-2024.ttl", data / "studies" / "example-2024.ttl")
    shutil.copy(MINI / "bibliography.ttl", data / "publications" / "example-bibliography.ttl")
    shutil.copy(MINI / "agents.ttl", data / "example-agents.ttl")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def no_kb_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KB_ENV, raising=False)


# ------------------------------------------------------------------------------ order of precedence


def test_kb_comes_before_mmkb_kb_before_the_checkout_before_the_shipped_copy(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo")
    other = tmp_path / "other"
    shutil.copytree(DATA_DIR / "studies", other)
    env = {KB_ENV: str(other)}

    given = working_kb([MINI], env=env, cwd=repo)
    assert (given.origin, given.files) == ("--kb", tuple(sorted(MINI.glob("*.ttl"))))
    from_env = working_kb(None, env=env, cwd=repo)
    assert (from_env.origin, from_env.files) == (KB_ENV, tuple(sorted(other.glob("*.ttl"))))
    here = working_kb(None, env={}, cwd=repo)
    assert here.origin == "checkout"
    assert here.files == tuple(sorted((repo / "kb" / "data").rglob("*.ttl")))
    assert here.describe() == f"knowledge base: kb/data ({SHIPPED + 3} files, checkout)"
    shipped = working_kb(None, env={}, cwd=other)
    assert (shipped.origin, list(shipped.files)) == ("shipped", curated_files())
    assert shipped.describe() == f"knowledge base: {DATA_DIR.resolve()} ({SHIPPED} files, shipped)"


def test_the_checkout_is_found_from_a_folder_inside_it(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo")
    inside = repo / "docs" / "notes"
    inside.mkdir(parents=True)
    found = working_kb(None, env={}, cwd=inside)
    assert found.origin == "checkout" and found.where == str((repo / "kb" / "data").resolve())
    assert len(found.files) == SHIPPED + 3


def test_a_project_of_another_name_is_not_a_checkout(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo", name="not-mmkb")
    assert working_kb(None, env={}, cwd=repo).origin == "shipped"


def test_mmkb_kb_names_several_paths_and_an_empty_one_is_unset(tmp_path: Path) -> None:
    study = DATA_DIR / "studies" / "pollux.ttl"
    chosen = working_kb(None, env={KB_ENV: os.pathsep.join([str(MINI), "", str(study)])}, cwd=tmp_path)
    assert chosen.files == (*sorted(MINI.glob("*.ttl")), study)
    assert chosen.where == f"{MINI.resolve()}, {study.resolve()}"
    assert working_kb(None, env={KB_ENV: ""}, cwd=tmp_path).origin == "shipped"


def test_a_file_is_taken_as_it_is_in_any_rdf_format(tmp_path: Path) -> None:
    data = tmp_path / "tiny.nt"
    data.write_text('<https://w3id.org/mmkb/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "tiny" .\n')
    chosen = working_kb(["tiny.nt"], env={}, cwd=tmp_path)
    assert chosen.files == (data,)
    assert chosen.describe() == "knowledge base: tiny.nt (1 file, --kb)"


def test_validate_in_a_checkout_reads_its_new_study(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if k != KB_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", "validate"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"mmkb: knowledge base: kb/data ({SHIPPED + 3} files, checkout)"
    # the ontology's two files and the checkout's, the new study among them
    assert lines[-1].startswith(f"valid: {SHIPPED + 3} files and the ontology, 0 errors")


def test_a_command_in_a_checkout_reads_its_new_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_kb_env: None
) -> None:
    ask = "ASK { id:study-example-2024 a mm:Study }"
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "query", ask)[1] == "false\n"
    monkeypatch.chdir(checkout(tmp_path / "repo"))
    status, out, err = run(capsys, "query", ask)
    assert (status, out) == (0, "true\n")
    assert err.splitlines()[0] == f"mmkb: knowledge base: kb/data ({SHIPPED + 3} files, checkout)"


def test_mmkb_kb_changes_what_compare_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_kb_env: None
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    study = copy / "studies" / "mmy1001-dpd.ttl"
    text = study.read_text(encoding="utf-8")
    assert text.count("mm:percent 58 ;") == 1
    study.write_text(text.replace("mm:percent 58 ;", "mm:percent 62 ;"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def mmy1001_rates() -> tuple[str, list[str]]:
        status, out, err = run(capsys, "compare", "response-rate", "--format", "csv")
        assert status == 0
        rows = csv.DictReader(io.StringIO(out))
        return err.splitlines()[0], [row["rate_pct"] for row in rows if "MMY1001" in row["study"]]

    first, shipped = mmy1001_rates()
    assert first.endswith(f"({SHIPPED} files, shipped)") and "58.0" in shipped
    monkeypatch.setenv(KB_ENV, str(copy))
    first, changed = mmy1001_rates()
    assert first == f"mmkb: knowledge base: data ({SHIPPED} files, {KB_ENV})"
    assert "62.0" in changed and "58.0" not in changed


# ------------------------------------------------------------------------ the first line of output


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    return {
        "validate": ["validate"],
        "build": ["build", "--store", str(tmp_path / "store")],
        "export": ["export", "--format", "turtle"],
        "provenance check": ["provenance", "check", "--source", str(SOURCE)],
        "show claim": ["show", "claim", "count-athens-all-PR-or-better"],
        "show study": ["show", "study", "study-pollux", "--format", "json"],
        "conflicts": ["conflicts", "--format", "json"],
        "lint": ["lint"],
        "query": ["query", "SELECT ?s WHERE { ?s a mm:Study }", "--format", "csv"],
        "compare": ["compare", "response-rate", "--format", "json"],
        "plot forest": ["plot", "forest", "--out", str(tmp_path / "forest.svg")],
        "network": ["network", "--kind", "citations", "--format", "json"],
    }


COMMANDS = list(_commands(Path()))


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_names_the_knowledge_base_on_its_first_line(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KB_ENV, str(DATA_DIR))
    status, out, err = run(capsys, *_commands(tmp_path)[command])
    assert status in (0, 1), err  # provenance check of an excerpt finds quotes outside it
    assert err.splitlines()[0] == f"mmkb: knowledge base: {DATA_DIR.resolve()} ({SHIPPED} files, MMKB_KB)"
    # stdout stays data: what the command writes parses as what it is
    if command in ("export",):
        assert len(Graph().parse(data=out, format="turtle")) > 5000
    elif command in ("show study", "conflicts", "compare", "network"):
        assert json.loads(out)
    elif command == "query":
        assert len(list(csv.reader(io.StringIO(out)))) == 1 + len(list((DATA_DIR / "studies").glob("*.ttl")))


def test_diff_names_both_versions_on_its_first_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "diff", str(DATA_DIR), str(MINI), "--format", "json")
    assert status == 0
    assert err.splitlines()[0] == (
        f"mmkb: knowledge base: old {DATA_DIR} ({SHIPPED} files), new {MINI} (3 files)"
    )


def test_serve_reads_the_working_knowledge_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_kb_env: None
) -> None:
    parse = build_parser().parse_args
    monkeypatch.chdir(checkout(tmp_path / "repo"))
    settings, served = serve_knowledge_base(parse(["serve", "--port", "8123"]))
    assert settings.port == 8123
    assert served.study("study-example-2024") is not None
    assert capsys.readouterr().err == f"mmkb: knowledge base: kb/data ({SHIPPED + 3} files, checkout)\n"

    monkeypatch.setenv(KB_ENV, str(MINI))
    _, served = serve_knowledge_base(parse(["serve"]))
    assert served.study("study-pollux") is None and served.study("study-example-2024") is not None
    assert capsys.readouterr().err == f"mmkb: knowledge base: {MINI.resolve()} (3 files, MMKB_KB)\n"

    _, served = serve_knowledge_base(parse(["serve", "--data", str(DATA_DIR / "studies" / "pollux.ttl")]))
    assert served.study("study-pollux") is not None and served.study("study-example-2024") is None
    assert capsys.readouterr().err.endswith("(1 file, --kb)\n")


def test_serve_of_a_built_store_names_the_store(
    built_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(KB_ENV, str(MINI))  # a built store is read whatever MMKB_KB names
    _, served = serve_knowledge_base(build_parser().parse_args(["serve", "--store", str(built_store)]))
    assert served.built_from is not None
    assert capsys.readouterr().err == f"mmkb: built store: {served.built_from.where} ({SHIPPED} files)\n"


@pytest.mark.parametrize("argv", [["questions"], ["synth", "--studies", "1", "--out", "synth.ttl"]])
def test_commands_that_read_no_data_name_none(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, *argv)
    assert status == 0 and "knowledge base" not in err


# ------------------------------------------------------------------------------ what cannot be read


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("--kb", "mmkb: error: missing (given with --kb): no such file or folder; give a folder"),
        (KB_ENV, f"mmkb: error: missing (named in {KB_ENV}): no such file or folder; set {KB_ENV} to"),
    ],
)
def test_a_missing_path_is_one_line_naming_it(
    where: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KB_ENV, "missing")
    argv = ["conflicts", "--kb", "missing"] if where == "--kb" else ["conflicts"]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.startswith(message) and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["validate", "empty"], ["lint", "empty"], ["compare", "response-rate"]])
def test_a_folder_without_curated_files_is_one_line_naming_it(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty" / "studies").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("not curated data\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KB_ENV, "empty")
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.startswith("mmkb: error: empty (") and "no curated files (*.ttl) in this folder" in err
    assert len(err.splitlines()) == 1
