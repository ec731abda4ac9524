"""mmkb build: the knowledge base validated and reasoned once into a store every command opens read-only.

A failed build (a syntax error, a SHACL violation) exits 1 naming file, line and record and leaves the
store as it was; a store opened later gives the answers of the files without parsing, validating or
reasoning them again (tests/api/test_built_store.py has the service's side).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

import kb.knowledge_base as knowledge_base_module
from kb import __version__
from kb.build import BuildFailed, build, record_line
from kb.cli import main
from kb.graph.built_store import (
    BUILD_GRAPH,
    BuiltStoreError,
    builds_folder,
    content_hash,
    open_build,
    statement_digests,
)
from kb.graph.export import export
from kb.knowledge_base import KnowledgeBase
from kb.paths import DATA_DIR, ONTOLOGY_FILES, curated_files
from tests.graph.test_round_trip import answers

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHACL_BAD = FIXTURES / "invalid" / "StudyShape-label.ttl"  # a study without its label


@pytest.fixture(scope="module")
def store(built_store: Path) -> Path:
    return built_store


def syntax_error_file(folder: Path) -> Path:
    path = folder / "broken.ttl"
    path.write_text(
        "@prefix id: <https://w3id.org/mmkb/id/> .\n@prefix mm: <https://w3id.org/mmkb/vocab#> .\n\n"
        'id:broken-study a mm:Study ;\n    rdfs:label "rdfs: is not declared" .\n',
        encoding="utf-8",
    )
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------- a good build


def test_a_build_is_a_link_to_a_stamped_store(store: Path, kb: KnowledgeBase) -> None:
    assert store.is_symlink()
    target = store.resolve()
    assert target.parent == builds_folder(store).resolve()
    assert not Path(os.readlink(store)).is_absolute()  # the folder holding both may move
    stamp = open_build(store).stamp
    inputs = [*ONTOLOGY_FILES, *curated_files()]
    assert stamp.version == __version__
    assert stamp.content_hash == content_hash(inputs)[0]
    assert [f.path for f in stamp.files] == [str(p.resolve()) for p in inputs]
    assert stamp.triples == len(kb.store)
    assert set(stamp.graphs) == set(kb.loaded.files)
    assert stamp.contents == statement_digests(kb.store.ox_quads())  # what a rebuild on a server compares
    assert set(stamp.contents) == set(kb.store.graph_names())
    built_at = datetime.fromisoformat(stamp.built_at)
    assert built_at.utcoffset() == timedelta(0) and target.name.startswith(built_at.strftime("%Y%m%dT%H%M%S"))


def test_the_store_gives_the_answers_of_the_files(store: Path, shipped: dict, kb: KnowledgeBase) -> None:
    built = KnowledgeBase.from_store(store)
    assert answers(built) == shipped
    # the findings are read back in full: the order each rule named its records in, the interpretations
    assert built.conflicts == kb.conflicts
    assert built.resolved == kb.resolved
    assert built.triples() == len(kb.store)
    assert export(built.store, "nquads") == export(kb.store, "nquads")  # the stamp is not exported


def test_opening_a_store_parses_validates_and_reasons_nothing(
    tmp_path: Path, shipped: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(DATA_DIR, sources, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    build(tmp_path / "store", sorted(sources.rglob("*.ttl")))
    sources.rename(tmp_path / "moved-away")

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("opening a built store must not load or reason")

    for name in ("load", "materialize", "record_counts", "classify_findings"):
        monkeypatch.setattr(knowledge_base_module, name, refused)
    built = KnowledgeBase.from_store(tmp_path / "store")
    assert built.recomputed == {}
    # the source files' graphs are named by file URI; everything a user sees is the same
    assert answers(built) == shipped


# ---------------------------------------------------------------- failed builds leave the store alone


def test_a_syntax_error_fails_the_build_naming_file_and_line(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], shipped: dict
) -> None:
    before = os.readlink(store)
    broken = syntax_error_file(tmp_path)
    status, out, err = cli(
        capsys, "build", "--store", str(store), "--kb", *map(str, curated_files()), str(broken)
    )
    assert status == 1
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert errors[0].startswith(f"error: {broken}:5:5: syntax error: ")
    assert "rdfs" in errors[0]
    assert err.splitlines()[-1] == f"mmkb build: 1 error; {store} left as it was"
    assert "Traceback" not in err and out == ""
    assert os.readlink(store) == before
    assert answers(KnowledgeBase.from_store(store)) == shipped


def test_a_shacl_violation_fails_the_build_naming_file_line_and_record(
    store: Path, capsys: pytest.CaptureFixture[str], shipped: dict
) -> None:
    before = sorted(p.name for p in builds_folder(store).iterdir())
    status, _, err = cli(
        capsys, "build", "--store", str(store), "--kb", *map(str, curated_files()), str(SHACL_BAD)
    )
    assert status == 1
    record = "https://w3id.org/mmkb/id/bad-study-label"
    line = SHACL_BAD.read_text().splitlines().index("id:bad-study-label a mm:Study ;") + 1
    expected = f"error: tests/fixtures/invalid/StudyShape-label.ttl:{line}: {record}: StudyShape: "
    assert f"{expected}A study must have one label (rdfs:label)." in err.splitlines()
    assert "Traceback" not in err
    # nothing was written beside the store, not even a partial build
    assert sorted(p.name for p in builds_folder(store).iterdir()) == before
    assert answers(KnowledgeBase.from_store(store)) == shipped


def test_the_library_reports_every_problem_of_a_failed_build(tmp_path: Path) -> None:
    broken = syntax_error_file(tmp_path)
    with pytest.raises(BuildFailed) as failed:
        build(tmp_path / "store", [*curated_files(), broken, SHACL_BAD])
    assert any(p.startswith(f"{broken}:5:5: syntax error: ") for p in failed.value.problems)
    assert any("bad-study-label: StudyShape:" in p for p in failed.value.problems)
    assert not (tmp_path / "store").exists() and not (tmp_path / "store").is_symlink()


def test_a_build_never_replaces_what_is_not_a_built_store(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(BuiltStoreError, match="exists and is not a built store"):
        build(folder)
    assert (folder / "notes.txt").read_text() == "keep me"
    assert not builds_folder(folder).exists()


# ---------------------------------------------------------------- builds in use are kept, others pruned


def test_a_new_build_keeps_the_previous_one_and_every_build_still_open(tmp_path: Path) -> None:
    mini = sorted((FIXTURES / "mini").glob("*.ttl"))
    directory = tmp_path / "store"
    first = build(directory, mini).path
    held = KnowledgeBase.from_store(directory)  # a reader on the first build
    second = build(directory, mini).path
    third = build(directory, mini).path
    fourth = build(directory, mini).path
    kept = {p.name for p in builds_folder(directory).iterdir() if not p.name.startswith(".")}
    assert kept == {first.name, third.name, fourth.name}  # the second was neither open nor previous
    assert not second.exists()
    assert directory.resolve() == fourth.resolve()
    assert len(held.studies()) == len(KnowledgeBase.from_store(directory).studies())
    del held
    build(directory, mini)
    assert not first.exists()  # no longer open: pruned by the next build


# ---------------------------------------------------------------- what is not a built store


def test_a_store_without_a_stamp_is_not_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    ox.Store(str(plain)).add(
        ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("o"))
    )
    with pytest.raises(BuiltStoreError, match="not an mmkb build"):
        KnowledgeBase.from_store(plain)
    status, _, err = cli(capsys, "conflicts", "--store", str(plain))
    assert status == 2
    assert err.startswith(f"mmkb: error: {plain} is an Oxigraph store but not an mmkb build")
    assert len(err.splitlines()) == 1
    status, _, err = cli(capsys, "conflicts", "--store", str(tmp_path / "nothing"))
    assert (status, err) == (
        2,
        f"mmkb: error: no store at {tmp_path / 'nothing'}; build one with "
        f"`mmkb build --store {tmp_path / 'nothing'}`\n",
    )


def test_a_store_built_by_another_version_is_not_opened(tmp_path: Path) -> None:
    built = build(tmp_path / "store", sorted((FIXTURES / "mini").glob("*.ttl")))
    store = ox.Store(str(built.path))
    version = ox.NamedNode("https://w3id.org/mmkb/build#mmkbVersion")
    store.remove(
        ox.Quad(ox.NamedNode(BUILD_GRAPH), version, ox.Literal(__version__), ox.NamedNode(BUILD_GRAPH))
    )
    store.add(ox.Quad(ox.NamedNode(BUILD_GRAPH), version, ox.Literal("0.0.1"), ox.NamedNode(BUILD_GRAPH)))
    del store
    with pytest.raises(BuiltStoreError, match=r"built by mmkb 0\.0\.1, this is mmkb"):
        KnowledgeBase.from_store(tmp_path / "store")


# ---------------------------------------------------------------- every read command takes --store


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "response-rate", "--format", "json"],
        ["compare", "response-rate", "--by", "regimen", "--format", "csv"],
        ["conflicts", "--format", "json"],
        ["show", "study", "study-pollux", "--format", "json"],
        ["query", "--name", "sources-disagree", "--format", "json"],
        ["network", "--kind", "regimens"],
        ["export", "--format", "nquads"],
    ],
    ids=lambda c: "-".join(c[:2]),
)
def test_read_commands_answer_from_the_store_as_from_the_files(
    command: list[str], store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the files the store was built from: the shipped copy (not the kb/data of a checkout the tests run in)
    status, out, err = cli(capsys, *command, "--kb", str(DATA_DIR))
    assert (status, bool(out)) == (0, True)
    assert err.startswith("mmkb: knowledge base: ") and err.splitlines()[0].endswith(" files, --kb)")
    status, from_store, err = cli(capsys, *command, "--store", str(store))
    assert (status, from_store) == (0, out)
    where = open_build(store).where
    assert err.splitlines()[0] == f"mmkb: built store: {where} ({len(curated_files())} files)"


def test_store_and_files_are_not_given_together(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "conflicts", "--store", str(store), "--kb", str(curated_files()[0]))
    assert status == 2
    assert (
        err == "mmkb: error: --store reads a built store; --kb and --location load files: give one of them\n"
    )


def test_the_build_command_says_what_it_built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mini = sorted((FIXTURES / "mini").glob("*.ttl"))
    status, out, err = cli(capsys, "build", "--store", str(tmp_path / "s"), "--kb", *map(str, mini))
    assert (status, out) == (0, "")
    stamp = open_build(tmp_path / "s").stamp
    first, err = err.split("\n", 1)  # the first line names what was read
    assert first.startswith("mmkb: knowledge base: ") and first.endswith(f" ({len(mini)} files, --kb)")
    assert err == (
        f"mmkb build: {tmp_path / 's'} -> {(tmp_path / 's').resolve()}: {stamp.triples} triples from "
        f"{len(ONTOLOGY_FILES) + len(mini)} files, 0 conflict findings, in {err.split(' in ')[-1]}"
    )
    status, out, _ = cli(
        capsys,
        "query",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a mm:Study }",
        "--format",
        "json",
        "--store",
        str(tmp_path / "s"),
    )
    assert json.loads(out) == [{"n": "1"}]


# ---------------------------------------------------------------- where a problem is


def test_record_line_finds_the_record_as_a_subject_then_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "f.ttl"
    path.write_text(
        "@prefix id: <https://w3id.org/mmkb/id/> .\n"
        "id:other id:mentions id:study-x .\n"
        "\n"
        "id:study-x a id:Thing .\n"
        "<https://w3id.org/mmkb/id/only-mentioned> a id:Thing .\n",
        encoding="utf-8",
    )
    assert record_line(path, "https://w3id.org/mmkb/id/study-x") == 4
    assert record_line(path, "https://w3id.org/mmkb/id/only-mentioned") == 5
    assert record_line(path, "https://w3id.org/mmkb/id/study") is None  # a prefix of a name is no match
    assert record_line(tmp_path / "missing.ttl", "https://w3id.org/mmkb/id/study-x") is None


def test_a_build_computes_each_comparison_once(store: Path, kb: KnowledgeBase) -> None:
    from kb.analysis.response_rate import Filters, response_rates

    built = KnowledgeBase.from_store(store)
    first = response_rates(built)
    assert response_rates(built) is first  # kept with the build, not computed again
    assert response_rates(built, filters=Filters()) is first  # the same options, however spelled
    other = response_rates(built, threshold="VGPR")
    assert other is not first and other.rows != first.rows
    assert response_rates(built, threshold="VGPR") is other
    # the kept table is the one the files give; files (a store that may be written to) compute every time
    assert first.rows == response_rates(kb).rows
    assert response_rates(kb) is not response_rates(kb)


def test_a_build_answers_each_named_question_once(store: Path, kb: KnowledgeBase) -> None:
    from kb.analysis.questions import question

    built = KnowledgeBase.from_store(store)
    asked = question("median-pfs")
    first = built.answer(asked)
    assert built.answer(asked) is first
    assert first == kb.answer(asked) and kb.answer(asked) is not kb.answer(asked)


def test_what_a_build_keeps_is_bounded_and_a_failed_computation_is_not_kept(store: Path) -> None:
    built = KnowledgeBase.from_store(store)
    computed: list[int] = []

    def compute(i: int) -> int:
        computed.append(i)
        return i

    for i in range(knowledge_base_module.COMPUTED_ENTRIES + 5):
        assert built.computed(("n", i), lambda i=i: compute(i)) == i  # type: ignore[misc]
    assert built.computed(("n", 0), lambda: compute(-1)) == -1  # the oldest was let go
    newest = knowledge_base_module.COMPUTED_ENTRIES + 4
    assert built.computed(("n", newest), lambda: compute(-2)) == newest  # the newest is kept

    def fails() -> int:
        raise ValueError("no such drug")

    with pytest.raises(ValueError):
        built.computed("failing", fails)
    assert built.computed("failing", lambda: 7) == 7
