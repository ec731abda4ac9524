"""`mmkb show study`, `mmkb show claim` and `mmkb conflicts` give what the REST API gives."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.cli import main
from kb.knowledge_base import KnowledgeBase

STUDY = "study-pollux"
CLAIM = "sirius-orr-lonial2016"


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> TestClient:
    return TestClient(create_app(kb))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_show_study_json_is_the_rest_answer(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        json.loads(_run(capsys, "show", "study", STUDY, "--format", "json"))
        == client.get(f"/studies/{STUDY}").json()
    )


def test_show_study_text_names_what_rest_lists(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _run(capsys, "show", "study", STUDY)
    rest = client.get(f"/studies/{STUDY}").json()
    for item in [*rest["publications"], *rest["cohorts"], *rest["regimens"], *rest["outcomes"]]:
        assert item["id"] in text


def test_show_claim_json_is_the_rest_derivation(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = json.loads(_run(capsys, "show", "claim", CLAIM, "--format", "json"))
    assert cli == client.get(f"/claims/{CLAIM}").json()["how"]


def test_show_claim_text_gives_the_rest_provenance(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _run(capsys, "show", "claim", CLAIM)
    rest = client.get(f"/claims/{CLAIM}").json()
    assert rest["source"]["label"] in text
    assert rest["evidence"] and all(ev["exact"] in text for ev in rest["evidence"] if ev["exact"])
    for name, value in rest["values"].items():
        assert f"{name}: {value}" in text


def test_unknown_study_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "study", "no-such-study"]) == 2
    first, *error = capsys.readouterr().err.splitlines()  # the first line names the knowledge base read
    assert first.startswith("mmkb: knowledge base: ")
    assert error == ["mmkb show study: no study 'no-such-study'"]


def test_conflicts_lists_the_rest_findings(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    rest = client.get("/conflicts").json()
    assert rest
    assert json.loads(_run(capsys, "conflicts", "--format", "json")) == rest
    text = _run(capsys, "conflicts")
    findings = [line.split()[0] for line in text.splitlines() if not line.startswith(" ")]
    assert findings == [c["id"] for c in rest]
