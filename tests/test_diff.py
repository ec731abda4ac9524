"""mmkb diff: what changed between two versions of a knowledge base, in Markdown and in JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.analysis.diff import diff
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.paths import DATA_DIR, curated_files

ORR_CLAIM = "id:mmy1001-dpd-double-refractory-orr-chari2017"
ORR_FILE = Path("studies") / "mmy1001-dpd.ttl"


def copy_of_data(folder: Path) -> Path:
    copy = folder / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def reprint(copy: Path, old: str, new: str) -> None:
    """Change one printed figure of the MMY1001 double-refractory response claim in the copy."""
    path = copy / ORR_FILE
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["diff", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_version_against_itself_has_no_changes(
    kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    assert diff(kb, kb).empty()
    status, out, err = run(capsys, str(DATA_DIR), str(DATA_DIR))
    files = len(curated_files())
    assert status == 0
    assert err == f"mmkb: knowledge base: old {DATA_DIR} ({files} files), new {DATA_DIR} ({files} files)\n"
    assert "No changes" in out


def test_one_changed_figure_is_the_claim_that_changed_and_the_row_it_moves(
    tmp_path: Path, kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_of_data(tmp_path)
    reprint(copy, "mm:percent 58 ;", "mm:percent 62 ;")
    changes = diff(kb, KnowledgeBase.open(sorted(copy.rglob("*.ttl"))))
    assert not changes.added and not changes.removed
    assert [(c.record.record, c.added, c.removed) for c in changes.changed] == [
        (ORR_CLAIM, ("mm:percent 62",), ("mm:percent 58",))
    ]
    assert [(c.field, c.old, c.new) for c in changes.rows_changed] == [("rate_pct", "58.0", "62.0")]
    assert "MMY1001" in changes.rows_changed[0].row

    status, out, _ = run(capsys, str(DATA_DIR), str(copy), "--format", "json")
    assert status == 0
    answer = json.loads(out)
    assert answer["changed"][0]["record"]["record"] == ORR_CLAIM
    assert answer["rows_changed"][0]["old"] == "58.0" and answer["rows_changed"][0]["new"] == "62.0"
    status, out, _ = run(capsys, str(DATA_DIR), str(copy))
    assert f"- claim `{ORR_CLAIM}`\n  - now: mm:percent 62\n  - was: mm:percent 58\n" in out
    assert "| rate_pct | 58.0 | 62.0 |" in out


def test_a_study_taken_out_takes_its_records_findings_and_rows(tmp_path: Path, kb: KnowledgeBase) -> None:
    copy = copy_of_data(tmp_path)
    (copy / "studies" / "nooka-2016.ttl").unlink()
    changes = diff(kb, KnowledgeBase.open(sorted(copy.rglob("*.ttl"))))
    assert ("study", "id:study-nooka-2016") in {(r.kind, r.record) for r in changes.removed}
    assert all("nooka" in r.record for r in changes.removed)
    assert not changes.added and not changes.changed
    assert changes.conflicts_removed and all("Nooka" in m for m in changes.conflicts_removed)
    assert changes.rows_removed and all("Nooka 2016" in r for r in changes.rows_removed)
    # and back: the same records, added
    back = diff(KnowledgeBase.open(sorted(copy.rglob("*.ttl"))), kb)
    assert back.added == changes.removed and back.rows_added == changes.rows_removed


def test_a_git_revision_is_a_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    data = repo / "kb" / "data"
    shutil.copytree(DATA_DIR, data)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    for argv in (["init", "-q"], ["add", "kb"], ["commit", "-q", "-m", "data"]):
        subprocess.run(["git", *argv], cwd=repo, check=True, env=env, timeout=60)
    reprint(data, "mm:percent 58 ;", "mm:percent 62 ;")
    here = Path.cwd()
    os.chdir(repo)
    try:
        status, out, err = run(capsys, "HEAD", "kb/data", "--format", "json")
    finally:
        os.chdir(here)
    assert status == 0, err
    assert [c["record"]["record"] for c in json.loads(out)["changed"]] == [ORR_CLAIM]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("no-such-revision", "no-such-revision: not a file, a folder or a git revision of "),
        ("EMPTY", ": no RDF files in this folder"),
    ],
)
def test_a_version_that_is_none_of_these_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, message: str
) -> None:
    if version == "EMPTY":
        version = str(tmp_path)
    status, out, err = run(capsys, str(DATA_DIR), version)
    assert status == 2 and out == ""
    assert err.startswith("mmkb: error: ") and message in err and len(err.splitlines()) == 1
